// Parked callers (hotline_call_control=park) when the router that drives them dies, on a real FreeSWITCH: no socket
// closes, so the dialplan's failover never runs; another router process finds the dead router's calls in Redis
// (OrphanReaper.sweep) and takes over the parked channels (ParkedCalls.adopt).
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { type RouterProcess, startRouterProcess } from '../helpers/router-process.ts';
import { waitFor } from '../helpers/stack.ts';
import { freeTcpPort, havePeers, type RealFreeSwitch, startFreeSwitch } from './freeswitch.ts';
import { placeCall, startPhones, type Phones } from './sip.ts';
import { admin, QUICK_12345, recordIn, recordsIn } from './routers.ts';
import { tcpProxy } from './tcp-proxy.ts';

describe.skipIf(!havePeers)('real FreeSWITCH: parked callers when their router dies', () => {
  let fs: RealFreeSwitch;
  let prefix: string;
  let redis: Redis;
  let a: RouterProcess | null = null;
  let b: RouterProcess | null = null;
  let phones: Phones;
  let hangers: Phones;

  const router = async (name: string, extra: Record<string, string> = {}) =>
    startRouterProcess({
      HOTLINE_ESL_LISTEN_PORT: String(await freeTcpPort()),
      HOTLINE_FS_PORT: String(fs.eslPort),
      HOTLINE_REDIS_URL: REDIS_URL,
      HOTLINE_REDIS_PREFIX: prefix,
      HOTLINE_INSTANCE_ID: `${name}-${prefix.slice(7, 13)}`,
      HOTLINE_AGENTS_DOMAIN: fs.domain,
      HOTLINE_RING_TIMEOUT_S: '5',
      HOTLINE_WRAPUP_S: '0',
      HOTLINE_PARKED_CALL_SOCKETS: '2',
      ...extra,
    });
  const records = () => recordsIn(redis, prefix);
  const recordOf = (caller: string, timeoutMs = 30_000) => recordIn(redis, prefix, caller, timeoutMs);

  /**
   * 12345 without a greeting and agent g1 (1001) off duty on router `r`, then two callers 800 ms apart, waiting
   * `waits` ms each before they hang up; resolves once both are queued, with the queue (ids and scores).
   */
  const queueTwo = async (r: RouterProcess, callers: [string, string], waits: [number, number]) => {
    expect(
      (await admin(r, '/admin/ivr/12345/publish', 'POST', { operator: 'test', doc: QUICK_12345 })).status,
    ).toBe(200);
    await admin(r, '/admin/agents/g1', 'PUT', { name: '坐席g1', extension: '1001', skills: { general: 1 } });
    const place = (callerId: string, wait: number) =>
      placeCall(fs, { dialled: '12345', callerId, steps: [{ wait }, { hangup: true }] });
    const x = await place(callers[0], waits[0]);
    await new Promise((res) => setTimeout(res, 800));
    const y = await place(callers[1], waits[1]);
    const queue = `${prefix}queue:general:normal`;
    const before = await waitFor(
      async () => {
        const q = await redis.zrange(queue, '0', '-1', 'WITHSCORES');
        return q.length === 4 ? q : null;
      },
      10_000,
      'both callers queued',
    );
    return { x, y, queue, before };
  };

  beforeAll(async () => {
    prefix = testPrefix();
    redis = new Redis(REDIS_URL);
    // No router listens on the socket ports: every hotline caller is parked for the routers' inbound sockets.
    fs = await startFreeSwitch({
      routerPort: await freeTcpPort(),
      backupPort: await freeTcpPort(),
      env: { FS_HOTLINE_CALL_CONTROL: 'park' },
    });
    phones = await startPhones(fs, ['1001', '1002'], { behaviour: 'answer', ringMs: 200 });
    hangers = await startPhones(fs, ['1005'], { behaviour: 'answer', ringMs: 200, talkMs: 3000 });
  });
  afterAll(async () => {
    phones?.stop();
    hangers?.stop();
    await fs?.stop();
    redis?.disconnect();
    await cleanup(prefix);
  });
  afterEach(async () => {
    await a?.kill('SIGKILL');
    await b?.kill('SIGKILL');
    a = b = null;
    await cleanup(prefix);
  });

  it('a parked caller that no router takes goes on to the failover (the dialplan guard), and is recorded', async () => {
    // Connected to FreeSWITCH's event socket (it records from FreeSWITCH's events) but driving no parked caller.
    a = await router('observer', { HOTLINE_PARKED_CALL_SOCKETS: '0' });
    const rung = () => phones.invites().length + hangers.invites().length;
    const before = rung();
    const c = await placeCall(fs, {
      dialled: '12315',
      callerId: '13911120009',
      steps: [{ wait: 15_000 }, { hangup: true }],
    });
    // hotline_park_claim_seconds (4): then the backup router's socket (nobody listens), the apology, the group.
    await waitFor(async () => rung() > before, 14_000, 'the fallback group rung');
    expect((await c.done).code).toBe(0);
    const rec = await recordOf('13911120009');
    expect(rec).toMatchObject({ line: '12315', outcome: 'answered', servedBy: 'fallback-group' });
    expect(fs.log()).toMatch(/primary router unreachable or gone/);
  });

  it('parked callers queued when the router loses its sockets to FreeSWITCH are taken back on reconnect', async () => {
    const proxy = await tcpProxy(fs.eslPort);
    try {
      a = await router('blip', { HOTLINE_FS_PORT: String(proxy.port) });
      await waitFor(
        async () => (await admin(a!, '/health')).body?.parkedCalls?.state === 'connected',
        10_000,
        'parked-call sockets up',
      );
      // The second hangs up while the router cannot hear it.
      const { x, y, queue, before } = await queueTwo(a, ['13911120011', '13911120012'], [30_000, 4_000]);
      proxy.cut(6_000);
      await y.done;
      await waitFor(
        async () => (await admin(a!, '/health')).body?.parkedCalls?.state === 'connected',
        15_000,
        'parked-call sockets back',
      );
      // The one still up keeps its call and its place; the one who left meanwhile is closed and recorded.
      const ry = await recordOf('13911120012');
      expect(ry).toMatchObject({ id: before[2], outcome: 'abandoned' });
      expect(await redis.zrange(queue, '0', '-1', 'WITHSCORES')).toEqual(before.slice(0, 2));
      await admin(a, '/admin/agents/g1/state', 'POST', { state: 'ready' });
      await x.done;
      const rx = await recordOf('13911120011');
      expect(rx).toMatchObject({ id: before[0], outcome: 'answered', agent: 'g1' });
      expect((await records()).filter((r) => r.caller === '13911120011')).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it('callers queued on a router that dies are taken over by another, with their call, place and priority', async () => {
    a = await router('first');
    const { x, y, queue, before } = await queueTwo(a, ['13911120001', '13911120002'], [30_000, 35_000]);
    // The second router starts after the callers were taken by the first (each parked caller goes to one).
    b = await router('second');
    await a.kill('SIGKILL');
    a = null;
    // Once the first router's heartbeat has expired, the second finds its calls and takes the parked channels:
    // same ids, same places (scores).
    await waitFor(
      async () => {
        const ids = [before[0]!, before[2]!];
        const owners = await Promise.all(ids.map((id) => redis.hget(`${prefix}call:${id}`, 'owner')));
        return owners.every((o) => o === `second-${prefix.slice(7, 13)}`);
      },
      20_000,
      'calls taken over by the second router',
    );
    expect(await redis.zrange(queue, '0', '-1', 'WITHSCORES')).toEqual(before);
    // An agent comes on duty: the first caller is served first.
    await admin(b, '/admin/agents/g1/state', 'POST', { state: 'ready' });
    await Promise.all([x.done, y.done]);
    const rx = await recordOf('13911120001');
    const ry = await recordOf('13911120002');
    expect(rx).toMatchObject({ id: before[0], outcome: 'answered', agent: 'g1' });
    expect(ry.id).toBe(before[2]);
    if (ry.outcome === 'answered') expect(ry.answeredAt).toBeGreaterThan(rx.answeredAt);
    expect((await records()).filter((r) => r.caller === '13911120001')).toHaveLength(1);
  });

  it('a conversation up when its router dies goes on, and ends when the agent hangs up: no second agent', async () => {
    a = await router('first');
    b = await router('second');
    await admin(a, '/admin/ivr/12345/publish', 'POST', { operator: 'test', doc: QUICK_12345 });
    // 1005 hangs up 3 s after answering; 1002 would answer a second offer.
    await admin(a, '/admin/agents/t1', 'PUT', { name: '坐席t1', extension: '1005', skills: { general: 1 } });
    await admin(a, '/admin/agents/t1/state', 'POST', { state: 'ready' });
    await admin(a, '/admin/agents/t2', 'PUT', { name: '坐席t2', extension: '1002', skills: { general: 1 } });
    await admin(a, '/admin/agents/t2/state', 'POST', { state: 'ready' });
    const before1002 = phones.invites().filter((e) => e === '1002').length;
    const z = await placeCall(fs, {
      dialled: '12345',
      callerId: '13911120003',
      steps: [{ awaitBye: 40_000 }],
    });
    await waitFor(() => hangers.invites().length > 0, 10_000, 'agent 1005 rung');
    // Whichever router took the caller dies.
    const owner = await waitFor(
      async () => {
        for (const k of await redis.keys(`${prefix}call:*`)) {
          const c = await redis.hgetall(k);
          // In the conversation (the agent answered), not still ringing.
          if (c.caller === '13911120003' && c.owner && c.state === 'talking') return c.owner;
        }
        return null;
      },
      10_000,
      "the call's router, in the conversation",
    );
    const survivor = owner.startsWith('first-') ? b : a;
    if (owner.startsWith('first-')) {
      await a.kill('SIGKILL');
      a = null;
    } else {
      await b.kill('SIGKILL');
      b = null;
    }
    // The agent hangs up; FreeSWITCH ends the caller's call (the caller receives BYE), no second agent is rung.
    expect((await z.done).code).toBe(0);
    // The survivor heard that hangup on its parked-call event socket (its link leaves parked callers out).
    await waitFor(
      async () => (await admin(survivor, '/health')).body?.parkedCalls?.othersHangups >= 1,
      5_000,
      "the caller's hangup heard by the surviving router",
    );
    expect(phones.invites().filter((e) => e === '1002').length).toBe(before1002);
    const rec = await recordOf('13911120003');
    expect(rec).toMatchObject({ outcome: 'answered', agent: 't1' });
  });
});
