// The desktop protocol against a real router and Redis: login and tokens, malformed messages,
// resume with exactly the missed messages, acknowledgements, state commands, notices, transfers.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueAgentToken } from '../../src/screen-pop/agent-token.ts';
import { REDIS_URL } from '../helpers/redis.ts';
import { type Stack, startStack, waitFor } from '../helpers/stack.ts';
import { AGENT_SECRET, TestDesktop } from './helpers.ts';

let stack: Stack;
let wsBase: string;
let redis: Redis;

beforeAll(async () => {
  stack = await startStack();
  wsBase = `ws://127.0.0.1:${stack.router.httpPort}/agent/ws`;
  redis = new Redis(REDIS_URL);
  for (const id of ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7']) {
    await stack.addAgent(id, `20${id.slice(1).padStart(2, '0')}`, { general: 1 }, false);
  }
});
afterAll(async () => {
  redis.disconnect();
  await stack.stop();
});

async function token(agentId: string): Promise<string> {
  const { body } = await stack.admin(`/admin/agents/${agentId}/token`, { method: 'POST', body: {} });
  return body.token as string;
}

async function supervisor(agentId: string, text: string): Promise<number> {
  const { body } = await stack.admin('/admin/desktop/message', {
    method: 'POST',
    body: { agentIds: [agentId], text },
  });
  return body.sent[0].seq as number;
}

/** Logs in by message (no token in the URL), as the page does. */
async function login(agentId: string, lastSeq?: number, tok?: string): Promise<TestDesktop> {
  const d = await TestDesktop.open(wsBase);
  d.send({
    type: 'login',
    v: 2,
    token: tok ?? (await token(agentId)),
    ...(lastSeq !== undefined ? { lastSeq } : {}),
  });
  return d;
}

describe('login and tokens', () => {
  it('logs in by message and greets with the agent and its state', async () => {
    const d = await login('a1');
    const hello = await d.next('hello');
    expect(hello).toMatchObject({
      agentId: 'a1',
      agentName: '坐席a1',
      state: 'logged_out',
      v: 2,
      gap: false,
    });
    expect(hello.instance).toBe(stack.router.config.instanceId);
    d.close();
  });

  it('refuses a bad, expired or unknown-agent token at the upgrade and at login', async () => {
    const expired = issueAgentToken(AGENT_SECRET, 'a1', 60, Date.now() - 120_000);
    const forged = issueAgentToken('not-the-router-secret', 'a1', 600);
    const ghost = issueAgentToken(AGENT_SECRET, 'nobody', 600);
    for (const t of [expired, forged, ghost, 'v2.garbage']) {
      await expect(TestDesktop.open(`${wsBase}?token=${encodeURIComponent(t)}`)).rejects.toThrow('HTTP 401');
      const d = await TestDesktop.open(wsBase);
      d.send({ type: 'login', token: t });
      const err = await d.next('error');
      expect(err.code).toBe('unauthorized');
      expect((await d.closed).code).toBe(4401);
    }
    expect(stack.logs.join('')).toContain('token expired');
    // The directory (plain HTTP) refuses a well-signed token of an agent that does not exist.
    const dir = (t: string) =>
      fetch(`http://127.0.0.1:${stack.router.httpPort}/agent/api/directory`, {
        headers: { authorization: `Bearer ${t}` },
      });
    expect((await dir(ghost)).status).toBe(401);
    expect((await dir(issueAgentToken(AGENT_SECRET, 'a1', 600))).status).toBe(200);
  });

  it('accepts the desktop socket on /agent/ws only', async () => {
    const good = issueAgentToken(AGENT_SECRET, 'a1', 600);
    for (const p of ['/agent/wsXYZ', '/agent/ws/extra', '/agent/websocket']) {
      const url = `ws://127.0.0.1:${stack.router.httpPort}${p}?token=${encodeURIComponent(good)}`;
      await expect(TestDesktop.open(url)).rejects.toThrow();
    }
    const d = await TestDesktop.open(`${wsBase}?token=${encodeURIComponent(good)}`);
    expect((await d.next('hello')).type).toBe('hello');
    d.close();
  });

  it('revokes: live desktops are closed, old tokens refused, new ones work', async () => {
    const old = await token('a2');
    const d = await login('a2', undefined, old);
    await d.next('hello');
    const r = await stack.admin('/admin/agents/a2/tokens/revoke', { method: 'POST' });
    expect(r.status).toBe(200);
    expect((await d.next('error')).error).toBe('token revoked');
    expect((await d.closed).code).toBe(4401);
    await expect(TestDesktop.open(`${wsBase}?token=${old}`)).rejects.toThrow('HTTP 401');
    await new Promise((res) => setTimeout(res, 5));
    const fresh = await login('a2');
    expect(await fresh.next('hello')).toMatchObject({ agentId: 'a2' });
    fresh.close();
    expect((await stack.admin('/admin/agents/nobody/tokens/revoke', { method: 'POST' })).status).toBe(404);
  });

  it('answers commands before login with an error, and closes a socket that never logs in', async () => {
    stack.router.parts.hub.configure({ loginTimeoutMs: 300 });
    const d = await TestDesktop.open(wsBase);
    d.send({ type: 'ready' });
    expect(await d.next('error')).toMatchObject({ code: 'unauthorized' });
    expect((await d.closed).code).toBe(4408);
    stack.router.parts.hub.configure({ loginTimeoutMs: 10_000 });
  });
});

