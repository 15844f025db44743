// Screen-pop latency and throughput with 2,000 agents' desktops connected: from the moment the ACD's
// offer is handed to the hub (ScreenPopHub.send, which completes the pop with the caller's history
// and links, numbers it, keeps it for resume and publishes it through Redis) to the message arriving
// at the agent's socket in another process. Beside it, in the same run, a bare `ws` echo server with
// 2,000 connected clients on the same machine: its round trip is the baseline.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { WebSocketServer } from 'ws';
import { AcdStore } from '../acd/store.ts';
import { createLogger } from '../logging/logger.ts';
import { Keys } from '../redis/keys.ts';
import { issueAgentToken } from '../screen-pop/agent-token.ts';
import { ScreenPopHub } from '../screen-pop/hub.ts';
import { type BenchContext, type BenchGroup, type BenchRow, percentile, row } from './types.ts';

const AGENTS = Number(process.env.BENCH_SCREENPOP_AGENTS ?? 2000);
const LATENCY_OFFERS = 2000;
const LATENCY_RATE = 400; // offers per second while measuring latency (a busy centre's peak is far lower)
const THROUGHPUT_MS = 5000;
const INFLIGHT = 64;
const SECRET = 'bench-agent-secret-0123456789';

type ChildEvent =
  | { ev: 'up' }
  | { ev: 'connected'; n: number; ms: number }
  | { ev: 'arrivals'; arrivals: Array<[string, string]>; received: number }
  | { ev: 'count'; received: number }
  | { ev: 'echo-latency'; rtts: number[] }
  | { ev: 'echo-throughput'; n: number }
  | { ev: 'closed' }
  | { ev: 'error'; message: string };

