// The tidal scheduler in two real routers sharing one Redis prefix: one leads (lease + fencing
// token), tells the agent first (over the desktop WebSocket, which is connected to the other
// instance), moves the agent at the planned time (pool, skills, state), and when the leader stops,
// the other takes over and returns the agent. A scaled clock runs the plan's 90 minutes in seconds.
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AcdStore } from '../../src/acd/store.ts';
import { loadConfig } from '../../src/config/env.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { HotlineRouter } from '../../src/router.ts';
import { issueAgentToken } from '../../src/screen-pop/agent-token.ts';
import { Keys } from '../../src/redis/keys.ts';
import { SwitchEmulator } from '../../src/switch-emulator/index.ts';
import { type Clock, scaledClock } from '../../src/tidal/clock.ts';
import { TidalStore } from '../../src/tidal/store.ts';
import { localMidnight, MINUTE_MS } from '../../src/tidal/time.ts';
import { DEFAULT_PLAN_OPTIONS, type TidalPlan } from '../../src/tidal/types.ts';
import { cleanup, REDIS_URL, testPrefix } from '../helpers/redis.ts';

const DATE = '2025-06-10';
const ORIGIN = localMidnight(DATE) + 9 * 3600_000; // 09:00 China time
const FACTOR = 900; // one real second = 15 virtual minutes
const EFFECTIVE = ORIGIN + 30 * MINUTE_MS;
const RETURN = ORIGIN + 90 * MINUTE_MS;

/** A clock the test can switch from standing still to running scaled. */
class SwitchableClock implements Clock {
  inner: Clock = { now: () => ORIGIN - 3 * 3600_000 };
  now(): number {
    return this.inner.now();
  }
}

