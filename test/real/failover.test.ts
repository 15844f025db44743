// Router failover on a real FreeSWITCH: two router processes on one Redis behind the project's dialplan (primary
// socket, then the failover extensions: backup router, apology and fallback group). A router killed with callers
// queued, a router killed mid-conversation, and calls that no router takes.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { type RouterProcess, startRouterProcess } from '../helpers/router-process.ts';
import { waitFor } from '../helpers/stack.ts';
import { freeTcpPort, havePeers, type RealFreeSwitch, startFreeSwitch } from './freeswitch.ts';
import { placeCall, startPhones, type Phones } from './sip.ts';
import { startRealStack } from './stack.ts';
import { admin, QUICK_12345, recordIn, recordsIn } from './routers.ts';

describe.skipIf(!havePeers)('real FreeSWITCH: router failover', () => {
  let fs: RealFreeSwitch;
  let prefix: string;
  let redis: Redis;
  let a: RouterProcess | null = null;
  let b: RouterProcess | null = null;
  let phones: Phones;
  let hangers: Phones;
  let primaryPort: number;
  let backupPort: number;

  const router = (port: number, name: string, extra: Record<string, string> = {}) =>
    startRouterProcess({
      ...extra,
      HOTLINE_ESL_LISTEN_PORT: String(port),
      HOTLINE_FS_PORT: String(fs.eslPort),
      HOTLINE_REDIS_URL: REDIS_URL,
      HOTLINE_REDIS_PREFIX: prefix,
      HOTLINE_INSTANCE_ID: `${name}-${prefix.slice(7, 13)}`,
      HOTLINE_AGENTS_DOMAIN: fs.domain,
      HOTLINE_RING_TIMEOUT_S: '5',
      HOTLINE_WRAPUP_S: '0',
    });
  const records = () => recordsIn(redis, prefix);
  const recordOf = (caller: string, timeoutMs = 20_000) => recordIn(redis, prefix, caller, timeoutMs);

  beforeAll(async () => {
    prefix = testPrefix();
    redis = new Redis(REDIS_URL);
    primaryPort = await freeTcpPort();
    backupPort = await freeTcpPort();
    fs = await startFreeSwitch({ routerPort: primaryPort, backupPort });
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

  it('callers queued on a router that dies keep their call, place and priority on the backup router', async () => {
    a = await router(primaryPort, 'primary');
    b = await router(backupPort, 'backup');
    expect(
      (await admin(a, '/admin/ivr/12345/publish', 'POST', { operator: 'test', doc: QUICK_12345 })).status,
    ).toBe(200);
    await admin(a, '/admin/agents/g1', 'PUT', { name: '坐席g1', extension: '1001', skills: { general: 1 } });
    const x = await placeCall(fs, {
      dialled: '12345',
      callerId: '13911110001',
      steps: [{ wait: 12_000 }, { hangup: true }],
    });
    await new Promise((r) => setTimeout(r, 800));
    const y = await placeCall(fs, {
      dialled: '12345',
      callerId: '13911110002',
      steps: [{ wait: 20_000 }, { hangup: true }],
    });
    const queue = `${prefix}queue:general:normal`;
    const before = await waitFor(
      async () => {
        const q = await redis.zrange(queue, '0', '-1', 'WITHSCORES');
        return q.length === 4 ? q : null;
      },
      10_000,
      'both callers queued',
    );
    const killedAt = Date.now();
    await a.kill('SIGKILL');
    a = null;
    // The backup router has the channels within moments, and takes both calls by their uuid: same ids, same
    // places (scores), now owned by the backup.
    await waitFor(
      async () => {
        const ids = [before[0]!, before[2]!];
        const owners = await Promise.all(ids.map((id) => redis.hget(`${prefix}call:${id}`, 'owner')));
        return owners.every((o) => o === `backup-${prefix.slice(7, 13)}`);
      },
      5000,
      'calls adopted by the backup',
    );
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs).toBeLessThan(5000);
    expect(await redis.zrange(queue, '0', '-1', 'WITHSCORES')).toEqual(before);
    // An agent comes on duty: the first caller is served first.
    await admin(b, '/admin/agents/g1/state', 'POST', { state: 'ready' });
    await Promise.all([x.done, y.done]);
    const rx = await recordOf('13911110001');
    const ry = await recordOf('13911110002');
    expect(rx).toMatchObject({ id: before[0], outcome: 'answered', agent: 'g1' });
    expect(ry.id).toBe(before[2]);
    if (ry.outcome === 'answered') expect(ry.answeredAt).toBeGreaterThan(rx.answeredAt);
    // Neither heard the greeting twice nor was counted twice.
    expect((await records()).filter((r) => r.caller === '13911110001')).toHaveLength(1);
    expect(await redis.zcard(queue)).toBe(0);
  });

  it('a conversation up when its router dies goes on, and ends when the agent hangs up: no second agent', async () => {
    a = await router(primaryPort, 'primary');
    b = await router(backupPort, 'backup');
    await admin(a, '/admin/ivr/12345/publish', 'POST', { operator: 'test', doc: QUICK_12345 });
    // 1005 hangs up 3 s after answering; 1001 would answer a second offer.
    await admin(a, '/admin/agents/t1', 'PUT', { name: '坐席t1', extension: '1005', skills: { general: 1 } });
    await admin(a, '/admin/agents/t1/state', 'POST', { state: 'ready' });
    await admin(a, '/admin/agents/t2', 'PUT', { name: '坐席t2', extension: '1002', skills: { general: 1 } });
    await admin(a, '/admin/agents/t2/state', 'POST', { state: 'ready' });
    const before1002 = phones.invites().filter((e) => e === '1002').length;
    const z = await placeCall(fs, {
      dialled: '12345',
      callerId: '13911110003',
      steps: [{ awaitBye: 30_000 }],
    });
    await waitFor(() => hangers.invites().length > 0, 10_000, 'agent 1005 rung');
    await new Promise((r) => setTimeout(r, 800));
    await a.kill('SIGKILL');
    a = null;
    // The agent hangs up; FreeSWITCH ends the caller's call (the caller receives BYE) instead of queueing it again.
    const r = await z.done;
    expect(r.code).toBe(0);
    expect(phones.invites().filter((e) => e === '1002').length).toBe(before1002);
    const rec = await recordOf('13911110003', 25_000);
    expect(rec).toMatchObject({ outcome: 'answered', agent: 't1' });
    expect(fs.log()).not.toMatch(/13911110003[^\n]*hotline_fallback/);
  });
});

describe.skipIf(!havePeers)('real FreeSWITCH: load shedding', () => {
  it('a router over its limit passes new calls to the backup router; every call is served and recorded', async () => {
    const prefix = testPrefix();
    const redis = new Redis(REDIS_URL);
    const primaryPort = await freeTcpPort();
    const backupPort = await freeTcpPort();
    const fs = await startFreeSwitch({ routerPort: primaryPort, backupPort });
    const phones = await startPhones(fs, ['1001', '1002'], { behaviour: 'answer', ringMs: 200 });
    const env = (port: number, name: string, extra: Record<string, string> = {}) => ({
      HOTLINE_ESL_LISTEN_PORT: String(port),
      HOTLINE_FS_PORT: String(fs.eslPort),
      HOTLINE_REDIS_URL: REDIS_URL,
      HOTLINE_REDIS_PREFIX: prefix,
      HOTLINE_INSTANCE_ID: `${name}-${prefix.slice(7, 13)}`,
      HOTLINE_AGENTS_DOMAIN: fs.domain,
      HOTLINE_WRAPUP_S: '0',
      ...extra,
    });
    // The primary takes one call at a time.
    const a = await startRouterProcess(env(primaryPort, 'primary', { HOTLINE_SHED_MAX_CALLS: '1' }));
    const b = await startRouterProcess(env(backupPort, 'backup'));
    try {
      const put = (path: string, method: string, body: unknown) => admin(a, path, method, body);
      await put('/admin/ivr/12345/publish', 'POST', { operator: 'test', doc: QUICK_12345 });
      for (const [id, ext] of [
        ['s1', '1001'],
        ['s2', '1002'],
      ] as const) {
        await put(`/admin/agents/${id}`, 'PUT', { name: id, extension: ext, skills: { general: 1 } });
        await put(`/admin/agents/${id}/state`, 'POST', { state: 'ready' });
      }
      const c1 = await placeCall(fs, {
        dialled: '12345',
        callerId: '13911110011',
        steps: [{ wait: 6000 }, { hangup: true }],
      });
      await new Promise((r) => setTimeout(r, 1500));
      const c2 = await placeCall(fs, {
        dialled: '12345',
        callerId: '13911110012',
        steps: [{ wait: 5000 }, { hangup: true }],
      });
      expect((await c1.done).code).toBe(0);
      expect((await c2.done).code).toBe(0);
      const rec = (caller: string) => recordIn(redis, prefix, caller, 15_000);
      expect(await rec('13911110011')).toMatchObject({
        outcome: 'answered',
        instance: `primary-${prefix.slice(7, 13)}`,
      });
      expect(await rec('13911110012')).toMatchObject({
        outcome: 'answered',
        instance: `backup-${prefix.slice(7, 13)}`,
      });
      const health = await (await fetch(`http://127.0.0.1:${a.httpPort}/health`)).json();
      expect(health.socketServer.shedCalls).toBe(1);
    } finally {
      await a.kill('SIGKILL');
      await b.kill('SIGKILL');
      phones.stop();
      await fs.stop();
      redis.disconnect();
      await cleanup(prefix);
    }
  });
});

describe.skipIf(!havePeers)('real FreeSWITCH: calls no router takes', () => {
  it('a caller sent to the fallback group (no router listening) is recorded from FreeSWITCH events', async () => {
    const unused = await freeTcpPort();
    // The router is connected to FreeSWITCH's event socket, but the dialplan's sockets point where nobody listens.
    const s = await startRealStack(
      { HOTLINE_ESL_LISTEN_PORT: '0' },
      { routerPort: unused, backupPort: unused },
    );
    const phones = await startPhones(s.fs, ['1001'], { behaviour: 'answer', ringMs: 200 });
    try {
      const c = await placeCall(s.fs, {
        dialled: '12315',
        callerId: '13911110009',
        steps: [{ wait: 12_000 }, { hangup: true }],
      });
      expect((await c.done).code).toBe(0);
      expect(phones.invites()).toContain('1001');
      const rec = await waitFor(
        async () => (await s.records()).find((x) => x.caller === '13911110009'),
        15_000,
        'reconciled record',
      );
      expect(rec).toMatchObject({ line: '12315', outcome: 'answered', servedBy: 'fallback-group' });
    } finally {
      phones.stop();
      await s.stop();
    }
  });
});
