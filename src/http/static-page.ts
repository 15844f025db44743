// A page without a build step (its HTML, scripts and styles read once at start), served at /<base>/ with
// strict headers: a content security policy, no sniffing, no referrer.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

export function serveStaticPage(
  app: FastifyInstance,
  opts: { base: string; dir: URL; assets: Record<string, string>; csp: string },
): void {
  const files = new Map<string, Buffer>();
  for (const name of Object.keys(opts.assets))
    files.set(name, readFileSync(fileURLToPath(new URL(name, opts.dir))));
  const send = (name: string) => (_req: unknown, reply: import('fastify').FastifyReply) =>
    reply
      .header('content-type', opts.assets[name]!)
      .header('cache-control', 'no-cache')
      .header('content-security-policy', opts.csp)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(files.get(name));
  app.get(opts.base, { schema: { hide: true } }, async (_req, reply) => reply.redirect(`${opts.base}/`));
  app.get(`${opts.base}/`, { schema: { hide: true } }, send('index.html'));
  app.get<{ Params: { file: string } }>(
    `${opts.base}/:file`,
    { schema: { hide: true, params: Type.Object({ file: Type.String() }) } },
    async (req, reply) => {
      if (!Object.hasOwn(opts.assets, req.params.file))
        return reply.code(404).send({ error: 'not_found', message: 'no such file' });
      return send(req.params.file)(req, reply);
    },
  );
}
