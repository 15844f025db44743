// The ACD's Redis scripts against a real Redis: reservations are exclusive, no-answers keep the
// caller's place, finished calls free their agent, and stale decisions are refused.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assign, assignQueues } from '../../src/acd/policy.ts';
import { AcdReplica } from '../../src/acd/replica.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { AcdStore, type CallInfo } from '../../src/acd/store.ts';
import { DEFAULT_SETTINGS, defaultQueue, type QueueConfig } from '../../src/acd/types.ts';
import { Keys } from '../../src/redis/keys.ts';
import { cleanup, REDIS_URL, testPrefix } from '../helpers/redis.ts';

const prefix = testPrefix();
const keys = new Keys(prefix);
const silentLog = createLogger({ level: 'silent' });
let redis: Redis;
let acd: AcdStore;
const queues = new Map<string, QueueConfig>([
  ['hrss', defaultQueue('hrss')],
  ['general', defaultQueue('general')],
]);
const pairs = async (skill = 'hrss') =>
  assign(await acd.waiting([skill]), await acd.readyAgents(), Date.now(), queues, DEFAULT_SETTINGS).map(
    ({ callId, agentId }) => ({ callId, agentId }),
  );

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

async function arrive(id: string, skill = 'hrss') {
  await acd.createCall(call(id, skill));
  await acd.enqueue(id, skill, [], 'normal');
  await new Promise((r) => setTimeout(r, 3));
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
    await arrive('c1');
    await arrive('c2');
    expect(await pairs()).toEqual([
      { callId: 'c1', agentId: 'a2' },
      { callId: 'c2', agentId: 'a1' },
    ]);
    expect(await acd.reserve('c1', 'a2', 'hrss', 30)).toEqual({ ok: true, owner: 'inst-a', skill: 'hrss' });
    // A second decision taken on stale data is refused, not applied twice.
    expect(await acd.reserve('c1', 'a1', 'hrss', 30)).toEqual({ ok: false, reason: 'call-not-waiting' });
    expect(await acd.reserve('c2', 'a2', 'hrss', 30)).toEqual({ ok: false, reason: 'agent-not-ready' });
    expect(await acd.reserve('c2', 'a3', 'hrss', 30)).toEqual({ ok: false, reason: 'agent-lacks-skill' });
    expect((await acd.readyAgents()).map((a) => a.id).sort()).toEqual(['a1', 'a3']);
  });

  it('a skill whose name another skill contains is not that skill; the reservation reaches the replicas', async () => {
    await acd.upsertAgent({
      id: 'a9',
      name: '赵"六',
      extension: '1009',
      skills: { 'hrss-x': 2, general_2: 1 },
    });
    await acd.setAgentState('a9', 'ready');
    // A line of its own: c2 still waits in hrss's, and nobody overtakes a caller earlier in their line.
    await arrive('c9', 'tax');
    const changes: unknown[] = [];
    acd.onChanges = (c) => changes.push(...c);
    expect(await acd.reserve('c9', 'a9', 'hrss', 30)).toEqual({ ok: false, reason: 'agent-lacks-skill' });
    expect(await acd.reserve('c9', 'a9', 'general', 30)).toEqual({ ok: false, reason: 'agent-lacks-skill' });
    expect(await acd.reserve('c9', 'a9', 'hrss-x', 30)).toMatchObject({ ok: true });
    // The script's reply carries the entry the replicas apply.
    expect(changes).toEqual([
      expect.objectContaining({ kind: 'agent', id: 'a9', state: 'reserved' }),
      expect.objectContaining({ kind: 'call', id: 'c9', state: 'offering' }),
    ]);
    acd.onChanges = null;
    await acd.release('c9', 'a9');
    await acd.finish('c9', 0);
    await acd.setAgentState('a9', 'logged_out');
  });

  it('puts a call back in its own place after a no-answer and skips the agent who missed it', async () => {
    await arrive('c3');
    expect(await acd.noAnswer('c1', 'a2', 3)).toBe('ready');
    const waiting = await acd.waiting(['hrss']);
    expect(waiting.map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
    expect(waiting[0]!.tried).toEqual(['a2']);
    expect((await acd.getAgent('a2'))!.noAnswerStreak).toBe(1);
    // a2 is ready again but must not get c1 back; c1 goes to a1, c2 to a2.
    expect(await pairs()).toEqual([
      { callId: 'c1', agentId: 'a1' },
      { callId: 'c2', agentId: 'a2' },
    ]);
  });

  it('frees the agent when a call ends: to wrap-up after a talk, to ready after a ring', async () => {
    expect((await acd.reserve('c1', 'a1', 'hrss', 30)).ok).toBe(true);
    await acd.connect('c1', 'a1');
    expect((await acd.getAgent('a1'))!.state).toBe('talking');
    expect(await acd.finish('c1', 10)).toBe('talking');
    expect((await acd.getAgent('a1'))!.state).toBe('wrapup');
    expect((await acd.readyAgents()).map((a) => a.id)).not.toContain('a1');
    expect(await acd.endWrapup('a1')).toBe(true);
    expect((await acd.getAgent('a1'))!.state).toBe('ready');

    expect((await acd.reserve('c2', 'a2', 'hrss', 30)).ok).toBe(true);
    expect(await acd.finish('c2', 10)).toBe('offering');
    expect((await acd.getAgent('a2'))!.state).toBe('ready');
  });

  it('an answer or an end applied twice (sent again after a reply lost to a Redis restart) changes nothing more', async () => {
    await arrive('d1', 'tax');
    expect(await acd.reserve('d1', 'a1', 'hrss', 30)).toEqual({ ok: true, owner: 'inst-a', skill: 'tax' });
    // The same reservation again is the same answer (no agent left reserved with nobody ringing them); another
    // agent for the call is refused.
    expect(await acd.reserve('d1', 'a1', 'hrss', 30)).toEqual({ ok: true, owner: 'inst-a', skill: 'tax' });
    expect(await acd.reserve('d1', 'a2', 'hrss', 30)).toEqual({ ok: false, reason: 'call-not-waiting' });
    await acd.setRinging('a1', 'd1');
    expect(await acd.reserve('d1', 'a1', 'hrss', 30)).toEqual({ ok: false, reason: 'call-not-waiting' });
    expect(await acd.connect('d1', 'a1')).toBe(true);
    // The second CONNECT used to be refused, and the router ended a conversation that was going on.
    expect(await acd.connect('d1', 'a1')).toBe(true);
    expect((await acd.getCall('d1'))!.state).toBe('talking');
    expect(await acd.connect('d1', 'a2')).toBe(false);
    expect(await acd.finish('d1', 10)).toBe('talking');
    expect((await acd.getAgent('a1'))!.state).toBe('wrapup');
    // The second FINISH used to free the agent from their wrap-up.
    expect(await acd.finish('d1', 10)).toBe('ended');
    expect((await acd.getAgent('a1'))!.state).toBe('wrapup');
    expect(await acd.endWrapup('a1')).toBe(true);
  });

  it('takes an abandoned call out of the queue', async () => {
    expect(await acd.finish('c3', 0)).toBe('queued');
    expect(await acd.queueLength('hrss')).toBe(0);
  });

  it('never offers an agent in wrap-up or not ready', async () => {
    await acd.setAgentState('a2', 'not_ready', 'meal');
    await acd.setAgentState('a1', 'ready');
    expect((await acd.reserve('c9', 'a1', 'hrss', 30)).ok).toBe(false);
    await arrive('c4');
    expect((await acd.reserve('c4', 'a1', 'hrss', 30)).ok).toBe(true);
    await acd.connect('c4', 'a1');
    await acd.finish('c4', 30);
    await arrive('c5');
    expect(await pairs()).toEqual([]);
    expect(await acd.reserve('c5', 'a1', 'hrss', 30)).toEqual({ ok: false, reason: 'agent-not-ready' });
    expect(await acd.reserve('c5', 'a2', 'hrss', 30)).toEqual({ ok: false, reason: 'agent-not-ready' });
  });

  it('sets an agent not ready after K offers missed in a row', async () => {
    await acd.setAgentState('a2', 'ready');
    for (let i = 1; i <= 3; i++) {
      expect((await acd.reserve('c5', 'a2', 'hrss', 30)).ok).toBe(true);
      expect(await acd.noAnswer('c5', 'a2', 3)).toBe(i < 3 ? 'ready' : 'not_ready');
    }
    expect(await acd.getAgent('a2')).toMatchObject({
      state: 'not_ready',
      reason: 'no-answer',
      noAnswerStreak: 3,
    });
    expect((await acd.waiting(['hrss'])).map((c) => c.id)).toEqual(['c5']);
  });

  it('releases a reservation its router never confirmed, and the call keeps its place', async () => {
    await acd.endWrapup('a1');
    expect((await acd.reserve('c5', 'a1', 'hrss', 1)).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 1200));
    expect(await acd.sweep()).toEqual({
      released: [{ agentId: 'a1', callId: 'c5' }],
      wrapupsEnded: [],
      strays: [],
    });
    expect((await acd.getAgent('a1'))!.state).toBe('ready');
    expect((await acd.waiting(['hrss'])).map((c) => c.id)).toEqual(['c5']);
    await acd.finish('c5', 0);
  });

  it('refuses to offer a call whose router is gone', async () => {
    await acd.createCall({ ...call('c6'), owner: 'dead-instance' });
    await acd.enqueue('c6', 'hrss', [], 'normal');
    expect(await acd.reserve('c6', 'a1', 'hrss', 30)).toEqual({ ok: false, reason: 'owner-gone' });
    expect(await acd.adopt('c6', 'inst-a')).toEqual({ ok: true, state: 'queued' });
    expect((await acd.reserve('c6', 'a1', 'hrss', 30)).ok).toBe(true);
  });

  it('does not let a call whose router died take the agent a live call needs', async () => {
    await acd.createCall({ ...call('d1'), owner: 'dead-instance', arrivedAt: Date.now() - 60_000 });
    await acd.enqueue('d1', 'general', [], 'care');
    await acd.createCall({ ...call('l1', 'general') });
    await acd.enqueue('l1', 'general', [], 'normal');
    await acd.setAgentState('a3', 'ready');
    const replica = new AcdReplica(acd, keys, async () => ['general'], silentLog);
    await replica.start();
    try {
      await replica.refresh(Date.now(), true);
      const pairs = assignQueues(
        replica.state.queueLists(),
        replica.offerableAgents(),
        Date.now(),
        queues,
        DEFAULT_SETTINGS,
        { skip: (c) => replica.ownerGone(c) },
      );
      expect(pairs.map((p) => p.callId)).not.toContain('d1');
      expect(pairs.find((p) => p.callId === 'l1')).toBeTruthy();
    } finally {
      replica.stop();
    }
  });

  it('refuses a desktop or supervisor state change over a reservation', async () => {
    await acd.setAgentState('a3', 'ready');
    expect((await acd.reserve('l1', 'a3', 'general', 30)).ok).toBe(true);
    await expect(acd.setAgentState('a3', 'not_ready', 'meal')).rejects.toThrow('agent-busy');
    expect((await acd.getAgent('a3'))!.state).toBe('reserved');
    // A late answer for a reservation that went elsewhere is refused too.
    expect(await acd.connect('l1', 'a1')).toBe(false);
    expect(await acd.connect('l1', 'a3')).toBe(true);
  });
});

