// Starts a real router (real Redis, real TCP, modesl) against the switch emulator, for end-to-end
// tests. Everything binds to 127.0.0.1 on ephemeral ports.
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/env.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { HotlineRouter } from '../../src/router.ts';
import type { ServerMessage } from '../../src/screen-pop/messages.ts';
import {
  SwitchEmulator,
  hotlineCallDialplan,
  type DialplanAction,
  type DialplanCall,
} from '../../src/switch-emulator/index.ts';
import { cleanup, REDIS_URL, testPrefix } from './redis.ts';

export interface Stack {
  router: HotlineRouter;
  emulator: SwitchEmulator;
  prefix: string;
  http: string;
  logs: string[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies of many shapes; each test asserts the shape it expects
  admin(path: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: any }>;
  addAgent(id: string, extension: string, skills: Record<string, number>, ready?: boolean): Promise<void>;
  connectDesktop(agentId: string): Promise<Desktop>;
  stop(): Promise<void>;
}

export interface Desktop {
  messages: ServerMessage[];
  next(type: ServerMessage['type'], timeoutMs?: number): Promise<ServerMessage>;
  send(text: string): void;
  close(): void;
}

export async function startStack(
  env: Record<string, string> = {},
  opts: {
    fileDurationMs?: (file: string) => number | null;
    /**
     * The emulated FreeSWITCH's dialplan, hunted for each call and again on every `transfer` (e.g. the failover
     * extensions of dialplans/hotline_inbound.xml); `routerPort` is this router's outbound-socket port. Default:
     * the socket to the router, nothing after it.
     */
    dialplan?: (call: DialplanCall, routerPort: number) => DialplanAction[];
  } = {},
): Promise<Stack> {
  const prefix = testPrefix();
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _e, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'info', destination });
  let routerPort = 0;
  const emulator = new SwitchEmulator({
    dialplan: (call) =>
      opts.dialplan ? opts.dialplan(call, routerPort) : hotlineCallDialplan(`127.0.0.1:${routerPort}`)(call),
    fileDurationMs: opts.fileDurationMs ?? (() => 200),
  });
  await emulator.start();
  const config = loadConfig({
    HOTLINE_HTTP_PORT: '0',
    HOTLINE_ESL_LISTEN_PORT: '0',
    HOTLINE_FS_PORT: String(emulator.eslPort),
    HOTLINE_REDIS_URL: REDIS_URL,
    HOTLINE_REDIS_PREFIX: prefix,
    HOTLINE_INSTANCE_ID: `test-${prefix.slice(7, 15)}`,
    HOTLINE_RING_TIMEOUT_S: '3',
    HOTLINE_WRAPUP_S: '0',
    ...env,
  });
  const router = new HotlineRouter(config, log);
  await router.start();
  routerPort = router.eslListenPort;
  const http = `http://127.0.0.1:${router.httpPort}`;
  const sockets: WebSocket[] = [];

  const admin: Stack['admin'] = async (path, init = {}) => {
    const res = await fetch(http + path, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${config.adminToken}`,
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  };

  const stack: Stack = {
    router,
    emulator,
    prefix,
    http,
    logs,
    admin,
    async addAgent(id, extension, skills, ready = true) {
      await admin(`/admin/agents/${id}`, { method: 'PUT', body: { name: `坐席${id}`, extension, skills } });
      if (ready) await admin(`/admin/agents/${id}/state`, { method: 'POST', body: { state: 'ready' } });
    },
    async connectDesktop(agentId) {
      const { body } = await admin(`/admin/agents/${agentId}/token`, { method: 'POST', body: {} });
      const ws = new WebSocket(`ws://127.0.0.1:${router.httpPort}/agent/ws?token=${body.token}`);
      sockets.push(ws);
      const messages: ServerMessage[] = [];
      const waiters: Array<() => void> = [];
      ws.on('message', (d) => {
        messages.push(JSON.parse(d.toString()) as ServerMessage);
        for (const w of waiters.splice(0)) w();
      });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      let seen = 0;
      return {
        messages,
        close: () => ws.close(),
        send: (text) => ws.send(text),
        next(type, timeoutMs = 8000) {
          return new Promise((resolve, reject) => {
            const t = setTimeout(
              () => reject(new Error(`no ${type} message within ${timeoutMs} ms`)),
              timeoutMs,
            );
            const check = () => {
              for (; seen < messages.length; seen++) {
                const m = messages[seen]!;
                if (m.type === type) {
                  seen++;
                  clearTimeout(t);
                  resolve(m);
                  return;
                }
              }
              waiters.push(check);
            };
            check();
          });
        },
      };
    },
    async stop() {
      for (const s of sockets) s.terminate();
      await router.stop();
      await emulator.stop();
      await cleanup(prefix);
    },
  };
  return stack;
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 8000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
