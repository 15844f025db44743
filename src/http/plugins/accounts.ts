// Accounts: sign-in and sign-out, the signed-in user's own password, users and their sessions (operators),
// automation tokens, and the change audit. Sessions and tokens are bearer tokens; passwords are scrypt hashes.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ANY, canGrant, CONFIGURE, OPERATE, READ, ROLES, type Role } from '../../accounts/roles.ts';
import { AccountError, type User, USERNAME_PATTERN } from '../../accounts/users.ts';
import type { RouterParts } from '../../router.ts';
import { issueAgentToken, revokeAgentTokens } from '../../screen-pop/agent-token.ts';
import type { Accounts } from '../auth/accounts.ts';
import type { Authenticator } from '../auth/authenticate.ts';

const Err = Type.Object({ error: Type.String(), message: Type.String() });
const RoleT = Type.Union(ROLES.map((r) => Type.Literal(r)));
const Username = Type.String({ pattern: USERNAME_PATTERN });
const UserT = Type.Object({
  username: Type.String(),
  displayName: Type.String(),
  roles: Type.Array(Type.String()),
  agentId: Type.Optional(Type.String()),
  disabled: Type.Boolean(),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
  passwordChangedAt: Type.Integer(),
});
const SessionT = Type.Object({
  id: Type.String(),
  username: Type.String(),
  roles: Type.Array(Type.String()),
  agentId: Type.Optional(Type.String()),
  createdAt: Type.Integer(),
  expiresAt: Type.Integer(),
});
const NameParam = Type.Object({ username: Username });
const Password = Type.String({ minLength: 1, maxLength: 200 });

const CODES = { bad_request: 400, not_found: 404, conflict: 409 } as const;

