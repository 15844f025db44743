// The agents' side of the screen-pop benchmark, in its own process (forked by screenpop.ts) so that
// 2,000 desktops and the router do not share one event loop. Arrival times are process.hrtime
// (CLOCK_MONOTONIC), comparable across processes on one machine.
import WebSocket from 'ws';

type Cmd =
  | { cmd: 'connect'; urls: string[]; concurrency: number }
  | { cmd: 'collect' }
  | { cmd: 'count' }
  | { cmd: 'echo-latency'; n: number; ratePerS: number }
  | { cmd: 'echo-throughput'; durationMs: number; inflight: number }
  | { cmd: 'close' };

const sockets: WebSocket[] = [];
/** callId -> arrival (ns since an arbitrary origin, as a string: bigint does not cross IPC). */
const arrivals = new Map<string, string>();
let received = 0;
let echoWaiters = new Map<number, (t: bigint) => void>();

function reply(msg: unknown): void {
  process.send?.(msg);
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('error', reject);
    ws.on('message', (data) => {
      const t = process.hrtime.bigint();
      received++;
      const text = data.toString();
      if (text.startsWith('{"seq"') || text.includes('"type":"offer"')) {
        // Only the id is needed; a full parse is the desktop's cost, counted too.
        const m = JSON.parse(text) as { type: string; callId?: string };
        if (m.type === 'offer' && m.callId) arrivals.set(m.callId, t.toString());
      } else if (text.startsWith('E')) {
        const id = Number(text.slice(1, text.indexOf(':')));
        echoWaiters.get(id)?.(t);
      }
    });
    ws.once('open', () => {
      // A desktop is ready once greeted (hello) or, for the echo server, at once.
      if (url.includes('/agent/ws')) ws.once('message', () => resolve(ws));
      else resolve(ws);
    });
  });
}

async function connectAll(urls: string[], concurrency: number): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: concurrency }, async () => {
    while (next < urls.length) {
      const url = urls[next++]!;
      sockets.push(await open(url));
    }
  });
  await Promise.all(workers);
}

async function echoLatency(n: number, ratePerS: number): Promise<number[]> {
  const rtts: number[] = [];
  const gapMs = 1000 / ratePerS;
  const start = Date.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const due = start + i * gapMs;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const ws = sockets[i % sockets.length]!;
    pending.push(
      new Promise<void>((resolve) => {
        const t0 = process.hrtime.bigint();
        echoWaiters.set(i, (t) => {
          rtts.push(Number(t - t0) / 1e6);
          echoWaiters.delete(i);
          resolve();
        });
        ws.send(`E${i}:{"type":"ping","t":${Date.now()}}`);
      }),
    );
  }
  await Promise.all(pending);
  return rtts;
}

async function echoThroughput(durationMs: number, inflight: number): Promise<number> {
  let done = 0;
  let id = 1_000_000;
  const end = Date.now() + durationMs;
  const lane = async (k: number): Promise<void> => {
    while (Date.now() < end) {
      const my = id++;
      const ws = sockets[(k * 7919 + my) % sockets.length]!;
      await new Promise<void>((resolve) => {
        echoWaiters.set(my, () => {
          echoWaiters.delete(my);
          resolve();
        });
        ws.send(`E${my}:{"type":"ping"}`);
      });
      done++;
    }
  };
  await Promise.all(Array.from({ length: inflight }, (_, k) => lane(k)));
  return done;
}

process.on('message', (m: Cmd) => {
  void (async () => {
    switch (m.cmd) {
      case 'connect': {
        const t = Date.now();
        await connectAll(m.urls, m.concurrency);
        reply({ ev: 'connected', n: sockets.length, ms: Date.now() - t });
        return;
      }
      case 'collect':
        reply({ ev: 'arrivals', arrivals: [...arrivals], received });
        arrivals.clear();
        return;
      case 'count':
        reply({ ev: 'count', received });
        return;
      case 'echo-latency':
        reply({ ev: 'echo-latency', rtts: await echoLatency(m.n, m.ratePerS) });
        return;
      case 'echo-throughput':
        reply({ ev: 'echo-throughput', n: await echoThroughput(m.durationMs, m.inflight) });
        return;
      case 'close':
        for (const s of sockets) s.terminate();
        sockets.length = 0;
        echoWaiters = new Map();
        reply({ ev: 'closed' });
        return;
    }
  })().catch((err: Error) => reply({ ev: 'error', message: err.message }));
});

reply({ ev: 'up' });