class Clients {
  private readonly proc = fork(fileURLToPath(new URL('./screenpop-clients.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  private readonly waiting: Array<(e: ChildEvent) => void> = [];

  constructor() {
    this.proc.on('message', (e: ChildEvent) => {
      if (e.ev === 'error') throw new Error(`bench clients: ${e.message}`);
      this.waiting.shift()?.(e);
    });
  }

  ask<E extends ChildEvent['ev']>(msg: unknown, ev: E): Promise<Extract<ChildEvent, { ev: E }>> {
    return new Promise((resolve, reject) => {
      this.waiting.push((e) =>
        e.ev === ev
          ? resolve(e as Extract<ChildEvent, { ev: E }>)
          : reject(new Error(`expected ${ev}, got ${e.ev}`)),
      );
      if (msg) this.proc.send(msg as never);
    });
  }

  stop(): void {
    this.proc.kill();
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

async function cleanupPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runScreenpop(ctx: BenchContext): Promise<BenchRow[]> {
  const prefix = `hlbench-${randomBytes(3).toString('hex')}:`;
  const keys = new Keys(prefix);
  const redis = new Redis(ctx.redisUrl);
  const sub = new Redis(ctx.redisUrl);
  const log = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const acd = new AcdStore(redis, keys);
  const hub = new ScreenPopHub(redis, sub, keys, acd, SECRET, log, () => undefined);
  hub.configure({ instanceId: 'bench' });
  const http = createServer((_req, res) => res.writeHead(404).end());
  http.on('upgrade', (req, socket, head) => hub.handleUpgrade(req, socket, head));
  const echoHttp = createServer((_req, res) => res.writeHead(404).end());
  const echo = new WebSocketServer({ server: echoHttp, perMessageDeflate: false });
  echo.on('connection', (ws) => ws.on('message', (d, isBinary) => ws.send(d, { binary: isBinary })));
  const clients = new Clients();
  try {
    await clients.ask(null, 'up');
    // Agents, as the ACD keeps them (only their hashes: the hub checks an agent exists).
    const ids = Array.from({ length: AGENTS }, (_, i) => `b${String(i).padStart(4, '0')}`);
    const pipe = redis.pipeline();
    for (const id of ids) {
      pipe.hset(keys.agent(id), {
        id,
        name: `坐席${id}`,
        extension: String(3000 + Number(id.slice(1))),
        skills: '{"general":1}',
        state: 'ready',
      });
    }
    // Links for the line, as an operator would configure them; callers have no history.
    pipe.hset(
      `${prefix}sp:links`,
      'line:12345',
      JSON.stringify([{ title: '知识库', url: 'https://kb.example/1' }]),
    );
    await pipe.exec();
    await hub.start();
    const port = await listen(http);
    const urls = ids.map(
      (id) => `ws://127.0.0.1:${port}/agent/ws?token=${issueAgentToken(SECRET, id, 3600)}`,
    );
    ctx.log(`screenpop: connecting ${AGENTS} desktops`);
    const conn = await clients.ask({ cmd: 'connect', urls, concurrency: 100 }, 'connected');
    ctx.log(`screenpop: ${conn.n} desktops connected in ${conn.ms} ms`);

    const offer = (i: number, callId: string) =>
      hub.send(ids[i % ids.length]!, {
        type: 'offer',
        callId,
        caller: `139${String(10_000_000 + i).slice(-8)}`,
        dialled: '12345',
        line: '12345',
        lineName: '政务服务便民热线',
        mergeMode: 'hub',
        mergeModeLabel: '12345主号',
        ivrPath: ['欢迎语(按0)', '转人工服务'],
        priority: 'normal',
        waitS: 3.2,
      });

    // Latency: offers at a steady rate, each timed from hand-over to arrival.
    ctx.log(`screenpop: ${LATENCY_OFFERS} offers at ${LATENCY_RATE}/s for latency`);
    const t0 = new Map<string, bigint>();
    const start = Date.now();
    const sends: Promise<number>[] = [];
    for (let i = 0; i < LATENCY_OFFERS; i++) {
      const wait = start + (i * 1000) / LATENCY_RATE - Date.now();
      if (wait > 0) await sleep(wait);
      const callId = `lat-${i}`;
      t0.set(callId, process.hrtime.bigint());
      sends.push(offer(i, callId));
    }
    await Promise.all(sends);
    await waitForArrivals(clients, LATENCY_OFFERS);
    const got = await clients.ask({ cmd: 'collect' }, 'arrivals');
    const lat: number[] = [];
    for (const [callId, t] of got.arrivals) {
      const s = t0.get(callId);
      if (s !== undefined) lat.push(Number(BigInt(t) - s) / 1e6);
    }
    if (lat.length < LATENCY_OFFERS)
      throw new Error(`only ${lat.length} of ${LATENCY_OFFERS} offers arrived`);

    // Throughput: as many offers as the hub takes, INFLIGHT at a time, for THROUGHPUT_MS.
    ctx.log(`screenpop: throughput for ${THROUGHPUT_MS} ms`);
    const before = (await clients.ask({ cmd: 'count' }, 'count')).received;
    const tStart = process.hrtime.bigint();
    const end = Date.now() + THROUGHPUT_MS;
    let sent = 0;
    await Promise.all(
      Array.from({ length: INFLIGHT }, async () => {
        while (Date.now() < end) await offer(sent, `tp-${sent++}`);
      }),
    );
    await waitForArrivals(clients, LATENCY_OFFERS + sent);
    const tEnd = process.hrtime.bigint();
    const after = (await clients.ask({ cmd: 'count' }, 'count')).received;
    const msgsPerS = (after - before) / (Number(tEnd - tStart) / 1e9);
    await clients.ask({ cmd: 'collect' }, 'arrivals');
    await clients.ask({ cmd: 'close' }, 'closed');
    hub.close();
    await new Promise((r) => http.close(() => r(undefined)));

    // Baseline: a bare ws echo server with as many clients.
    const echoPort = await listen(echoHttp);
    ctx.log(`screenpop: echo baseline, ${AGENTS} clients`);
    await clients.ask(
      { cmd: 'connect', urls: ids.map(() => `ws://127.0.0.1:${echoPort}/`), concurrency: 100 },
      'connected',
    );
    const echoLat = (
      await clients.ask({ cmd: 'echo-latency', n: LATENCY_OFFERS, ratePerS: LATENCY_RATE }, 'echo-latency')
    ).rtts;
    const echoTp = (
      await clients.ask(
        { cmd: 'echo-throughput', durationMs: THROUGHPUT_MS, inflight: INFLIGHT },
        'echo-throughput',
      )
    ).n;
    await clients.ask({ cmd: 'close' }, 'closed');
    const echoMsgsPerS = echoTp / (THROUGHPUT_MS / 1000); // replies arriving at client sockets

    const note = `${AGENTS} desktops; offer hand-over to arrival at the socket (history, links, seq, Redis stream + pub/sub); baseline: bare ws echo round trip, ${AGENTS} clients`;
    return [
      row('screenpop.p50_ms', percentile(lat, 50), 'ms', percentile(echoLat, 50), note),
      row('screenpop.p99_ms', percentile(lat, 99), 'ms', percentile(echoLat, 99), note),
      row(
        'screenpop.msgs_per_s',
        msgsPerS,
        'msg/s',
        echoMsgsPerS,
        `offers delivered per second, ${INFLIGHT} in flight; baseline: bare ws echo replies per second, as many in flight`,
      ),
    ];
  } finally {
    clients.stop();
    hub.close();
    http.close();
    echo.close();
    echoHttp.close();
    await cleanupPrefix(redis, prefix).catch(() => undefined);
    redis.disconnect();
    sub.disconnect();
  }
}

async function waitForArrivals(clients: Clients, n: number, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { received } = await clients.ask({ cmd: 'count' }, 'count');
    // Every desktop also got its hello.
    if (received >= n + AGENTS) return;
    if (Date.now() > end) throw new Error(`only ${received - AGENTS} of ${n} messages arrived`);
    await sleep(50);
  }
}

export const screenpopGroup: BenchGroup = {
  name: 'screenpop',
  description: `screen-pop latency (p50, p99) and messages per second with ${AGENTS} desktops, beside a bare ws echo`,
  run: runScreenpop,
};
