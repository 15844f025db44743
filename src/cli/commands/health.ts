// `hotline health`: a running router's /health (Redis, FreeSWITCH link, socket server).
import { adminGet } from '../http-client.ts';
import type { Command } from '../command.ts';

export const healthCommand: Command = {
  name: 'health',
  summary: "Show a running router's health: Redis, the ESL inbound link and the outbound socket server.",
  usage: 'health [--router URL] [--json]',
  options: [
    {
      name: 'router',
      description: 'router base URL (default $HOTLINE_ROUTER_URL or http://127.0.0.1:8080)',
      takesValue: true,
    },
  ],
  async run(ctx) {
    const h = (await adminGet(ctx, '/health')) as {
      status: string;
      redis: { ok: boolean; status: string };
      eslInbound: { ok: boolean; state: string };
      socketServer: { ok: boolean; port: number; activeCalls: number; promptErrors?: number };
    };
    if (ctx.json) ctx.out(JSON.stringify(h));
    else
      ctx.out(
        `状态 status: ${h.status}\nRedis: ${h.redis.status}\nFreeSWITCH ESL: ${h.eslInbound.state}\n` +
          `socket server: port ${h.socketServer.port}, ${h.socketServer.activeCalls} active calls` +
          (h.socketServer.promptErrors ? `, ${h.socketServer.promptErrors} prompts not played` : '') +
          '\n',
      );
    return h.status === 'ok' ? 0 : 1;
  },
};
