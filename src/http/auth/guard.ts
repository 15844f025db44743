// Every route under /admin, /auth and /agent/api declares the roles it admits (route config `roles`, or
// `public: true`); a route that declares neither stops the router at start. Requests are authenticated and
// checked against those roles; auditors get personal data masked in every answer; every change that succeeds is
// written to the change audit with the resource as it was before and after (read through the route's own GET).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { admits, type Principal, type Role, seesMasked } from '../../accounts/roles.ts';
import { maskDeep, maskText } from '../../logging/mask.ts';
import type { Accounts } from './accounts.ts';
import { type Authenticator, bearer } from './authenticate.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The roles a route admits. */
    roles?: readonly Role[];
    /** Open to anyone (the login, pages whose data comes from routes with roles). */
    public?: boolean;
  }
  interface FastifyRequest {
    principal?: Principal;
    /** The resource before a change (the audit). */
    auditBefore?: unknown;
    /** The change's own answer (the audit), when the resource has no GET. */
    auditReply?: string;
  }
}

const GUARDED = /^\/(admin|auth|agent\/api)(\/|$)/;
const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const RESOURCE_WRITES = new Set(['PUT', 'PATCH', 'DELETE']);

export function installAuthGuard(app: FastifyInstance, auth: Authenticator, accounts: Accounts): void {
  app.decorateRequest('principal', undefined);
  app.decorateRequest('auditBefore', undefined);
  app.decorateRequest('auditReply', undefined);

  app.addHook('onRoute', (route) => {
    if (!GUARDED.test(route.url)) return;
    const c = route.config as { roles?: readonly Role[]; public?: boolean } | undefined;
    if (!c?.public && !c?.roles?.length)
      throw new Error(
        `route ${String(route.method)} ${route.url} declares no roles (config.roles or config.public)`,
      );
    if (c?.roles?.length && !route.schema?.security) {
      route.schema = { ...route.schema, security: [{ bearer: [] }] };
    }
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const roles = req.routeOptions.config.roles;
    if (!roles?.length) return;
    const p = await auth.principal(bearer(req.headers.authorization));
    if (!p) {
      return reply.code(401).send({
        error: 'unauthorized',
        message: 'sign in (POST /auth/login) or send Authorization: Bearer <token>',
      });
    }
    if (!admits(roles, p)) {
      return reply.code(403).send({
        error: 'forbidden',
        message: `this route admits the roles ${roles.join(', ')}; ${p.name} has ${p.roles.join(', ') || 'none'}`,
      });
    }
    req.principal = p;
  });

  // The resource before a change, through the route's own GET of the same path.
  // A POST makes something new or does something (its answer says what): only writes to a resource read it.
  app.addHook('preHandler', async (req) => {
    if (!req.principal || req.principal.kind === 'internal' || !RESOURCE_WRITES.has(req.method)) return;
    req.auditBefore = await readThroughGet(app, req, accounts);
  });

  app.addHook('onSend', async (req, reply, payload) => {
    if (!req.principal || typeof payload !== 'string') return payload;
    if (CHANGES.has(req.method) && req.principal.kind !== 'internal') req.auditReply = payload;
    if (!seesMasked(req.principal)) return payload;
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.includes('json')) {
      try {
        return JSON.stringify(maskDeep(JSON.parse(payload)));
      } catch {
        return payload;
      }
    }
    return type.startsWith('text/') ? maskText(payload) : payload;
  });

  app.addHook('onResponse', async (req, reply) => {
    const p = req.principal;
    if (!p || p.kind === 'internal' || !CHANGES.has(req.method) || reply.statusCode >= 400) return;
    // A resource read back (null once deleted), else the change's own answer.
    const read = RESOURCE_WRITES.has(req.method) ? await readThroughGet(app, req, accounts) : undefined;
    const after = read !== undefined ? read : parse(req.auditReply);
    await accounts.audit
      .write({
        at: Date.now(),
        actor: p.name,
        actorKind: p.kind,
        roles: [...p.roles],
        action: `${req.method} ${req.routeOptions.url ?? ''}`,
        target: req.url.split('?')[0]!,
        status: reply.statusCode,
        before: req.auditBefore,
        after,
        request: req.body,
      })
      .catch((err: Error) => req.log.warn({ err: err.message }, 'change audit not written'));
  });
}

/**
 * The resource a change addresses, through the API's own reads: the GET of the same path, or else the item of
 * the collection above it (`PUT /admin/queues/:skill` is found in `GET /admin/queues` by its skill).
 */
async function readThroughGet(
  app: FastifyInstance,
  req: FastifyRequest,
  accounts: Accounts,
): Promise<unknown> {
  const url = req.routeOptions.url;
  if (!url) return undefined;
  const path = req.url.split('?')[0]!;
  const get = async (p: string) => {
    const res = await app.inject({
      method: 'GET',
      url: p,
      headers: { authorization: `Bearer ${accounts.internalToken}` },
    });
    if (res.statusCode === 404) return null;
    return res.statusCode < 300 ? parse(res.body) : undefined;
  };
  if (app.hasRoute({ method: 'GET', url })) return get(path);
  const m = /^(.*)\/:[A-Za-z]+$/.exec(url);
  if (!m || !app.hasRoute({ method: 'GET', url: m[1]! })) return undefined;
  const slash = path.lastIndexOf('/');
  const key = decodeURIComponent(path.slice(slash + 1));
  const all = await get(path.slice(0, slash));
  if (Array.isArray(all))
    return all.find((x) => x && typeof x === 'object' && Object.values(x as object).includes(key)) ?? null;
  if (all && typeof all === 'object') return (all as Record<string, unknown>)[key] ?? null;
  return undefined;
}

function parse(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
  }
}
