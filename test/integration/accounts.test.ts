// Accounts and roles (issue 13): users sign in with their own password, every guarded route admits only the
// roles it declares, auditors see personal data masked, every change is audited with before and after, and
// sessions, automation tokens and the shared admin token can be revoked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserStore } from '../../src/accounts/users.ts';
import { runCli } from '../../src/cli/main.ts';
import { REDIS_URL } from '../helpers/redis.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- audit entries hold resources of any shape
type AuditRow = Record<string, any>;

let stack: Stack;
let users: UserStore;
const PW = {
  ops: 'Rq7!config-2026',
  sup: 'Lm4!floor-2026',
  agt: 'Tz9!seat-2026',
  aud: 'Wk2!ledger-2026',
};

async function call(
  path: string,
  init: { method?: string; token?: string; body?: unknown } = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers of many shapes; each check names its field
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.http}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

async function login(
  username: string,
  password: string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the login answer's fields, read by name
): Promise<{ status: number; token: string; body: any }> {
  const r = await call('/auth/login', { method: 'POST', body: { username, password } });
  return { status: r.status, token: r.body?.token ?? '', body: r.body };
}

beforeAll(async () => {
  stack = await startStack();
  users = new UserStore(stack.router.parts.redis, stack.router.parts.acd.keys);
  await stack.addAgent('a1', '1001', { general: 1 });
  // The bootstrap of the first operator, as the README says: `hotline users add`, the password on stdin (here in
  // HOTLINE_NEW_PASSWORD), straight to the router's Redis.
  const code = await runCli(['users', 'add', 'ops', '--roles', 'operator', '--name', '运维一'], {
    HOTLINE_REDIS_URL: REDIS_URL,
    HOTLINE_REDIS_PREFIX: stack.prefix,
    HOTLINE_NEW_PASSWORD: PW.ops,
  });
  expect(code).toBe(0);
});
afterAll(async () => {
  await stack.stop();
});