export const accountsPlugin: FastifyPluginAsyncTypebox<{
  parts: RouterParts;
  accounts: Accounts;
  auth: Authenticator;
}> = async (app, { parts, accounts, auth }) => {
  const { users, sessions, apiTokens, audit } = accounts;
  const tags = ['accounts'];
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof AccountError)
      return reply.code(CODES[err.code]).send({ error: err.code, message: err.message });
    throw err;
  });
  const note = (actor: string, kind: string, action: string, target: string, after?: unknown) =>
    audit
      .write({ at: Date.now(), actor, actorKind: kind, roles: [], action, target, after })
      .catch(() => undefined);

  app.post(
    '/auth/login',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Sign in with a user name and password: a session token (and, for agents, a desktop token)',
        body: Type.Object({ username: Type.String({ maxLength: 64 }), password: Password }),
        response: {
          200: Type.Object({
            token: Type.String(),
            expiresAt: Type.Integer(),
            user: UserT,
            agentToken: Type.Optional(Type.String()),
          }),
          401: Err,
          403: Err,
          429: Err,
        },
      },
    },
    async (req, reply) => {
      const r = await users.authenticate(req.body.username, req.body.password);
      if (!r.ok) {
        await note(req.body.username.slice(0, 64), 'login', `login refused (${r.reason})`, '/auth/login');
        if (r.reason === 'locked')
          return reply
            .code(429)
            .send({ error: 'too_many_attempts', message: '登录失败次数过多，请5分钟后再试' });
        if (r.reason === 'disabled')
          return reply.code(403).send({ error: 'disabled', message: '账号已停用' });
        return reply.code(401).send({ error: 'unauthorized', message: '用户名或密码错误' });
      }
      const { token, session } = await sessions.open(r.user);
      await note(r.user.username, 'session', 'login', '/auth/login');
      return {
        token,
        expiresAt: session.expiresAt,
        user: r.user,
        ...(r.user.agentId && r.user.roles.includes('agent')
          ? { agentToken: issueAgentToken(parts.config.agentTokenSecret, r.user.agentId, sessions.ttlS) }
          : {}),
      };
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { roles: ANY },
      schema: {
        tags,
        summary: 'Sign out: ends this session (and an agent’s desktop tokens)',
        response: { 200: Type.Object({ ok: Type.Boolean() }) },
      },
    },
    async (req) => {
      const p = req.principal!;
      if (p.kind === 'session' && p.id) await sessions.revoke(p.name, p.id);
      if (p.agentId && p.kind === 'session') await revokeAgentTokens(parts.redis, parts.acd.keys, p.agentId);
      return { ok: true };
    },
  );

  app.get(
    '/auth/me',
    {
      config: { roles: ANY },
      schema: {
        tags,
        summary: 'Who is signed in',
        response: {
          200: Type.Object({
            name: Type.String(),
            kind: Type.String(),
            roles: Type.Array(Type.String()),
            agentId: Type.Optional(Type.String()),
            displayName: Type.Optional(Type.String()),
          }),
        },
      },
    },
    async (req) => {
      const p = req.principal!;
      const u = p.kind === 'session' ? await users.get(p.name) : null;
      return {
        name: p.name,
        kind: p.kind,
        roles: [...p.roles],
        ...(p.agentId ? { agentId: p.agentId } : {}),
        ...(u ? { displayName: u.displayName } : {}),
      };
    },
  );

  app.post(
    '/auth/password',
    {
      config: { roles: ANY },
      schema: {
        tags,
        summary: 'Change one’s own password (other sessions end)',
        body: Type.Object({ currentPassword: Password, newPassword: Password }),
        response: {
          200: Type.Object({ ok: Type.Boolean(), sessionsEnded: Type.Integer() }),
          400: Err,
          403: Err,
        },
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      if (p.kind !== 'session')
        return reply
          .code(400)
          .send({ error: 'bad_request', message: 'only a signed-in user has a password' });
      const r = await users.authenticate(p.name, req.body.currentPassword);
      // Not 401: the session is good, only the password given is wrong.
      if (!r.ok) return reply.code(403).send({ error: 'forbidden', message: '当前密码错误' });
      await users.setPassword(p.name, req.body.newPassword);
      return { ok: true, sessionsEnded: await sessions.revokeAll(p.name, p.id) };
    },
  );

  app.get(
    '/admin/users',
    { config: { roles: READ }, schema: { tags, summary: 'Users', response: { 200: Type.Array(UserT) } } },
    async () => users.list(),
  );

  app.post(
    '/admin/users',
    {
      config: { roles: CONFIGURE },
      schema: {
        tags,
        summary: 'Create a user',
        body: Type.Object({
          username: Username,
          displayName: Type.String({ minLength: 1, maxLength: 40 }),
          roles: Type.Array(RoleT, { minItems: 1, maxItems: 4, uniqueItems: true }),
          agentId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' })),
          password: Password,
        }),
        response: { 201: UserT, 400: Err, 409: Err },
      },
    },
    async (req, reply) => {
      if (req.body.agentId && !(await parts.acd.getAgent(req.body.agentId)))
        return reply.code(400).send({ error: 'bad_request', message: `no agent ${req.body.agentId}` });
      return reply.code(201).send(await users.create({ ...req.body, roles: req.body.roles as Role[] }));
    },
  );

  app.get(
    '/admin/users/:username',
    {
      config: { roles: READ },
      schema: { tags, summary: 'A user', params: NameParam, response: { 200: UserT, 404: Err } },
    },
    async (req, reply) =>
      (await users.get(req.params.username)) ??
      reply.code(404).send({ error: 'not_found', message: `no user ${req.params.username}` }),
  );

  app.patch(
    '/admin/users/:username',
    {
      config: { roles: CONFIGURE },
      schema: {
        tags,
        summary: 'Change a user (disabling or changing roles ends their sessions)',
        params: NameParam,
        body: Type.Object({
          displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
          roles: Type.Optional(Type.Array(RoleT, { minItems: 1, maxItems: 4, uniqueItems: true })),
          agentId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' })),
          disabled: Type.Optional(Type.Boolean()),
        }),
        response: { 200: UserT, 400: Err, 404: Err },
      },
    },
    async (req) => {
      const before = await users.get(req.params.username);
      const u = await users.update(req.params.username, {
        ...req.body,
        roles: req.body.roles as Role[] | undefined,
      });
      if (before && (u.disabled || rolesChanged(before, u) || before.agentId !== u.agentId)) {
        await sessions.revokeAll(u.username);
        if (before.agentId) await revokeAgentTokens(parts.redis, parts.acd.keys, before.agentId);
      }
      return u;
    },
  );

  app.delete(
    '/admin/users/:username',
    {
      config: { roles: CONFIGURE },
      schema: {
        tags,
        summary: 'Remove a user (their sessions end)',
        params: NameParam,
        response: { 200: Type.Object({ removed: Type.Boolean() }) },
      },
    },
    async (req) => {
      const u = await users.get(req.params.username);
      await sessions.revokeAll(req.params.username);
      if (u?.agentId) await revokeAgentTokens(parts.redis, parts.acd.keys, u.agentId);
      return { removed: await users.remove(req.params.username) };
    },
  );

  app.post(
    '/admin/users/:username/password',
    {
      config: { roles: CONFIGURE },
      schema: {
        tags,
        summary: 'Set a user’s password (their sessions end)',
        params: NameParam,
        body: Type.Object({ password: Password }),
        response: {
          200: Type.Object({ ok: Type.Boolean(), sessionsEnded: Type.Integer() }),
          400: Err,
          404: Err,
        },
      },
    },
    async (req) => {
      await users.setPassword(req.params.username, req.body.password);
      return { ok: true, sessionsEnded: await sessions.revokeAll(req.params.username) };
    },
  );

  app.get(
    '/admin/users/:username/sessions',
    {
      config: { roles: READ },
      schema: {
        tags,
        summary: 'A user’s open sessions',
        params: NameParam,
        response: { 200: Type.Array(SessionT) },
      },
    },
    async (req) => sessions.list(req.params.username),
  );

  app.delete(
    '/admin/users/:username/sessions',
    {
      config: { roles: OPERATE },
      schema: {
        tags,
        summary: 'End all of a user’s sessions',
        params: NameParam,
        response: { 200: Type.Object({ ended: Type.Integer() }) },
      },
    },
    async (req) => {
      const u = await users.get(req.params.username);
      if (u?.agentId) await revokeAgentTokens(parts.redis, parts.acd.keys, u.agentId);
      return { ended: await sessions.revokeAll(req.params.username) };
    },
  );

  app.delete(
    '/admin/users/:username/sessions/:id',
    {
      config: { roles: OPERATE },
      schema: {
        tags,
        summary: 'End one session',
        params: Type.Object({ username: Username, id: Type.String({ pattern: '^[0-9a-f]{32}$' }) }),
        response: { 200: Type.Object({ ended: Type.Boolean() }) },
      },
    },
    async (req) => ({ ended: await sessions.revoke(req.params.username, req.params.id) }),
  );

  const TokenInfo = Type.Object({
    id: Type.String(),
    name: Type.String(),
    roles: Type.Array(Type.String()),
    createdAt: Type.Integer(),
    createdBy: Type.String(),
    lastUsedAt: Type.Optional(Type.Integer()),
  });
  app.get(
    '/admin/api-tokens',
    {
      config: { roles: READ },
      schema: {
        tags,
        summary: 'Automation tokens (never their secrets)',
        response: { 200: Type.Array(TokenInfo) },
      },
    },
    async () => apiTokens.list(),
  );

  app.post(
    '/admin/api-tokens',
    {
      config: { roles: CONFIGURE },
      schema: {
        tags,
        summary: 'Create an automation token limited to some roles; the token is shown once',
        body: Type.Object({
          name: Type.String({ pattern: '^[A-Za-z0-9 ._-]{1,40}$' }),
          roles: Type.Array(RoleT, { minItems: 1, maxItems: 4, uniqueItems: true }),
        }),
        response: { 201: Type.Object({ token: Type.String(), info: TokenInfo }), 403: Err },
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      // Nobody hands out more than they hold.
      const extra = req.body.roles.filter((r) => !canGrant(p, r as Role));
      if (extra.length)
        return reply
          .code(403)
          .send({ error: 'forbidden', message: `you cannot grant roles you lack: ${extra.join(', ')}` });
      return reply.code(201).send(await apiTokens.create(req.body.name, req.body.roles as Role[], p.name));
    },
  );

  app.delete(
    '/admin/api-tokens/:id',
    {
      config: { roles: CONFIGURE },
      schema: {
        tags,
        summary: 'Revoke an automation token',
        params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{12}$' }) }),
        response: { 200: Type.Object({ revoked: Type.Boolean() }) },
      },
    },
    async (req) => ({ revoked: await apiTokens.revoke(req.params.id) }),
  );

  app.post(
    '/admin/api-tokens/shared/revoke',
    {
      config: { roles: CONFIGURE },
      schema: {
        tags,
        summary: 'Refuse the shared admin token (HOTLINE_ADMIN_TOKEN) on every router until it is replaced',
        response: { 200: Type.Object({ revoked: Type.Boolean() }) },
      },
    },
    async () => {
      await auth.revokeShared();
      return { revoked: true };
    },
  );

  app.get(
    '/admin/audit',
    {
      config: { roles: READ },
      schema: {
        tags,
        summary: 'The change audit, newest first: who changed what, when, before and after',
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
          before: Type.Optional(Type.String({ pattern: '^\\d+-\\d+$' })),
          actor: Type.Optional(Type.String({ maxLength: 64 })),
        }),
      },
    },
    async (req) =>
      audit.read({ limit: req.query.limit ?? 100, before: req.query.before, actor: req.query.actor }),
  );
};

function rolesChanged(a: User, b: User): boolean {
  return [...a.roles].sort().join() !== [...b.roles].sort().join();
}
