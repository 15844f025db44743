// The router in this process (real Redis, its own key prefix) in front of a real FreeSWITCH that runs the
// project's freeswitch-conf and dialplans, with sipp phones and callers: the real-server tier's fixture.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/env.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { HotlineRouter } from '../../src/router.ts';
import type { ServerMessage } from '../../src/screen-pop/messages.ts';
import { cleanup, REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { recentDays } from '../helpers/recent-records.ts';
import { freeTcpPort, type FreeSwitchOptions, type RealFreeSwitch, startFreeSwitch } from './freeswitch.ts';

export interface RealStack {
  fs: RealFreeSwitch;
  router: HotlineRouter;
  prefix: string;
  logs: string[];
  routerPort: number;
  backupPort: number;
  env: Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies of many shapes; each test asserts the shape it expects
  admin(path: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: any }>;
  addAgent(id: string, extension: string, skills: Record<string, number>, ready?: boolean): Promise<void>;
  connectDesktop(agentId: string): Promise<Desktop>;
  /** The day's call records (newest last). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- record shape asserted per test
  records(): Promise<any[]>;
  stop(): Promise<void>;
}

export interface Desktop {
  messages: ServerMessage[];
  next(type: ServerMessage['type'], timeoutMs?: number): Promise<ServerMessage>;
  send(text: string): void;
  close(): void;
}

/**
 * `env` may be a function of the started FreeSWITCH, for settings that name its ports (e.g. the SIP edge's
 * HOTLINE_SIP_FS_POOL=127.0.0.1:<carrierPort>).
 */
export async function startRealStack(
  env: Record<string, string> | ((fs: RealFreeSwitch) => Record<string, string>) = {},
  fsOpts: Partial<FreeSwitchOptions> = {},
): Promise<RealStack> {
  const prefix = testPrefix();
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _e, cb) {
      logs.push(chunk.toString());
      if (process.env.REALFS_LOG) process.stderr.write(chunk);
      cb();
    },
  });
  const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'info', destination });
  const routerPort = await freeTcpPort();
  const backupPort = await freeTcpPort();
  const fs = await startFreeSwitch({ routerPort, backupPort, ...fsOpts });
  const fullEnv: Record<string, string> = {
    HOTLINE_HTTP_PORT: '0',
    HOTLINE_ESL_LISTEN_PORT: String(routerPort),
    HOTLINE_FS_PORT: String(fs.eslPort),
    HOTLINE_REDIS_URL: REDIS_URL,
    HOTLINE_REDIS_PREFIX: prefix,
    HOTLINE_INSTANCE_ID: `real-${prefix.slice(7, 15)}`,
    HOTLINE_RING_TIMEOUT_S: '4',
    HOTLINE_WRAPUP_S: '0',
    HOTLINE_AGENTS_DOMAIN: fs.domain,
    ...(typeof env === 'function' ? env(fs) : env),
  };
  const config = loadConfig(fullEnv);
  const router = new HotlineRouter(config, log);
  try {
    await router.start();
  } catch (err) {
    await fs.stop();
    throw err;
  }
  const http = `http://127.0.0.1:${router.httpPort}`;
  const sockets: WebSocket[] = [];
  const admin: RealStack['admin'] = async (path, init = {}) => {
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
  return {
    fs,
    router,
    prefix,
    logs,
    routerPort,
    backupPort,
    env: fullEnv,
    admin,
    async addAgent(id, extension, skills, ready = true) {
      const r = await admin(`/admin/agents/${id}`, {
        method: 'PUT',
        body: { name: `坐席${id}`, extension, skills },
      });
      if (r.status >= 300) throw new Error(`add agent ${id}: ${r.status} ${JSON.stringify(r.body)}`);
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
        next(type, timeoutMs = 10_000) {
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
    async records() {
      const out = [];
      for (const day of recentDays()) out.push(...(await router.parts.records.byDay(day)));
      return out as never[];
    },
    async stop() {
      for (const s of sockets) s.terminate();
      await router.stop();
      // Kept with FreeSWITCH's own files when asked (HOTLINE_KEEP_REALFS), for a run that failed.
      if (process.env.HOTLINE_KEEP_REALFS) writeFileSync(path.join(fs.dir, 'router.log'), logs.join(''));
      await fs.stop();
      // The keys live in whichever Redis the router was given (a test may bring its own).
      await cleanup(prefix, config.redis.url);
    },
  };
}
