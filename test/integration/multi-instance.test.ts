// Two real router processes share one Redis and one (emulated) FreeSWITCH; one is killed while an
// agent's phone rings for its caller. Nobody gets two calls, no call goes to two agents, and every
// call ends with a record.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/records/call-records.ts';
import { type EmulatedCall, SwitchEmulator } from '../../src/switch-emulator/index.ts';
import { alternatingRouters } from '../../src/chaos/run.ts';
import { cleanup, REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { type RouterProcess, startRouterProcess } from '../helpers/router-process.ts';
import { waitFor } from '../helpers/stack.ts';

const ADMIN = 'multi-instance-admin-token';
let routers: RouterProcess[] = [];
let emulator: SwitchEmulator | null = null;
let prefix = '';

afterEach(async () => {
  await Promise.all(routers.map((r) => r.kill('SIGKILL')));
  routers = [];
  await emulator?.stop();
  emulator = null;
  await cleanup(prefix);
});

async function setUp(env: Record<string, string> = {}) {
  prefix = testPrefix();
  const ports: number[] = [];
  emulator = new SwitchEmulator({
    dialplan: alternatingRouters(ports),
    fileDurationMs: () => 150,
  });
  await emulator.start();
  const common = {
    HOTLINE_FS_PORT: String(emulator.eslPort),
    HOTLINE_REDIS_URL: REDIS_URL,
    HOTLINE_REDIS_PREFIX: prefix,
    HOTLINE_ADMIN_TOKEN: ADMIN,
    HOTLINE_RING_TIMEOUT_S: '5',
    HOTLINE_RESERVATION_TTL_S: '5',
    HOTLINE_WRAPUP_S: '0',
    ...env,
  };
  routers = await Promise.all([
    startRouterProcess({ ...common, HOTLINE_INSTANCE_ID: 'router-a' }),
    startRouterProcess({ ...common, HOTLINE_INSTANCE_ID: 'router-b' }),
  ]);
  ports.push(routers[0]!.eslPort, routers[1]!.eslPort);
  return emulator;
}

async function admin(r: RouterProcess, path: string, method = 'GET', body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${r.httpPort}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return res.json();
}

async function allRecords(): Promise<CallRecord[]> {
  const redis = new Redis(REDIS_URL);
  const ids = (await redis.keys(`${prefix}record:*`)).sort();
  const vals = ids.length ? await redis.mget(ids) : [];
  redis.disconnect();
  return vals.filter((v): v is string => !!v).map((v) => JSON.parse(v) as CallRecord);
}

function overlaps(recs: CallRecord[]): string[] {
  const bad: string[] = [];
  const byAgent = new Map<string, CallRecord[]>();
  for (const r of recs)
    if (r.agent && r.answeredAt) byAgent.set(r.agent, [...(byAgent.get(r.agent) ?? []), r]);
  for (const [agent, rs] of byAgent) {
    rs.sort((a, b) => a.answeredAt! - b.answeredAt!);
    for (let i = 1; i < rs.length; i++) if (rs[i]!.answeredAt! < rs[i - 1]!.endedAt - 50) bad.push(agent);
  }
  return bad;
}

describe('two router processes on one Redis', () => {
  it('share queues and agents: every call answered once, no agent with two calls at once', async () => {
    const emu = await setUp();
    const [a, b] = routers as [RouterProcess, RouterProcess];
    for (const [i, r] of [a, b, a].entries()) {
      const id = `g${i}`;
      await admin(r, `/admin/agents/${id}`, 'PUT', {
        name: id,
        extension: `100${i}`,
        skills: { general: 1 },
      });
      emu.setAgent(`100${i}`, { behaviour: 'answer', answerAfterMs: 80 });
      await admin(i === 1 ? a : b, `/admin/agents/${id}/state`, 'POST', { state: 'ready' });
    }
    const calls: EmulatedCall[] = [];
    for (let i = 0; i < 12; i++) {
      calls.push(
        emu.placeCall({
          destination: '12345',
          callerIdNumber: `1370000${String(i).padStart(4, '0')}`,
          hangupAfterBridgeMs: 250,
        }),
      );
      await new Promise((r) => setTimeout(r, 40));
    }
    await Promise.all(calls.map((c) => c.ended));
    const recs = await waitFor(
      async () => {
        const r = await allRecords();
        return r.length >= 12 ? r : null;
      },
      10_000,
      'records',
    );
    expect(recs).toHaveLength(12);
    expect(new Set(recs.map((r) => r.uuid)).size).toBe(12);
    expect(recs.every((r) => r.outcome === 'answered')).toBe(true);
    expect(new Set(recs.map((r) => r.instance))).toEqual(new Set(['router-a', 'router-b']));
    expect(overlaps(recs)).toEqual([]);
  }, 60_000);

  it('survives a router killed mid-offer: the agent is freed, the caller is served, the call is recorded', async () => {
    const emu = await setUp();
    const [a, b] = routers as [RouterProcess, RouterProcess];
    await admin(b, '/admin/agents/g1', 'PUT', { name: 'g1', extension: '1001', skills: { general: 1 } });
    emu.setAgent('1001', { behaviour: 'answer', answerAfterMs: 2500 });
    // The first call goes to router A (the dialplan's primary for it).
    const call = emu.placeCall({
      destination: '12345',
      callerIdNumber: '13711112222',
      hangupAfterBridgeMs: 300,
      patienceMs: 30_000,
    });
    const ringing = new Promise((r) => emu.once('agent:ringing', r));
    await admin(b, '/admin/agents/g1/state', 'POST', { state: 'ready' });
    await ringing;
    await a.kill('SIGKILL');
    const summary = await call.ended;
    expect(summary.answered).toBe(true);
    const rec = await waitFor(
      async () => (await allRecords()).find((r) => r.uuid === call.uuid),
      15_000,
      'record of the call',
    );
    expect(rec.outcome).toBe('answered');
    // The agent is not left reserved or ringing by the dead router.
    await waitFor(
      async () => {
        const agents = (await admin(b, '/admin/agents')) as Array<{ id: string; state: string }>;
        return agents[0]!.state === 'ready';
      },
      15_000,
      'agent back to ready',
    );
    // And B goes on taking calls.
    const next = emu.placeCall({
      destination: '12345',
      callerIdNumber: '13711113333',
      hangupAfterBridgeMs: 100,
    });
    emu.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    expect((await next.ended).answered).toBe(true);
  }, 60_000);
});
