// A Redis restart in the middle of calls (issue 11, finding 3): commands issued while Redis is away wait for it
// and land when it is back, so a conversation that ended during the outage frees its agent and is recorded as
// answered, and a caller who arrived during it is answered. And a supervisor's way out, audited, for an agent
// shown talking on a call that is over.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/records/call-records.ts';
import { type OwnRedis, startOwnRedis } from '../helpers/redis-server.ts';
import { type Stack, startStack, waitFor } from '../helpers/stack.ts';
import { recentRecords } from '../helpers/recent-records.ts';

let redis: OwnRedis;
let stack: Stack | null = null;

beforeAll(async () => {
  redis = await startOwnRedis();
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await stack?.stop();
  stack = null;
});

async function records(s: Stack): Promise<CallRecord[]> {
  return await recentRecords(s.admin);
}

async function agentStates(s: Stack): Promise<Record<string, string>> {
  const list = (await s.admin('/admin/agents')).body as Array<{ id: string; state: string }>;
  return Object.fromEntries(list.map((a) => [a.id, a.state]));
}

describe('Redis restarts under calls', () => {
  it('a conversation that ends and a caller who arrives during a 3 s restart: both answered, recorded, agents free', async () => {
    const s = (stack = await startStack({ HOTLINE_REDIS_URL: redis.url }));
    await s.addAgent('r1', '1001', { general: 1 });
    await s.addAgent('r2', '1002', { general: 1 });
    s.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    s.emulator.setAgent('1002', { behaviour: 'answer', answerAfterMs: 50 });
    const first = s.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13900000001',
      hangupAfterBridgeMs: 1200,
    });
    await new Promise((r) => s.emulator.once('agent:answered', r));
    // Redis goes away while the first conversation is up; it ends, and a second caller arrives, meanwhile.
    const restart = redis.restart(3000);
    await new Promise((r) => setTimeout(r, 500));
    const second = s.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13900000002',
      hangupAfterBridgeMs: 300,
      patienceMs: 60_000,
    });
    expect((await first.ended).answered).toBe(true);
    await restart;
    expect((await second.ended).answered).toBe(true);
    const recs = await waitFor(
      async () => {
        const r = await records(s);
        return r.length >= 2 ? r : null;
      },
      15_000,
      'both records',
    );
    expect(recs.map((r) => [r.uuid, r.outcome]).sort()).toEqual(
      [
        [first.uuid, 'answered'],
        [second.uuid, 'answered'],
      ].sort(),
    );
    await waitFor(
      async () => {
        const st = await agentStates(s);
        return st.r1 === 'ready' && st.r2 === 'ready';
      },
      10_000,
      'both agents ready again',
    );
    expect(s.logs.join('')).toMatch(/redis is back/);
  }, 60_000);
});

describe('a supervisor forces an agent state', () => {
  it('refuses without a note, refuses while the call is up on the switch, frees a stray agent, audits it', async () => {
    const s = (stack = await startStack({ HOTLINE_REDIS_URL: redis.url }));
    await s.addAgent('f1', '1001', { general: 1 });
    s.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    const call = s.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13900000003',
      hangupAfterBridgeMs: 60_000,
    });
    await new Promise((r) => s.emulator.once('agent:answered', r));
    await waitFor(async () => (await agentStates(s)).f1 === 'talking', 5000, 'agent talking');

    const plain = await s.admin('/admin/agents/f1/state', { method: 'POST', body: { state: 'ready' } });
    expect(plain.status).toBe(409);
    expect(plain.body.message).toMatch(/force/);
    const unsigned = await s.admin('/admin/agents/f1/state', {
      method: 'POST',
      body: { state: 'ready', force: true },
    });
    expect(unsigned.status).toBe(400);
    const note = '来电人13812345678反映坐席已挂机';
    const live = await s.admin('/admin/agents/f1/state', {
      method: 'POST',
      body: { state: 'ready', force: true, operator: 'supervisor-li', note },
    });
    expect(live.status).toBe(409);
    expect(live.body.message).toMatch(/still up on the switch/);
    expect((await agentStates(s)).f1).toBe('talking');

    // The call ends; then the agent is shown talking on a call whose end never reached Redis (staged as a
    // router that died between the hangup and its write would leave it).
    await s.router.parts.fsLink.api(`uuid_kill ${call.uuid}`);
    await waitFor(async () => (await agentStates(s)).f1 === 'ready', 5000, 'agent ready after the call');
    const { redis: r, acd } = s.router.parts;
    const callId = 'ghost-call-1';
    await r.hset(acd.keys.call(callId), {
      id: callId,
      uuid: '5b0c7a52-0000-4000-8000-000000000001',
      state: 'talking',
      agent: 'f1',
      skill: 'general',
      priority: 'normal',
    });
    await r.hset(acd.keys.agent('f1'), { state: 'talking', callId });
    const forced = await s.admin('/admin/agents/f1/state', {
      method: 'POST',
      body: { state: 'ready', force: true, operator: 'supervisor-li', note },
    });
    expect(forced.status).toBe(200);
    expect(forced.body).toEqual({ previous: 'talking', state: 'ready' });
    expect((await agentStates(s)).f1).toBe('ready');
    const audit = await s.admin('/admin/agents/state-audit?agent=f1');
    expect(audit.status).toBe(200);
    expect(audit.body).toHaveLength(1);
    // Recorded under who sent the request (the shared admin token here), not the operator named in the body.
    expect(audit.body[0]).toMatchObject({
      operator: 'token:shared-admin-token',
      agentId: 'f1',
      from: 'talking',
      to: 'ready',
      callId,
      switchCheck: 'gone',
    });
    expect(audit.body[0].note).not.toContain('13812345678');
    expect(audit.body[0].note).toContain('坐席已挂机');
  }, 60_000);
});
