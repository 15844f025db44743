// The Fastify application: each feature is a plugin declaring its routes with TypeBox schemas, from
// which the OpenAPI document at /docs is generated.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from '../logging/logger.ts';
import type { RouterParts } from '../router.ts';
import { buildAccounts } from './auth/accounts.ts';
import { Authenticator } from './auth/authenticate.ts';
import { installAuthGuard } from './auth/guard.ts';
import { accountsPlugin } from './plugins/accounts.ts';
import { acdAdminPlugin } from './plugins/acd-admin.ts';
import { adminPlugin } from './plugins/admin.ts';
import { agentDesktopPlugin } from './plugins/agent-desktop.ts';
import { healthPlugin } from './plugins/health.ts';
import { metricsPlugin } from './plugins/metrics.ts';
import { ivrAdminPlugin } from './plugins/ivr-admin.ts';
import { tidalPlugin } from './plugins/tidal.ts';
import { wallboardPlugin } from './plugins/wallboard.ts';
import { reportsPlugin } from './plugins/reports.ts';
import { consolePlugin } from './plugins/console.ts';

export async function buildHttpApp(parts: RouterParts, log: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: log.child({ component: 'http' }) as FastifyBaseLogger,
    // Per-request lines would log every admin and health call; the routes log what matters.
    logController: new LogController({ disableRequestLogging: true }),
    // JSON numbers beyond double range (1e400) parse as Infinity: not a number any schema allows.
    ajv: { customOptions: { strictNumbers: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  await app.register(swagger, {
    openapi: {
      info: {
        title: '12345 hotline router',
        version: '0.1.0',
        description: 'Call routing, ACD and admin API',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.setErrorHandler((err: { statusCode?: number; validation?: unknown; message: string }, _req, reply) => {
    if (err.validation) {
      return reply.code(400).send({ error: 'bad_request', message: err.message });
    }
    const code = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    if (code >= 500) log.error({ err: err.message }, 'request failed');
    return reply.code(code).send({ error: code >= 500 ? 'internal' : 'bad_request', message: err.message });
  });
  // Ajv's type coercion turns the strings "Infinity" and "1e400" into Infinity and then skips the
  // minimum/maximum checks, so a coerced non-finite number would reach a handler (and Redis, as null).
  // Nothing the API takes is infinite: refuse it here, for every route, before any handler runs.
  app.addHook('preHandler', async (req, reply) => {
    const bad =
      nonFinite(req.params, 'params') ?? nonFinite(req.query, 'querystring') ?? nonFinite(req.body, 'body');
    if (bad) await reply.code(400).send({ error: 'bad_request', message: `${bad} must be a finite number` });
  });
  const accounts = buildAccounts(parts.redis, parts.acd.keys, parts.config.sessionTtlS);
  const auth = new Authenticator({
    redis: parts.redis,
    keys: parts.acd.keys,
    accounts,
    adminToken: parts.config.adminToken,
    adminTokenRoles: parts.config.adminTokenRoles,
    agentTokenSecret: parts.config.agentTokenSecret,
  });
  installAuthGuard(app, auth, accounts);
  await app.register(accountsPlugin, { parts, accounts, auth });
  await app.register(healthPlugin, { parts });
  await app.register(metricsPlugin, { parts });
  await app.register(adminPlugin, { parts });
  await app.register(ivrAdminPlugin, { parts });
  await app.register(agentDesktopPlugin, { parts });
  await app.register(acdAdminPlugin, { parts });
  await app.register(tidalPlugin, { parts });
  await app.register(wallboardPlugin, { parts });
  await app.register(reportsPlugin, { parts });
  await app.register(consolePlugin);
  app.server.on('upgrade', (req, socket, head) => {
    // The desktop's socket is /agent/ws exactly (with a query string or not); /agent/wsXYZ is not.
    const pathname = (req.url ?? '').split('?')[0];
    if (pathname === '/agent/ws') parts.hub.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  return app;
}

/** The path of the first non-finite number in validated input, or null. */
function nonFinite(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path;
  if (!value || typeof value !== 'object' || depth > 32) return null;
  for (const [k, v] of Object.entries(value)) {
    const found = nonFinite(v, `${path}/${k}`, depth + 1);
    if (found) return found;
  }
  return null;
}
