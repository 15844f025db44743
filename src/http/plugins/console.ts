// The operators' and supervisors' console (src/console/public, no build step): a page whose data all comes from
// the routes with roles; the page itself is public, as the desktop's is.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { serveStaticPage } from '../static-page.ts';

const PUBLIC_DIR = new URL('../../console/public/', import.meta.url);
const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'config.js': 'text/javascript; charset=utf-8',
  'schema-form.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const consolePlugin: FastifyPluginAsyncTypebox = async (app) => {
  serveStaticPage(app, { base: '/console', dir: PUBLIC_DIR, assets: ASSETS, csp: CSP });
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/console/'));
  // Where people type the console's address from memory: each lands on the console, none answers 404.
  for (const url of ['/admin', '/admin/'])
    app.get(url, { config: { public: true }, schema: { hide: true } }, async (_req, reply) =>
      reply.redirect('/console/'),
    );
};