describe('malformed messages', () => {
  it('get an error message and the socket stays open', async () => {
    const d = await login('a3');
    await d.next('hello');
    const frames = [
      'not json',
      '[]',
      '{"type":"dance"}',
      '{"type":"ack","seq":"x"}',
      '{"type":"transfer","callId":"c","target":{"kind":"moon"}}',
      JSON.stringify({ type: 'not_ready', reason: 'x'.repeat(80) }),
      '{"type":"ready","v":99}',
    ];
    for (const f of frames) d.send(f);
    const errors = await d.count((m) => m.type === 'error', frames.length);
    expect(errors.map((e) => e.code)).toEqual([...Array(6).fill('bad_message'), 'version']);
    expect(errors[0]!.error).toBe('message is not JSON');
    expect(errors[2]!.error).toBe('unknown message type "dance"');
    expect(errors[4]!.error).toMatch(/^transfer\.target/);
    d.send({ type: 'ping', t: 42 });
    expect(await d.next('pong')).toMatchObject({ t: 42 });
    expect(d.ws.readyState).toBe(d.ws.OPEN);
    d.close();
  });
});

describe('resume', () => {
  it('replays exactly the missed messages, in order, then goes live', async () => {
    const d1 = await login('a4');
    await d1.next('hello');
    for (let i = 1; i <= 3; i++) await supervisor('a4', `before ${i}`);
    const seen = await d1.count((m) => m.type === 'supervisor', 3);
    const last = seen.at(-1)!.seq as number;
    d1.send({ type: 'ack', seq: last });
    d1.close();
    await d1.closed;
    const missed: number[] = [];
    for (let i = 1; i <= 5; i++) missed.push(await supervisor('a4', `missed ${i}`));
    expect(missed).toEqual([last + 1, last + 2, last + 3, last + 4, last + 5]);

    const d2 = await login('a4', last);
    const hello = await d2.next('hello');
    expect(hello).toMatchObject({ resumed: 5, gap: false, lastSeq: last + 5 });
    const replayed = await d2.count((m) => m.type === 'supervisor', 5);
    expect(replayed.map((m) => m.text)).toEqual(['missed 1', 'missed 2', 'missed 3', 'missed 4', 'missed 5']);
    const live = await supervisor('a4', 'live');
    await d2.next('supervisor', 5000, (m) => m.text === 'live');
    expect(d2.seqs()).toEqual([...missed, live]);
    const desks = await stack.admin('/admin/desktops');
    expect(desks.body.find((x: { agentId: string }) => x.agentId === 'a4')).toMatchObject({
      live: true,
      lastSeq: live,
      lastAck: last,
    });
    d2.close();
  });

  it('loses and duplicates nothing when messages keep coming during the replay', async () => {
    const d1 = await login('a5');
    await d1.next('hello');
    const first = await supervisor('a5', 'first');
    await d1.next('supervisor');
    d1.terminate();
    const hub = stack.router.parts.hub;
    const sends: Promise<number>[] = [];
    for (let i = 0; i < 30; i++) sends.push(hub.supervisorMessage('a5', '测试', `m${i}`));
    const d2 = await login('a5', first);
    for (let i = 30; i < 80; i++) sends.push(hub.supervisorMessage('a5', '测试', `m${i}`));
    const seqs = await Promise.all(sends);
    await d2.count((m) => m.type === 'supervisor', 80);
    await new Promise((r) => setTimeout(r, 200));
    const got = d2.seqs();
    expect(got).toEqual([...seqs].sort((a, b) => a - b));
    expect(got).toEqual(Array.from({ length: 80 }, (_, i) => first + 1 + i));
    d2.close();
  });

  it('says so when missed messages have expired', async () => {
    const hub = stack.router.parts.hub;
    const d1 = await login('a6');
    await d1.next('hello');
    const s = await supervisor('a6', 'seen');
    await d1.next('supervisor');
    d1.close();
    hub.configure({ replayTtlS: 1 });
    await supervisor('a6', 'gone 1');
    await new Promise((r) => setTimeout(r, 1300));
    await supervisor('a6', 'kept');
    const d2 = await login('a6', s);
    const hello = await d2.next('hello');
    expect(hello).toMatchObject({ gap: true, resumed: 1 });
    expect((await d2.next('supervisor')).text).toBe('kept');
    hub.configure({ replayTtlS: 600 });
    d2.close();
  });

  it('resumes with ?lastSeq= on a token URL too', async () => {
    const s = await supervisor('a6', 'url resume');
    const d = await TestDesktop.open(`${wsBase}?token=${await token('a6')}&lastSeq=${s - 1}`);
    expect(await d.next('hello')).toMatchObject({ resumed: 1 });
    expect((await d.next('supervisor')).text).toBe('url resume');
    d.close();
  });
});

