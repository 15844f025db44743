import { describe, expect, it } from 'vitest';
import { routerTrail } from '../../src/chaos/run.ts';

describe("the chaos run's account of an overtaken caller", () => {
  it("keeps the two calls' lines and the warnings in the window, oldest first, across routers", () => {
    // As the routers write them: the time as an ISO string.
    const line = (o: Record<string, unknown>) =>
      JSON.stringify({ pid: 1, hostname: 'h', ...o, time: new Date(Number(o.time)).toISOString() });
    const a = {
      instanceId: 'a',
      logs: [
        line({ level: 30, time: 1500, msg: 'offering call to agent', callId: 'x', agentId: 'ag0' }),
        line({ level: 30, time: 1200, msg: 'queued', callId: 'other' }),
        'not json',
        line({ level: 40, time: 1300, msg: 'dispatch round failed' }),
        line({ level: 40, time: 9000, msg: 'heartbeat failed' }),
      ],
    };
    const b = { instanceId: 'b', logs: [line({ level: 30, time: 1100, msg: 'queued', callId: 'y' })] };
    expect(routerTrail([a, b], ['x', 'y'], 1000, 2000, 1000)).toEqual([
      'b +100 30 queued {"callId":"y"}',
      'a +300 40 dispatch round failed {}',
      'a +500 30 offering call to agent {"callId":"x","agentId":"ag0"}',
    ]);
  });
});
