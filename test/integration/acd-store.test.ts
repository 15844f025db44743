// The ACD's Redis scripts against a real Redis: reservations are exclusive, no-answers keep the
// caller's place, and finished calls free their agent.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assign } from '../../src/acd/policy.ts';
import { AcdStore, type CallInfo } from '../../src/acd/store.ts';
import { Keys } from '../../src/redis/keys.ts';
import { cleanup, REDIS_URL, testPrefix } from '../helpers/redis.ts';

const prefix = testPrefix();
const keys = new Keys(prefix);
let redis: Redis;
let acd: AcdStore;

function call(id: string, skill = 'hrss'): CallInfo {
  return {
    id,
    uuid: `uuid-${id}`,
    owner: 'inst-a',
    line: '12333',
    lineName: '人社',
    mergeMode: 'dual',
    skill,
    caller: '13800000000',
    dialled: '12333',
    priority: 'normal',
    ivrPath: [],
    arrivedAt: Date.now(),
  };
}

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  acd = new AcdStore(redis, keys);
  await redis.set(keys.instanceAlive('inst-a'), '1', 'EX', 60);
  await acd.upsertAgent({ id: 'a1', name: '张三', extension: '1001', skills: { hrss: 1, general: 1 } });
  await acd.upsertAgent({ id: 'a2', name: '李四', extension: '1002', skills: { hrss: 1 } });
  await acd.upsertAgent({ id: 'a3', name: '王五', extension: '1003', skills: { general: 1 } });
});

afterAll(async () => {
  redis.disconnect();
  await cleanup(prefix);
});

describe('ACD store', () => {
  it('offers the longest-idle agent with the skill, and each agent only once', async () => {
    await acd.setAgentState('a2', 'ready');
    await new Promise((r) => setTimeout(r, 5));
    await acd.setAgentState('a1', 'ready');
    await acd.setAgentState('a3', 'ready');
    await acd.createCall(call('c1'));
    await acd.enqueue('c1', 'hrss', [], 'normal');
    await acd.createCall(call('c2'));
    await acd.enqueue('c2', 'hrss', [], 'normal');

    const pairs = assign(await acd.waiting('hrss'), await acd.readyAgents('hrss'));
    expect(pairs).toEqual([
      { callId: 'c1', agentId: 'a2' },
      { callId: 'c2', agentId: 'a1' },
    ]);
    expect(await acd.reserve('c1', 'a2', 30)).toEqual({ ok: true, owner: 'inst-a' });
    // A second decision taken on stale data is refused, not applied twice.
    expect(await acd.reserve('c1', 'a1', 30)).toEqual({ ok: false, reason: 'call-not-waiting' });
    expect(await acd.reserve('c2', 'a2', 30)).toEqual({ ok: false, reason: 'agent-not-ready' });
    expect(await acd.reserve('c2', 'a3', 30)).toEqual({ ok: false, reason: 'agent-lacks-skill' });
    expect((await acd.readyAgents('hrss')).map((a) => a.id)).toEqual(['a1']);
    expect((await acd.readyAgents('general')).map((a) => a.id)).toEqual(['a1', 'a3']);
  });

  it('puts a call back in its own place after a no-answer and skips the agent who missed it', async () => {
    const before = await redis.zscore(keys.queue('hrss'), 'c2');
    await acd.createCall(call('c3'));
    await acd.enqueue('c3', 'hrss', [], 'normal');
    expect(await acd.requeue('c1', 'a2', 'ready', '')).toBe('queued');
    const order = (await acd.waiting('hrss')).map((c) => c.id);
    expect(order).toEqual(['c1', 'c2', 'c3']);
    expect(before).not.toBeNull();
    const waiting = await acd.waiting('hrss');
    expect(waiting[0]!.tried).toEqual(['a2']);
    // a2 is now ready again but must not get c1 back; c1 goes to a1, c2 to a2.
    expect(assign(waiting, await acd.readyAgents('hrss'))).toEqual([
      { callId: 'c1', agentId: 'a1' },
      { callId: 'c2', agentId: 'a2' },
    ]);
  });

  it('frees the agent when a call ends, to wrap-up after a talk and to ready after a ring', async () => {
    expect((await acd.reserve('c1', 'a1', 30)).ok).toBe(true);
    await acd.connect('c1', 'a1');
    expect((await acd.getAgent('a1'))!.state).toBe('talking');
    expect(await acd.finish('c1', 'wrapup')).toBe('talking');
    expect((await acd.getAgent('a1'))!.state).toBe('wrapup');
    expect((await acd.readyAgents('hrss')).map((a) => a.id)).not.toContain('a1');

    expect((await acd.reserve('c2', 'a2', 30)).ok).toBe(true);
    expect(await acd.finish('c2', 'wrapup')).toBe('offering');
    expect((await acd.getAgent('a2'))!.state).toBe('ready');
  });

  it('takes an abandoned call out of the queue', async () => {
    expect(await acd.finish('c3', 'ready')).toBe('queued');
    expect(await acd.queueLength('hrss')).toBe(0);
  });

  it('never offers an agent in wrap-up or not ready', async () => {
    await acd.setAgentState('a2', 'not_ready', 'meal');
    await acd.createCall(call('c4'));
    await acd.enqueue('c4', 'hrss', [], 'normal');
    expect(assign(await acd.waiting('hrss'), await acd.readyAgents('hrss'))).toEqual([]);
    expect(await acd.reserve('c4', 'a1', 30)).toEqual({ ok: false, reason: 'agent-not-ready' });
    expect(await acd.reserve('c4', 'a2', 30)).toEqual({ ok: false, reason: 'agent-not-ready' });
  });

  it('releases a reservation its router never confirmed', async () => {
    await acd.setAgentState('a1', 'ready');
    expect((await acd.reserve('c4', 'a1', 1)).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 1200));
    expect(await acd.sweepExpiredReservations()).toEqual(['a1']);
    expect((await acd.getAgent('a1'))!.state).toBe('ready');
    expect((await acd.waiting('hrss')).map((c) => c.id)).toEqual(['c4']);
  });
});