describe('agent commands and notices', () => {
  it('sets ready and not ready with a reason, and refuses while on a call', async () => {
    const d = await login('a7');
    await d.next('hello');
    d.send({ type: 'not_ready', reason: 'meal', ref: 'r1' });
    expect(await d.next('state')).toMatchObject({ state: 'not_ready', reason: 'meal' });
    expect(await d.next('result')).toMatchObject({ command: 'not_ready', ok: true, ref: 'r1' });
    d.send({ type: 'wrapup_end', ref: 'r2' });
    expect(await d.next('result')).toMatchObject({ command: 'wrapup_end', ok: false, ref: 'r2' });
    await redis.hset(`${stack.prefix}agent:a7`, { state: 'talking', callId: 'c-x' });
    d.send({ type: 'ready', ref: 'r3' });
    expect(await d.next('error')).toMatchObject({ code: 'busy', ref: 'r3' });
    // End of the call, into wrap-up: ending it makes the agent ready.
    await stack.router.parts.acd.setAgentState('a7', 'wrapup', '', 'c-x', true);
    await stack.router.parts.hub.wrapupStarted('a7', 'c-x', 30);
    expect(await d.next('wrapup_started')).toMatchObject({ callId: 'c-x', durationS: 30 });
    d.send({ type: 'wrapup_end', ref: 'r4' });
    expect(await d.next('wrapup_ended')).toMatchObject({ callId: 'c-x', by: 'agent' });
    expect(await d.next('state')).toMatchObject({ state: 'ready' });
    expect(await d.next('result')).toMatchObject({ command: 'wrapup_end', ok: true });
    expect((await stack.router.parts.acd.getAgent('a7'))?.state).toBe('ready');
    d.close();
  });

  it('sends tidal notices and supervisor messages from the admin API', async () => {
    const d = await login('a1');
    await d.next('hello');
    const before = Date.now();
    const r = await stack.admin('/admin/desktop/tidal', {
      method: 'POST',
      body: { agentIds: ['a1'], at: '09:00', toPool: 'front', fromPool: 'back' },
    });
    expect(r.status).toBe(200);
    const tidal = await d.next('tidal');
    expect(tidal).toMatchObject({
      time: '09:00',
      toPool: 'front',
      text: '潮汐排班：您将于 09:00 转到一线接听。',
    });
    // The next 09:00 after the request (the server's clock read it after `before`), within a day.
    expect(tidal.effectiveAt).toBeGreaterThanOrEqual(before);
    expect(tidal.effectiveAt).toBeLessThanOrEqual(before + 86_400_000 + 60_000);
    await stack.admin('/admin/desktop/message', {
      method: 'POST',
      body: { agentIds: ['a1'], text: '12345 排队较多，请尽快就绪', level: 'urgent' },
    });
    // The sender is who signed in: here the shared admin token.
    expect(await d.next('supervisor')).toMatchObject({ from: 'token:shared-admin-token', level: 'urgent' });
    d.close();
  });

  it('routes a transfer request to the handler on the instance owning the call', async () => {
    const hub = stack.router.parts.hub;
    const d = await login('a3');
    await d.next('hello');
    d.send({ type: 'transfer', callId: 'c-t', target: { kind: 'queue', skill: 'hrss' }, ref: 't0' });
    expect(await d.next('error')).toMatchObject({ code: 'not_in_call', ref: 't0' });
    await redis.hset(`${stack.prefix}agent:a3`, { state: 'talking', callId: 'c-t' });
    await redis.hset(`${stack.prefix}call:c-t`, { id: 'c-t', owner: stack.router.config.instanceId });
    d.send({ type: 'transfer', callId: 'c-t', target: { kind: 'queue', skill: 'hrss' }, ref: 't1' });
    expect(await d.next('result')).toMatchObject({ command: 'transfer', ok: false, ref: 't1' });
    const seen: unknown[] = [];
    const off = hub.onTransferRequest(async (req) => {
      seen.push(req);
      return { ok: true, message: '已转入 hrss 队列' };
    });
    d.send({ type: 'transfer', callId: 'c-t', target: { kind: 'agent', agentId: 'a1' }, ref: 't2' });
    expect(await d.next('result')).toMatchObject({ ok: true, ref: 't2', message: '已转入 hrss 队列' });
    expect(seen).toEqual([
      { agentId: 'a3', callId: 'c-t', target: { kind: 'agent', agentId: 'a1' }, ref: 't2' },
    ]);
    off();
    await redis.hset(`${stack.prefix}agent:a3`, { state: 'not_ready', callId: '' });
    d.close();
  });

  it('reports which desktops are live anywhere', async () => {
    const d = await login('a1');
    await d.next('hello');
    await waitFor(() => stack.router.parts.hub.hasLiveDesktop('a1'), 3000, 'presence');
    d.close();
    await d.closed;
    await waitFor(async () => !(await stack.router.parts.hub.hasLiveDesktop('a1')), 3000, 'presence gone');
  });
});