describe('a phone that drops calls as it answers', () => {
  /** One offer of a new call to d1, answered: where a lost join begins. */
  async function answered(id: string): Promise<void> {
    await arrive(id, 'drops');
    expect((await acd.reserve(id, 'd1', 'drops', 30)).ok).toBe(true);
    expect(await acd.connect(id, 'd1')).toBe(true);
  }
  const d1 = async () => (await acd.getAgent('d1'))!;

  it('sets the agent not ready after K quick losses in a row; slow losses and conversations do not count', async () => {
    await acd.upsertAgent({ id: 'd1', name: '赵六', extension: '1009', skills: { drops: 1 } });
    await acd.setAgentState('d1', 'ready');
    await answered('dr1');
    expect(await acd.droppedJoin('dr1', 'd1', 2, true)).toBe('ready');
    expect(await d1()).toMatchObject({ state: 'ready', dropStreak: 1, callId: undefined });
    // A join that waited on an overloaded switch until the agent gave up is not the phone's doing.
    await answered('dr2');
    expect(await acd.droppedJoin('dr2', 'd1', 2, false)).toBe('ready');
    expect((await d1()).dropStreak).toBe(1);
    await answered('dr3');
    expect(await acd.droppedJoin('dr3', 'd1', 2, true)).toBe('not_ready');
    expect(await d1()).toMatchObject({ state: 'not_ready', reason: 'phone-drops', dropStreak: 2 });
    // Not offered while not ready; ready again (the agent's own act) starts a new count.
    await arrive('dr4', 'drops');
    expect(await acd.readyAgents()).not.toContainEqual(expect.objectContaining({ id: 'd1' }));
    await acd.setAgentState('d1', 'ready');
    expect(await d1()).toMatchObject({ state: 'ready', dropStreak: 0 });
    expect((await acd.reserve('dr4', 'd1', 'drops', 30)).ok).toBe(true);
    expect(await acd.connect('dr4', 'd1')).toBe(true);
    expect(await acd.droppedJoin('dr4', 'd1', 2, true)).toBe('ready');
    // A conversation clears the count: the phone works.
    await answered('dr5');
    await acd.releaseAfterTransfer('d1', 'dr5', 5);
    expect(await d1()).toMatchObject({ state: 'wrapup', dropStreak: 0 });
    // A loss reported for a call the agent no longer holds changes nothing.
    expect(await acd.droppedJoin('dr4', 'd1', 2, true)).toBe('unchanged');
    expect(await d1()).toMatchObject({ state: 'wrapup', dropStreak: 0 });
    for (const id of ['dr1', 'dr2', 'dr3', 'dr4', 'dr5']) await acd.finish(id, 0);
    await acd.setAgentState('d1', 'logged_out', '', '', true);
  });
});