describe('accounts and roles', () => {
  it('refuses a wrong password, then locks the name after 5 failures; the password is stored hashed', async () => {
    await users.create({
      username: 'victim',
      displayName: '受害者',
      roles: ['auditor'],
      password: 'Vm3!guard-2026',
    });
    expect((await login('victim', 'wrong-password')).status).toBe(401);
    expect((await login('nobody', 'wrong-password')).status).toBe(401);
    for (let i = 0; i < 4; i++) await login('victim', `wrong-${i}`);
    const locked = await login('victim', 'Vm3!guard-2026');
    expect(locked.status).toBe(429);
    expect(locked.body.message).toMatch(/登录失败次数过多/);
    const h = await stack.router.parts.redis.hgetall(stack.router.parts.acd.keys.user('victim'));
    expect(h.passwordHash).toMatch(/^scrypt\$/);
    expect(JSON.stringify(h)).not.toContain('Vm3!guard-2026');
  });

  it('admits each role only to the routes that declare it', async () => {
    const ops = await login('ops', PW.ops);
    expect(ops.status).toBe(200);
    for (const [username, roles, pw, agentId] of [
      ['sup', ['supervisor'], PW.sup, undefined],
      ['agt', ['agent'], PW.agt, 'a1'],
      ['aud', ['auditor'], PW.aud, undefined],
    ] as const) {
      const r = await call('/admin/users', {
        method: 'POST',
        token: ops.token,
        body: { username, displayName: username, roles, password: pw, ...(agentId ? { agentId } : {}) },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    expect(
      (
        await call('/admin/users', {
          method: 'POST',
          token: ops.token,
          body: { username: 'weak', displayName: 'w', roles: ['auditor'], password: 'short' },
        })
      ).status,
    ).toBe(400);
    const sup = await login('sup', PW.sup);
    const agt = await login('agt', PW.agt);
    const aud = await login('aud', PW.aud);
    expect(agt.body.agentToken).toMatch(/^v2\./);

    // No token: 401 on every guarded route (the router would not start with a route that declared no roles).
    expect((await call('/admin/lines')).status).toBe(401);
    expect((await call('/admin/lines', { token: 'hs_forged' })).status).toBe(401);

    const line = (await call('/admin/lines', { token: ops.token })).body[0];
    // Operators configure; supervisors and auditors may not.
    expect(
      (await call(`/admin/lines/${line.number}`, { method: 'PUT', token: ops.token, body: line })).status,
    ).toBe(200);
    const denied = await call(`/admin/lines/${line.number}`, { method: 'PUT', token: sup.token, body: line });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toContain('operator');
    expect(
      (await call(`/admin/lines/${line.number}`, { method: 'PUT', token: aud.token, body: line })).status,
    ).toBe(403);
    // Supervisors force agents' states; operators may not.
    const force = { state: 'not_ready', reason: 'meeting' };
    expect(
      (await call('/admin/agents/a1/state', { method: 'POST', token: ops.token, body: force })).status,
    ).toBe(403);
    expect(
      (await call('/admin/agents/a1/state', { method: 'POST', token: sup.token, body: force })).status,
    ).toBe(200);
    // Agents: their own directory only, with the session or the desktop token.
    expect((await call('/admin/agents', { token: agt.token })).status).toBe(403);
    expect((await call('/agent/api/directory', { token: agt.token })).status).toBe(200);
    expect((await call('/agent/api/directory', { token: agt.body.agentToken })).status).toBe(200);
    expect((await call('/agent/api/directory', { token: ops.token })).status).toBe(403);
    // Auditors read everything.
    for (const path of ['/admin/lines', '/admin/agents', '/admin/queues', '/admin/audit', '/admin/users'])
      expect((await call(path, { token: aud.token })).status, path).toBe(200);
    expect((await call('/auth/me', { token: agt.token })).body).toMatchObject({
      name: 'agt',
      roles: ['agent'],
      agentId: 'a1',
    });
  });

  it('audits every change with who, before and after; auditors see personal data masked', async () => {
    const ops = await login('ops', PW.ops);
    const sup = await login('sup', PW.sup);
    const aud = await login('aud', PW.aud);
    const q = (await call('/admin/queues', { token: ops.token })).body[0];
    const changed = { ...q, maxWaitS: q.maxWaitS === 300 ? 301 : 300 };
    const put = await call(`/admin/queues/${q.skill}`, { method: 'PUT', token: ops.token, body: changed });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const number = '13912345678';
    expect(
      (
        await call(`/admin/care-list/${number}`, {
          method: 'PUT',
          token: sup.token,
          body: { kind: 'elderly', operator: 'sup' },
        })
      ).status,
    ).toBeLessThan(300);

    const audit = (await call('/admin/audit?limit=20', { token: ops.token })).body as AuditRow[];
    const qe = audit.find((e) => e.action === 'PUT /admin/queues/:skill')!;
    expect(qe).toMatchObject({ actor: 'ops', actorKind: 'session', target: `/admin/queues/${q.skill}` });
    expect(qe.before.maxWaitS).toBe(q.maxWaitS);
    expect(qe.after.maxWaitS).toBe(changed.maxWaitS);
    const ce = audit.find((e) => e.action === 'PUT /admin/care-list/:number')!;
    expect(ce.actor).toBe('sup');
    expect(ce.target).toContain(number);
    expect(audit.some((e) => e.action === 'login' && e.actor === 'ops')).toBe(true);
    // A password never enters the audit.
    expect(JSON.stringify(audit)).not.toContain(PW.agt);
    expect(audit.find((e) => e.action === 'POST /admin/users')?.request.password).toBe('[redacted]');

    const masked = JSON.stringify((await call('/admin/audit?limit=20', { token: aud.token })).body);
    expect(masked).not.toContain(number);
    expect(masked).toContain('139****5678');
  });

  it('records who acted from the session, never from a name in the body', async () => {
    const sup = await login('sup', PW.sup);
    const ops = await login('ops', PW.ops);
    // A forced state names the supervisor who signed in, whatever the body claims.
    const forced = await call('/admin/agents/a1/state', {
      method: 'POST',
      token: sup.token,
      body: { state: 'not_ready', force: true, operator: 'ops', note: '核对坐席状态' },
    });
    expect(forced.status, JSON.stringify(forced.body)).toBe(200);
    const entries = (await call('/admin/agents/state-audit?agent=a1', { token: sup.token })).body;
    expect(entries[0]).toMatchObject({ operator: 'sup', agentId: 'a1', to: 'not_ready' });
    // A message to an agent's desktop: the agent sees who sent it.
    const desk = await stack.connectDesktop('a1');
    const sent = await call('/admin/desktop/message', {
      method: 'POST',
      token: sup.token,
      body: { agentIds: ['a1'], text: '请尽快就绪', from: '局长' },
    });
    expect(sent.status).toBe(200);
    expect(await desk.next('supervisor')).toMatchObject({ from: 'sup', text: '请尽快就绪' });
    desk.close();
    // Tidal: an emergency move, the plan approved, the move ended, the plan cancelled, each by the supervisor.
    await call('/admin/tidal/roster/b1', {
      method: 'PUT',
      token: ops.token,
      body: { homePool: 'back', frontSkills: { general: 2 }, backSkills: { workorder: 2 } },
    });
    const em = await call('/admin/tidal/emergency', {
      method: 'POST',
      token: sup.token,
      body: { agentIds: ['b1'], durationMin: 30, ignoreCap: true, by: 'ops' },
    });
    expect(em.status, JSON.stringify(em.body)).toBe(200);
    const approved = await call(`/admin/tidal/plan/${em.body.date}/approve`, {
      method: 'POST',
      token: sup.token,
      body: { version: em.body.version, by: 'ops' },
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.plan).toMatchObject({ createdBy: 'sup', approvedBy: 'sup' });
    const ended = await call(`/admin/tidal/plan/${em.body.date}/moves/${em.body.moves[0].id}`, {
      method: 'PATCH',
      token: sup.token,
      body: { version: approved.body.plan.version, cancel: true, by: 'ops' },
    });
    expect(ended.status, JSON.stringify(ended.body)).toBe(200);
    const cancelled = await call(`/admin/tidal/plan/${em.body.date}/cancel`, {
      method: 'POST',
      token: sup.token,
      body: { version: ended.body.version, by: 'ops' },
    });
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelledBy: 'sup' });
    const tidalTrail = (await call(`/admin/tidal/audit?date=${em.body.date}`, { token: sup.token }))
      .body as Array<{ actor: string; action: string }>;
    expect(tidalTrail.filter((e) => e.actor.startsWith('operator:')).map((e) => [e.action, e.actor])).toEqual(
      [
        ['plan-cancelled', 'operator:sup'],
        ['move-changed', 'operator:sup'],
        ['plan-approved', 'operator:sup'],
        ['emergency', 'operator:sup'],
        ['roster-changed', 'operator:ops'],
      ],
    );
    // The shared admin token is named as the token it is.
    await call('/admin/agents/a1/state', {
      method: 'POST',
      token: stack.router.parts.config.adminToken,
      body: { state: 'not_ready', force: true, operator: 'sup', note: '共享令牌测试' },
    });
    expect((await call('/admin/agents/state-audit?agent=a1', { token: sup.token })).body[0].operator).toBe(
      'token:shared-admin-token',
    );
  });

  it('audits actions on a resource with the resource before and after, read through its GET', async () => {
    const sup = await login('sup', PW.sup);
    const ops = await login('ops', PW.ops);
    // End wrap-up: the agent was in wrap-up before, ready after.
    await stack.router.parts.acd.setAgentState('a1', 'wrapup', '', '', true);
    expect((await call('/admin/agents/a1/end-wrapup', { method: 'POST', token: sup.token })).status).toBe(
      200,
    );
    // Force the agent out: ready before, logged out after.
    const out = await call('/admin/agents/a1/state', {
      method: 'POST',
      token: sup.token,
      body: { state: 'logged_out', force: true, note: '交班' },
    });
    expect(out.status).toBe(200);

    const audit = (await call('/admin/audit?limit=100', { token: ops.token })).body as AuditRow[];
    const find = (action: string) => audit.find((e) => e.action === action)!;
    const wrap = find('POST /admin/agents/:id/end-wrapup');
    expect(wrap).toMatchObject({ actor: 'sup', target: '/admin/agents/a1/end-wrapup' });
    expect(wrap.before).toMatchObject({ id: 'a1', state: 'wrapup' });
    expect(wrap.after).toMatchObject({ id: 'a1', state: 'ready' });
    const forced = find('POST /admin/agents/:id/state');
    expect(forced.before).toMatchObject({ id: 'a1', state: 'ready' });
    expect(forced.after).toMatchObject({ id: 'a1', state: 'logged_out' });
    // The tidal actions of the test before: no plan before the emergency move, then each step's plan.
    const em = find('POST /admin/tidal/emergency');
    expect(em.before).toBeNull();
    expect(em.after).toMatchObject({ status: 'draft', version: 1 });
    const ap = find('POST /admin/tidal/plan/:date/approve');
    expect(ap.before).toMatchObject({ status: 'draft', version: 1 });
    expect(ap.after).toMatchObject({ status: 'approved', version: 2, approvedBy: 'sup' });
    const mv = find('PATCH /admin/tidal/plan/:date/moves/:id');
    expect(mv.before).toMatchObject({ status: 'approved', version: 2 });
    expect(mv.after).toMatchObject({ version: 3 });
    const ca = find('POST /admin/tidal/plan/:date/cancel');
    expect(ca.before).toMatchObject({ status: 'approved', version: 3 });
    expect(ca.after).toMatchObject({ status: 'cancelled', version: 4 });
  });

  it('revokes sessions, automation tokens and the shared admin token', async () => {
    const ops = await login('ops', PW.ops);
    const a = await login('sup', PW.sup);
    const b = await login('sup', PW.sup);
    // Sign-out ends that session only.
    expect((await call('/auth/logout', { method: 'POST', token: a.token })).status).toBe(200);
    expect((await call('/auth/me', { token: a.token })).status).toBe(401);
    expect((await call('/auth/me', { token: b.token })).status).toBe(200);
    // A user changes their own password: the other sessions end, the audit never holds either password.
    const c = await login('sup', PW.sup);
    const wrong = await call('/auth/password', {
      method: 'POST',
      token: b.token,
      body: { currentPassword: 'nope-nope-1', newPassword: 'Zx4!other-2026' },
    });
    expect(wrong.status).toBe(403);
    const changed = await call('/auth/password', {
      method: 'POST',
      token: b.token,
      body: { currentPassword: PW.sup, newPassword: 'Zx4!other-2026' },
    });
    expect(changed.body.ok).toBe(true);
    expect(changed.body.sessionsEnded).toBeGreaterThanOrEqual(1);
    expect((await call('/auth/me', { token: c.token })).status).toBe(401);
    expect((await login('sup', 'Zx4!other-2026')).status).toBe(200);
    const trail = JSON.stringify((await call('/admin/audit?limit=50', { token: ops.token })).body);
    expect(trail).not.toContain('Zx4!other-2026');
    expect(trail).not.toContain(PW.sup);
    await call('/admin/users/sup/password', { method: 'POST', token: ops.token, body: { password: PW.sup } });
    const b2 = await login('sup', PW.sup);
    // Disabling a user ends their sessions and refuses their sign-in.
    expect(
      (await call('/admin/users/sup', { method: 'PATCH', token: ops.token, body: { disabled: true } }))
        .status,
    ).toBe(200);
    expect((await call('/auth/me', { token: b2.token })).status).toBe(401);
    expect((await login('sup', PW.sup)).status).toBe(403);
    await call('/admin/users/sup', { method: 'PATCH', token: ops.token, body: { disabled: false } });
    // An agent's sign-out also ends their desktop token.
    const agt = await login('agt', PW.agt);
    await call('/auth/logout', { method: 'POST', token: agt.token });
    expect((await call('/agent/api/directory', { token: agt.body.agentToken })).status).toBe(401);

    // Automation tokens: limited to their roles, never more than the creator holds, revocable.
    const made = await call('/admin/api-tokens', {
      method: 'POST',
      token: ops.token,
      body: { name: 'wallboard', roles: ['auditor'] },
    });
    expect(made.status).toBe(201);
    const tok = made.body.token as string;
    expect((await call('/admin/lines', { token: tok })).status).toBe(200);
    expect((await call('/admin/users', { method: 'POST', token: tok, body: {} })).status).toBe(403);
    expect(
      (
        await call('/admin/api-tokens', {
          method: 'POST',
          token: ops.token,
          body: { name: 'x', roles: ['supervisor'] },
        })
      ).status,
    ).toBe(403);
    expect(
      (await call('/admin/api-tokens', { token: ops.token })).body.map((t: { name: string }) => t.name),
    ).toContain('wallboard');
    await call(`/admin/api-tokens/${made.body.info.id}`, { method: 'DELETE', token: ops.token });
    expect((await call('/admin/lines', { token: tok })).status).toBe(401);

    // The shared admin token: scoped by HOTLINE_ADMIN_TOKEN_ROLES, refused everywhere once revoked.
    const shared = stack.router.parts.config.adminToken;
    expect((await call('/admin/lines', { token: shared })).status).toBe(200);
    expect((await call('/admin/api-tokens/shared/revoke', { method: 'POST', token: ops.token })).status).toBe(
      200,
    );
    expect((await call('/admin/lines', { token: shared })).status).toBe(401);
    await stack.router.parts.redis.del(stack.router.parts.acd.keys.sharedTokenRevoked());
  });
});