async function waitFor<T>(
  fn: () => Promise<T | null | undefined | false>,
  ms: number,
  what: string,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('tidal scheduler: two routers, one leader', () => {
  const prefix = testPrefix();
  const clock = new SwitchableClock();
  const emulator = new SwitchEmulator({ dialplan: () => [], fileDurationMs: () => 200 });
  const logs: string[] = [];
  const redis = new Redis(REDIS_URL);
  const store = new TidalStore(redis, prefix);
  let a: HotlineRouter;
  let b: HotlineRouter;
  let aStopped = false;

  const router = async (instance: string) => {
    const config = loadConfig({
      HOTLINE_HTTP_PORT: '0',
      HOTLINE_ESL_LISTEN_PORT: '0',
      HOTLINE_FS_PORT: String(emulator.eslPort),
      HOTLINE_REDIS_URL: REDIS_URL,
      HOTLINE_REDIS_PREFIX: prefix,
      HOTLINE_INSTANCE_ID: instance,
    });
    const destination = new Writable({
      write(chunk, _e, cb) {
        logs.push(chunk.toString());
        cb();
      },
    });
    const r = new HotlineRouter(config, createLogger({ level: 'info', destination }));
    r.tidal.configure({ clock, tickMs: 100, leaseMs: 1500 });
    await r.start();
    return r;
  };

  beforeAll(async () => {
    await emulator.start();
    a = await router('tidal-a');
    await waitFor(async () => a.tidal.isLeader, 8000, 'router A to lead');
    b = await router('tidal-b');
  });

  afterAll(async () => {
    if (!aStopped) await a?.stop();
    await b?.stop();
    await emulator.stop();
    await cleanup(prefix);
    redis.disconnect();
  });

  it('moves the agent at the planned time, tells it first, and the other instance takes over', async () => {
    // One instance leads; the other stands by.
    expect(a.tidal.isLeader).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(b.tidal.isLeader).toBe(false);
    expect((await store.leader()).instance).toBe('tidal-a');

    // A back-office agent and its tidal profile.
    const acd = a.parts.acd;
    await acd.upsertAgent({ id: 'b1', name: '二线一', extension: '2001', skills: { workorder: 3 } });
    await acd.setAgentState('b1', 'not_ready', 'back-office');
    await store.putRosterAgent({
      id: 'b1',
      homePool: 'back',
      frontSkills: { general: 3, '12333': 4 },
      backSkills: { workorder: 3 },
    });

    // Its desktop is connected to router B, the one that does not lead.
    const token = issueAgentToken(b.config.agentTokenSecret, 'b1', 3600);
    const ws = new WebSocket(`ws://127.0.0.1:${b.httpPort}/agent/ws?token=${token}`);
    const got: Array<{ at: number; msg: Record<string, unknown> }> = [];
    ws.on('message', (d) =>
      got.push({ at: clock.now(), msg: JSON.parse(d.toString()) as Record<string, unknown> }),
    );
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await waitFor(async () => got.some((g) => g.msg.type === 'hello'), 8000, 'hello');

    // The approved plan: b1 on the front line 09:30–10:30, announced two hours ahead.
    const plan: TidalPlan = {
      date: DATE,
      dayStart: localMidnight(DATE),
      intervalMin: 30,
      options: { ...DEFAULT_PLAN_OPTIONS },
      totalSeats: 10,
      capSeats: 1,
      need: [],
      base: [],
      moved: [],
      uncovered: [],
      moves: [
        {
          id: 'p1',
          agentId: 'b1',
          kind: 'planned',
          announceAt: EFFECTIVE - 120 * MINUTE_MS,
          effectiveAt: EFFECTIVE,
          returnAt: RETURN,
          fit: 0.6,
        },
      ],
      status: 'approved',
      version: 1,
      createdAt: ORIGIN - 5 * 3600_000,
      createdBy: 'test',
    };
    await store.putPlan(plan, 0);
    // Standing still at 06:00, nothing is due.
    await new Promise((r) => setTimeout(r, 300));
    expect(got.filter((g) => g.msg.type === 'tidal')).toEqual([]);

    // Time runs from 09:00.
    clock.inner = scaledClock(ORIGIN, FACTOR);
    let movedSeenAt = 0;
    let poolBefore = true;
    await waitFor(
      async () => {
        const pool = await redis.hget(`${prefix}agent:b1`, 'pool');
        const t = clock.now();
        if (pool === 'front') {
          movedSeenAt = t;
          return true;
        }
        if (t >= EFFECTIVE + 20 * MINUTE_MS) poolBefore = false; // still not moved well after its time
        return false;
      },
      8000,
      'the move',
    );
    expect(poolBefore).toBe(true);
    // At its time: not before, and within a few ticks (a tick is 100 ms = 1.5 virtual minutes; a
    // loaded CI machine may delay a few of them).
    expect(movedSeenAt).toBeGreaterThanOrEqual(EFFECTIVE);
    expect(movedSeenAt).toBeLessThan(EFFECTIVE + 20 * MINUTE_MS);
    // The pool is written first, the skills and the state just after: wait for the whole move.
    const moved = await waitFor(
      async () => {
        const a = await acd.getAgent('b1');
        return a && 'general' in a.skills && a.state === 'ready' ? a : null;
      },
      5000,
      'the front-line skills and state',
    );
    expect(moved.skills).toEqual({ general: 3, '12333': 4 });
    expect(moved.pool).toBe('front');
    expect(moved.state).toBe('ready');
    // Ready with the front-line skills where the dispatcher finds it: in a replica's load of the ACD state.
    const acdState = await new AcdStore(redis, new Keys(prefix)).fullState(['general']);
    expect(acdState.agents.find((a) => a.id === 'b1')?.skills).toEqual({ general: 3, '12333': 4 });

    // Told first: the announcement and the reminder reached the desktop on B before the move.
    const tidal = () => got.filter((g) => g.msg.type === 'tidal');
    await waitFor(async () => tidal().length >= 3, 8000, 'the notice at the move');
    const [announce, remind, atMove] = tidal();
    expect(announce!.at).toBeLessThan(EFFECTIVE);
    expect(announce!.msg).toMatchObject({
      toPool: 'front',
      fromPool: 'back',
      effectiveAt: EFFECTIVE,
      time: '09:30',
    });
    expect(String(announce!.msg.text)).toMatch(/09:30 转到一线接听/);
    expect(remind!.at).toBeLessThan(EFFECTIVE);
    expect(remind!.at).toBeGreaterThanOrEqual(EFFECTIVE - 15 * MINUTE_MS);
    expect(String(remind!.msg.text)).toMatch(/分钟后/);
    expect(atMove!.at).toBeGreaterThanOrEqual(EFFECTIVE);
    expect(String(atMove!.msg.text)).toMatch(/现在转到一线接听/);
    expect(got.some((g) => g.msg.type === 'state' && g.msg.state === 'ready')).toBe(true);

    // The leader stops (and gives up its lease): B takes over and carries out the return.
    const fenceA = (await store.leader()).fence;
    await a.stop();
    aStopped = true;
    await waitFor(async () => b.tidal.isLeader, 8000, 'router B to lead');
    const lead = await store.leader();
    expect(lead.instance).toBe('tidal-b');
    expect(lead.fence).toBe(fenceA + 1);
    await waitFor(async () => (await redis.hget(`${prefix}agent:b1`, 'pool')) === 'back', 8000, 'the return');
    expect(clock.now()).toBeGreaterThanOrEqual(RETURN);
    const back = await waitFor(
      async () => {
        const a = await b.parts.acd.getAgent('b1');
        return a && 'workorder' in a.skills && a.state === 'not_ready' ? a : null;
      },
      5000,
      'the back-office skills and state',
    );
    expect(back.skills).toEqual({ workorder: 3 });
    expect(back.state).toBe('not_ready');
    expect(back.reason).toBe('back-office');
    await waitFor(async () => tidal().length >= 5, 8000, 'the notice at the return');
    const texts = tidal().map((g) => String(g.msg.text));
    expect(texts[3]).toMatch(/回到二线工单处理/);
    expect(texts[4]).toMatch(/现在回到二线工单处理/);
    expect(tidal().map((g) => g.msg.toPool)).toEqual(['front', 'front', 'front', 'back', 'back']);

    // Audited once each, by whoever led at the time.
    const audit = await store.auditEntries({ date: DATE });
    const moves = audit.filter((e) => e.action === 'move');
    const returns = audit.filter((e) => e.action === 'return');
    expect(moves).toHaveLength(1);
    expect(moves[0]).toMatchObject({ actor: 'scheduler:tidal-a', agentId: 'b1', toPool: 'front' });
    expect(moves[0]!.skillsAfter).toEqual({ general: 3, '12333': 4 });
    expect(returns).toHaveLength(1);
    expect(returns[0]).toMatchObject({
      actor: 'scheduler:tidal-b',
      toPool: 'back',
      skillsAfter: { workorder: 3 },
    });
    expect(audit.filter((e) => e.action === 'notice')).toHaveLength(3);
    const done = await store.done(DATE);
    expect(Object.values(done).every((d) => d.outcome === 'done')).toBe(true);
    expect(Object.keys(done).sort()).toEqual(
      [
        'p1:announce:' + EFFECTIVE,
        'p1:move',
        'p1:remind-return:' + RETURN,
        'p1:remind:' + EFFECTIVE,
        'p1:return',
      ].sort(),
    );
    ws.close();
  }, 30_000);
});

describe('tidal leadership: lease and fencing', () => {
  const prefix = testPrefix();
  const redis = new Redis(REDIS_URL);
  afterAll(async () => {
    await cleanup(prefix);
    redis.disconnect();
  });

  it('a leader whose lease ran out can no longer act; a step is claimed once; a dead claim is taken over', async () => {
    const s = new TidalStore(redis, prefix);
    const rec = (fence: number, outcome: 'claimed' | 'done' = 'done') => ({ at: 0, by: 'x', fence, outcome });
    const t1 = await s.acquire('x', 150);
    expect(t1).toBeGreaterThan(0);
    expect(await s.acquire('y', 150)).toBe(0); // x holds the lease
    expect(await s.renew('x', t1, 150)).toBe(true);
    await new Promise((r) => setTimeout(r, 250)); // x pauses; its lease runs out
    const t2 = await s.acquire('y', 5000);
    expect(t2).toBe(t1 + 1);
    // x wakes up: it may neither renew nor write.
    expect(await s.renew('x', t1, 150)).toBe(false);
    expect(await s.claim('x', t1, DATE, 'p1:move', rec(t1), { agentId: 'b1', pool: 'front' })).toBe(-1);
    // y claims once; a second claim of the same step is refused.
    expect(await s.claim('y', t2, DATE, 'p1:move', rec(t2, 'claimed'))).toBe(1);
    expect(await s.claim('y', t2, DATE, 'p1:move', rec(t2))).toBe(0);
    // y dies mid-step; z, the next leader, takes the unfinished step over, but not a finished one.
    await s.release('y', t2);
    const t3 = await s.acquire('z', 5000);
    expect(await s.claim('z', t3, DATE, 'p1:move', rec(t3, 'claimed'))).toBe(1);
    await s.finish(DATE, 'p1:move', rec(t3));
    expect(await s.claim('z', t3, DATE, 'p1:move', rec(t3))).toBe(0);
    expect((await s.done(DATE))['p1:move']).toMatchObject({ fence: t3, outcome: 'done' });
  });
});
