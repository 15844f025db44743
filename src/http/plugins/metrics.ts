// GET /metrics: the router's Prometheus metrics (src/metrics/router-metrics.ts), in the text exposition format.
// No personal data is in them; HOTLINE_METRICS_TOKEN, when set, is asked for as a bearer token.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RouterParts } from '../../router.ts';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const metricsPlugin: FastifyPluginAsyncTypebox<{ parts: RouterParts }> = async (app, { parts }) => {
  app.get(
    '/metrics',
    { schema: { tags: ['health'], summary: 'Prometheus metrics (text exposition format)' } },
    async (req, reply) => {
      const token = parts.config.metricsToken;
      if (token && !sameSecret(req.headers.authorization ?? '', `Bearer ${token}`))
        return reply.code(401).send({ error: 'unauthorized', message: 'metrics need the metrics token' });
      const registry = parts.metrics().registry;
      return reply.type(registry.contentType).send(await registry.metrics());
    },
  );
};