describe('floods (issue 11)', () => {
  it('a fourth desktop of one agent closes the oldest (4409); the newer ones stay', async () => {
    const tok = await token('a6');
    const ds: TestDesktop[] = [];
    for (let i = 0; i < 4; i++) {
      const d = await TestDesktop.open(`${wsBase}?token=${encodeURIComponent(tok)}`);
      await d.next('hello');
      ds.push(d);
    }
    expect((await ds[0]!.closed).code).toBe(4409);
    for (const d of ds.slice(1)) expect(d.ws.readyState).toBe(d.ws.OPEN);
    for (const d of ds) d.close();
  });

  it("logins over the agent's rate are refused (4429), other agents unaffected", async () => {
    const hub = stack.router.parts.hub;
    hub.configure({ loginsPerAgentPer10s: 3 });
    try {
      const tok = await token('a7');
      const ds: TestDesktop[] = [];
      for (let i = 0; i < 4; i++)
        ds.push(await TestDesktop.open(`${wsBase}?token=${encodeURIComponent(tok)}`));
      expect((await ds[3]!.closed).code).toBe(4429);
      const other = await login('a5');
      expect((await other.next('hello')).type).toBe('hello');
      for (const d of [...ds, other]) d.close();
    } finally {
      hub.configure({ loginsPerAgentPer10s: 10 });
    }
  });

  it('sockets being set up beyond the cap are refused with 503; /health answers; freed slots are reused', async () => {
    const hub = stack.router.parts.hub;
    hub.configure({ maxPendingSockets: 5 });
    try {
      // Sockets without a token stay pending until they log in.
      const pending: TestDesktop[] = [];
      for (let i = 0; i < 5; i++) pending.push(await TestDesktop.open(wsBase));
      await expect(TestDesktop.open(wsBase)).rejects.toThrow('HTTP 503');
      expect((await fetch(`${stack.http}/health`)).status).toBe(200);
      // One logs in: no longer pending, so another socket may be set up.
      pending[0]!.send({ type: 'login', v: 2, token: await token('a4') });
      await pending[0]!.next('hello');
      const next = await TestDesktop.open(wsBase);
      for (const d of [...pending, next]) d.close();
    } finally {
      hub.configure({ maxPendingSockets: 200 });
    }
  });
});
