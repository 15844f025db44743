// Calls of a dead router whose hangup no router heard (issue 11, finding 1): the event socket was down when the
// channels went, so the orphan reaper's event path never ran. The survivor's sweep asks the switch, closes and
// records each call whose channel is gone, and frees its agent; a channel still up is left alone.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { callInfo } from '../helpers/acd.ts';
import { hotlineCallDialplan } from '../../src/switch-emulator/index.ts';
import { type Stack, startStack, waitFor } from '../helpers/stack.ts';
import { recentRecords } from '../helpers/recent-records.ts';

let stack: Stack | null = null;
afterEach(async () => {
  await stack?.stop();
  stack = null;
});

describe("a dead router's calls nobody heard end", () => {
  it('are closed, recorded and their agents freed; a live channel of a dead router is left alone', async () => {
    const s = (stack = await startStack(
      {},
      {
        // 99999: a channel that never reaches the router (parked), standing for one a dead router left up.
        dialplan: (call, port) =>
          call.destination === '99999'
            ? [
                { app: 'answer', data: '' },
                { app: 'park', data: '' },
              ]
            : hotlineCallDialplan(`127.0.0.1:${port}`)(call),
      },
    ));
    const { acd, redis } = s.router.parts;
    await s.addAgent('o1', '1001', { general: 1 }, false);
    const dead = 'router-that-died';
    // A caller who was waiting in the dead router's queue; their channel is gone.
    const waiting = { ...callInfo('orph-waiting', dead), uuid: randomUUID() };
    await acd.createCall(waiting, 'queued');
    await redis.hset(acd.keys.call(waiting.id), { queuedAt: Date.now(), firstQueuedAt: Date.now() });
    await redis.zadd(acd.keys.queue('general', 'normal'), Date.now(), waiting.id);
    await acd.notify('call', waiting.id);
    // An agent shown talking on a call of the dead router; its channels are gone.
    const talking = { ...callInfo('orph-talking', dead), uuid: randomUUID() };
    await acd.createCall(talking, 'queued');
    await redis.hset(acd.keys.call(talking.id), {
      state: 'talking',
      agent: 'o1',
      answeredAt: Date.now() - 5000,
    });
    await redis.hset(acd.keys.agent('o1'), { state: 'talking', callId: talking.id });
    // A caller of the dead router whose channel is still up on the switch (parked in the dialplan's fallback).
    const live = s.emulator.placeCall({
      destination: '99999',
      callerIdNumber: '13900000077',
      patienceMs: 60_000,
    });
    const up = { ...callInfo('orph-live', dead), uuid: live.uuid };
    await acd.createCall(up, 'queued');
    await redis.hset(acd.keys.call(up.id), { queuedAt: Date.now(), firstQueuedAt: Date.now() });
    await redis.zadd(acd.keys.queue('general', 'normal'), Date.now(), up.id);
    await acd.notify('call', up.id);

    await waitFor(
      async () => {
        await s.router.sweepOrphans(true);
        await new Promise((r) => setTimeout(r, 500));
        const [w, t] = await Promise.all([acd.getCall(waiting.id), acd.getCall(talking.id)]);
        return w?.state === 'ended' && t?.state === 'ended';
      },
      30_000,
      'both dead calls closed',
    );
    // A call is closed in the ACD before its record is written: wait for the records themselves.
    const byId = await waitFor(
      async () => {
        const recs = await recentRecords(s.admin);
        const m = new Map(recs.map((r) => [r.uuid, r]));
        return m.has(waiting.uuid) && m.has(talking.uuid) ? m : null;
      },
      10_000,
      'both records written',
    );
    expect(byId.get(waiting.uuid)).toMatchObject({ outcome: 'abandoned' });
    expect(byId.get(talking.uuid)).toMatchObject({ outcome: 'answered', agent: 'o1' });
    expect(byId.get(talking.uuid)!.instance).toMatch(/router-that-died, which died/);
    const agents = (await s.admin('/admin/agents')).body as Array<{ id: string; state: string }>;
    expect(agents.find((a) => a.id === 'o1')!.state).toBe('ready');
    // The live one: still waiting, untouched.
    expect((await acd.getCall(up.id))!.state).toBe('queued');
    expect(byId.has(up.uuid)).toBe(false);
    live.hangup();
  }, 40_000);
});
