// The fault suite's proof kept as tests (issue 11): two router processes, the switch emulator and a redis-server of
// the run's own, steady calls, one fault per run. Nothing lost, nobody offered two calls, no agent stuck, nobody
// overtaken, nothing left in the queues; the survivor holds a dead router's waiting callers within 2 s.
import { describe, expect, it } from 'vitest';
import { type ChaosFigures, type FaultName, runChaos } from '../../src/chaos/run.ts';

const SHORT = {
  rate: 3,
  placeMs: 10_000,
  faultAtMs: 4000,
  // Fewer agents than the calls need: a queue builds, so a killed router holds waiting callers.
  agents: 4,
  talkMs: [1500, 2500] as [number, number],
  patienceMs: 60_000,
};

function expectNothingLost(f: ChaosFigures): void {
  expect(f.placed).toBeGreaterThanOrEqual(25);
  expect({
    lost: f.lost,
    doubleOffers: f.doubleOffers,
    agentsStuck: f.agentsStuck,
    outOfOrder: f.outOfOrder,
    leftovers: f.leftovers,
  }).toEqual({ lost: 0, doubleOffers: 0, agentsStuck: 0, outOfOrder: 0, leftovers: 0 });
  // Everyone is served: patience is longer than the run.
  expect(f.answered).toBe(f.placed);
}

describe('faults under steady calls (two routers, one Redis)', () => {
  // What went wrong stays in CI's output: the run's own account of lost or overtaken callers.
  const run = async (fault: FaultName) => {
    const lines: string[] = [];
    const f = await runChaos(fault, SHORT, (l) => lines.push(l));
    if (f.lost || f.outOfOrder || f.doubleOffers) console.log(lines.join('\n'));
    return f;
  };

  it('kill -9 of a router holding waiting callers and conversations', async () => {
    const f = await run('kill-router');
    expectNothingLost(f);
    expect(f.killedHeld!.queued + f.killedHeld!.talking).toBeGreaterThan(0);
    expect(f.takeoverMs).toBeLessThan(2000);
  });

  it('a 3 s Redis restart', async () => {
    expectNothingLost(await run('redis-restart'));
  });

  it("the switch drops the routers' event sockets", async () => {
    expectNothingLost(await run('esl-drop'));
  });

  it('20 silent peers on the routers’ ESL ports are closed, and calls go on', async () => {
    const f = await run('silent-peers');
    expectNothingLost(f);
    expect(f.silentClosed).toBe(20);
  });

  it('a drachtio-server restart under both routers’ SIP edges: they reconnect within 2 s, calls go on', async () => {
    const f = await run('drachtio-restart');
    expectNothingLost(f);
    expect(f.edgeBackMs).toBeLessThan(2000);
  });
});
