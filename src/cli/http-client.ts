// Admin API calls for CLI subcommands that talk to a running router.
import type { CommandContext } from './command.ts';

export async function adminGet(ctx: CommandContext, path: string): Promise<unknown> {
  const base = String(ctx.opts.router ?? ctx.env.HOTLINE_ROUTER_URL ?? 'http://127.0.0.1:8080').replace(
    /\/$/,
    '',
  );
  const token = ctx.env.HOTLINE_ADMIN_TOKEN ?? 'dev-admin-token-change-me';
  const res = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json().catch(() => ({}))) as { message?: string };
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${body.message ?? ''}`.trim());
  return body;
}
