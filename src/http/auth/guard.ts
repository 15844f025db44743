// Every route under /admin, /auth and /agent/api declares the roles it admits (route config `roles`, or
// `public: true`); a route that declares neither stops the router at start. Requests are authenticated and
// checked against those roles; auditors get personal data masked in every answer; every change that succeeds is
// written to the change audit with the resource as it was before and after (read through the route's own GET, or
// for an action on a resource, such as forcing an agent's state, through the GET of the resource it changes).
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

/** Where the API reads the resource an action changes: a GET path, and the item's id when that GET is a list. */
interface ResourceRead {
  path: string;
  id?: string;
}

/**
 * Actions (mostly POSTs) that change a resource which has no GET at their own path: the GET that shows it, so the
 * audit holds it before and after as it does for a PUT. Keyed by method and route URL; params are the route's.
 */
const ACTION_READS: Record<string, (params: Record<string, string>) => ResourceRead> = {
  'POST /admin/agents/:id/state': (p) => ({ path: '/admin/agents', id: p.id! }),
  'POST /admin/agents/:id/end-wrapup': (p) => ({ path: '/admin/agents', id: p.id! }),
  'POST /admin/tidal/plan/:date/approve': (p) => ({ path: `/admin/tidal/plan?date=${p.date}` }),
  'POST /admin/tidal/plan/:date/cancel': (p) => ({ path: `/admin/tidal/plan?date=${p.date}` }),
  'POST /admin/tidal/plan/:date/moves': (p) => ({ path: `/admin/tidal/plan?date=${p.date}` }),
  'PATCH /admin/tidal/plan/:date/moves/:id': (p) => ({ path: `/admin/tidal/plan?date=${p.date}` }),
  // Emergency moves go into today's plan (made on the spot when there is none): the GET's default day.
  'POST /admin/tidal/emergency': () => ({ path: '/admin/tidal/plan' }),
  'POST /admin/ivr/:line/publish': (p) => ({ path: `/admin/ivr/${p.line}` }),
  'POST /admin/ivr/:line/rollback': (p) => ({ path: `/admin/ivr/${p.line}` }),
};

function actionRead(req: FastifyRequest): ResourceRead | undefined {
  const read = ACTION_READS[`${req.method} ${req.routeOptions.url ?? ''}`];
  if (!read) return undefined;
  const params = Object.fromEntries(
    Object.entries((req.params ?? {}) as Record<string, unknown>).map(([k, v]) => [
      k,
      encodeURIComponent(String(v)),
    ]),
  );
  return read(params);
}

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

  // The resource before a change, through the route's own GET of the same path, or for an action on a resource
  // through that resource's GET. Any other POST makes something new (its answer says what): nothing to read.
  app.addHook('preHandler', async (req) => {
    if (!req.principal || req.principal.kind === 'internal' || !readsResource(req)) return;
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
    const read = readsResource(req) ? await readThroughGet(app, req, accounts) : undefined;
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

function readsResource(req: FastifyRequest): boolean {
  return RESOURCE_WRITES.has(req.method) || actionRead(req) !== undefined;
}

/**
 * The resource a change addresses, through the API's own reads: the GET an action names (ACTION_READS), the GET
 * of the same path, or else the item of the collection above it (`PUT /admin/queues/:skill` is found in
 * `GET /admin/queues` by its skill).
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
  const action = actionRead(req);
  if (action) {
    const found = await get(action.path);
    if (action.id === undefined || !Array.isArray(found)) return found;
    const id = decodeURIComponent(action.id);
    return found.find((x) => x && typeof x === 'object' && (x as { id?: unknown }).id === id) ?? null;
  }
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