describe('ACD store: the first offer', () => {
  it('keeps when a phone first rang for a call, through a no-answer and the next offer', async () => {
    await acd.upsertAgent({ id: 'oa1', name: '赵六', extension: '1011', skills: { hrss: 1 } });
    await acd.upsertAgent({ id: 'oa2', name: '钱七', extension: '1012', skills: { hrss: 1 } });
    await acd.setAgentState('oa1', 'ready');
    await acd.setAgentState('oa2', 'ready');
    await arrive('o1');
    expect((await acd.getCall('o1'))!.firstOfferedAt).toBeUndefined();
    const before = Date.now();
    expect((await acd.reserve('o1', 'oa1', 'hrss', 30)).ok).toBe(true);
    const first = (await acd.getCall('o1'))!.firstOfferedAt!;
    expect(first).toBeGreaterThanOrEqual(before);
    expect(first).toBeLessThanOrEqual(Date.now());
    expect(await acd.noAnswer('o1', 'oa1', 3)).toBe('ready');
    await new Promise((r) => setTimeout(r, 5));
    expect((await acd.reserve('o1', 'oa2', 'hrss', 30)).ok).toBe(true);
    expect((await acd.getCall('o1'))!.firstOfferedAt).toBe(first);
    await acd.release('o1', 'oa2');
    await acd.finish('o1', 0);
  });
});
