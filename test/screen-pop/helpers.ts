// Test helpers for the desktop protocol: a scripted desktop over a real `ws` client, a router that can
// be restarted on the same ports and Redis prefix, and two-process routers.
import { type ChildProcess, spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/env.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { HotlineRouter } from '../../src/router.ts';
import type { ServerMessage } from '../../src/screen-pop/messages.ts';
import { SwitchEmulator, hotlineCallDialplan } from '../../src/switch-emulator/index.ts';
import { cleanup, REDIS_URL, testPrefix } from '../helpers/redis.ts';

export const ADMIN_TOKEN = 'dev-admin-token-change-me';
export const AGENT_SECRET = 'dev-agent-secret-change-me';

type Msg = ServerMessage & Record<string, unknown>;

/** A desktop speaking the protocol over a real WebSocket, recording everything it receives. */
export class TestDesktop {
  readonly messages: Msg[] = [];
  private readonly taken = new Set<number>();
  private waiters: Array<() => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      this.messages.push(JSON.parse(d.toString()) as Msg);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const w of this.waiters.splice(0)) w();
      }),
    );
  }

  /** Opens a socket; rejects with the HTTP status when the upgrade is refused. */
  static open(url: string): Promise<TestDesktop> {
    const ws = new WebSocket(url);
    const d = new TestDesktop(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(d));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** The first message of this type (matching pred) not returned before, in arrival order. */
  next(type: string, timeoutMs = 8000, pred: (m: Msg) => boolean = () => true): Promise<Msg> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${type} message within ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        for (let i = 0; i < this.messages.length; i++) {
          const m = this.messages[i]!;
          if (!this.taken.has(i) && m.type === type && pred(m)) {
            this.taken.add(i);
            clearTimeout(t);
            resolve(m);
            return;
          }
        }
        this.waiters.push(check);
      };
      check();
    });
  }

  /** Waits until at least n messages matching pred arrived (from the start). */
  async count(pred: (m: Msg) => boolean, n: number, timeoutMs = 8000): Promise<Msg[]> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const got = this.messages.filter(pred);
      if (got.length >= n) return got;
      if (Date.now() > end) throw new Error(`only ${got.length} of ${n} messages within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  seqs(): number[] {
    return this.messages.filter((m) => typeof m.seq === 'number').map((m) => m.seq as number);
  }

  close(): void {
    this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }

  /** Stops reading from the socket: pings go unanswered, as with a desktop whose machine froze. */
  freeze(): void {
    (this.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  }
}

/** A router (in-process) and the switch emulator; the router can be stopped and started again. */
export interface RestartableStack {
  router: HotlineRouter;
  emulator: SwitchEmulator;
  prefix: string;
  http: () => string;
  httpPort: () => number;
  logs: string[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies of many shapes
  admin(path: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: any }>;
  restart(): Promise<void>;
  stopRouter(): Promise<void>;
  startRouter(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRestartable(env: Record<string, string> = {}): Promise<RestartableStack> {
  const prefix = testPrefix();
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _e, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'info', destination });
  let eslPort = 0;
  const emulator = new SwitchEmulator({
    dialplan: (call) => hotlineCallDialplan(`127.0.0.1:${eslPort}`)(call),
    fileDurationMs: () => 200,
  });
  await emulator.start();
  let httpPort = 0;
  const make = () =>
    new HotlineRouter(
      loadConfig({
        HOTLINE_HTTP_PORT: String(httpPort),
        HOTLINE_ESL_LISTEN_PORT: String(eslPort),
        HOTLINE_FS_PORT: String(emulator.eslPort),
        HOTLINE_REDIS_URL: REDIS_URL,
        HOTLINE_REDIS_PREFIX: prefix,
        HOTLINE_INSTANCE_ID: `test-${prefix.slice(7, 15)}`,
        HOTLINE_RING_TIMEOUT_S: '5',
        HOTLINE_WRAPUP_S: '0',
        ...env,
      }),
      log,
    );
  let router: HotlineRouter | null = null;
  const stack: RestartableStack = {
    get router() {
      return router!;
    },
    emulator,
    prefix,
    logs,
    http: () => `http://127.0.0.1:${httpPort}`,
    httpPort: () => httpPort,
    async admin(path, init = {}) {
      const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
        method: init.method ?? 'GET',
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      });
      return { status: res.status, body: await res.json().catch(() => null) };
    },
    async startRouter() {
      router = make();
      await router.start();
      httpPort = router.httpPort;
      eslPort = router.eslListenPort;
    },
    async stopRouter() {
      await router?.stop();
    },
    async restart() {
      await stack.stopRouter();
      await stack.startRouter();
    },
    async stop() {
      await router?.stop();
      await emulator.stop();
      await cleanup(prefix);
    },
  };
  await stack.startRouter();
  return stack;
}

/** A router in a child process (`node --import tsx src/main.ts`), with its ports read from its log. */
export interface ChildRouter {
  proc: ChildProcess;
  instance: string;
  httpPort: number;
  eslPort: number;
  output: string[];
  stop(): Promise<void>;
}

export async function startChildRouter(env: Record<string, string>): Promise<ChildRouter> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      HOTLINE_HTTP_PORT: '0',
      HOTLINE_ESL_LISTEN_PORT: '0',
      HOTLINE_REDIS_URL: REDIS_URL,
      HOTLINE_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let buf = '';
  const started = new Promise<{ httpPort: number; eslPort: number }>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`router did not start:\n${output.join('')}`)), 20_000);
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        output.push(line);
        if (line.includes('"router started"')) {
          const j = JSON.parse(line) as { http: string; eslPort: number };
          clearTimeout(t);
          resolve({ httpPort: Number(j.http.split(':').pop()), eslPort: j.eslPort });
        }
      }
    });
    proc.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    proc.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`router exited with ${code}:\n${output.join('\n')}`));
    });
  });
  const { httpPort, eslPort } = await started;
  return {
    proc,
    instance: env.HOTLINE_INSTANCE_ID ?? '',
    httpPort,
    eslPort,
    output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        proc.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        proc.kill('SIGTERM');
      }),
  };
}

export async function adminCall(
  httpPort: number,
  path: string,
  init: { method?: string; body?: unknown } = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies of many shapes
): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

export { cleanup, testPrefix };
