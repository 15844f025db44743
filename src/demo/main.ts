// `npm run demo`: the router with the switch emulator, scripted agents and a trickle of calls,
// printing a live one-line summary. `-- --duration 30 --json` ends with one JSON summary line.
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { loadConfig } from '../config/env.ts';
import { createLogger } from '../logging/logger.ts';
import { dayOf } from '../records/call-records.ts';
import { HotlineRouter } from '../router.ts';
import { issueAgentToken } from '../screen-pop/agent-token.ts';
import { type EmulatedCall, SwitchEmulator, hotlineCallDialplan } from '../switch-emulator/index.ts';
import { mulberry32, nextCaller } from './traffic.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string' },
    json: { type: 'boolean', default: false },
    rate: { type: 'string', default: '1' },
    seed: { type: 'string', default: '12345' },
    verbose: { type: 'boolean', default: false },
  },
});
const durationS = values.duration ? Number(values.duration) : Infinity;
const ratePerS = Number(values.rate);
if (!(durationS > 0) || !(ratePerS > 0 && ratePerS <= 50)) {
  process.stderr.write('usage: npm run demo -- [--duration SECONDS] [--rate CALLS_PER_S (<=50)] [--json]\n');
  process.exit(2);
}

const say = (t: string) => process.stderr.write(`${t}\n`);
say('12345 hotline router demo');
say(
  "NOTE: the telephone switch is EMULATED (src/switch-emulator speaks FreeSWITCH's Event Socket over TCP).",
);
say(
  'To use a real FreeSWITCH 1.10 instead: install freeswitch-conf/ and dialplans/ on it (see freeswitch-conf/README.md),',
);
say(
  'then run `npm start` with HOTLINE_FS_HOST, HOTLINE_FS_PORT, HOTLINE_FS_PASSWORD pointing at its event socket.',
);

const prefix = `hl-demo-${process.pid}:`;
const logLines = new Writable({
  write(chunk, _e, cb) {
    if (values.verbose) process.stderr.write(chunk);
    cb();
  },
});
const log = createLogger({ level: values.verbose ? 'info' : 'warn', destination: logLines });
let routerPort = 0;
const emulator = new SwitchEmulator({
  dialplan: hotlineCallDialplan(`127.0.0.1:${routerPort}`),
  fileDurationMs: () => 600,
});
await emulator.start();
const config = loadConfig({
  ...process.env,
  HOTLINE_HTTP_PORT: process.env.HOTLINE_HTTP_PORT ?? '0',
  HOTLINE_ESL_LISTEN_PORT: '0',
  HOTLINE_FS_PORT: String(emulator.eslPort),
  HOTLINE_REDIS_PREFIX: prefix,
  HOTLINE_INSTANCE_ID: `demo-${process.pid}`,
  HOTLINE_RING_TIMEOUT_S: '4',
  HOTLINE_WRAPUP_S: '1',
});
const router = new HotlineRouter(config, log);
await router.start();
routerPort = router.eslListenPort;
say(
  `router: http://127.0.0.1:${router.httpPort} (API docs at /docs), ESL socket server on port ${routerPort}`,
);

// Scripted agents: a general pool and specialist desks; one agent sometimes fails to answer.
const AGENTS: Array<{ id: string; ext: string; skills: Record<string, number>; behaviour?: 'no-answer' }> = [
  { id: 'a01', ext: '1001', skills: { general: 1 } },
  { id: 'a02', ext: '1002', skills: { general: 1, market: 3 } },
  { id: 'a03', ext: '1003', skills: { general: 1, urban: 2 } },
  { id: 'a04', ext: '1004', skills: { hrss: 1, general: 2 } },
  { id: 'a05', ext: '1005', skills: { hrss: 1 } },
  { id: 'a06', ext: '1006', skills: { market: 1, general: 2 } },
  { id: 'a07', ext: '1007', skills: { environment: 1, urban: 1, social: 1, legal: 2 } },
  { id: 'a08', ext: '1008', skills: { legal: 1, social: 1, general: 3 }, behaviour: 'no-answer' },
];
// Specialist callers overflow to the general pool after 10 s here (60 s by default), so the demo
// shows overflow within its run.
for (const q of (await router.parts.acdConfig.load()).queues.values()) {
  if (q.overflowAfterS > 0) await router.parts.acdConfig.putQueue({ ...q, overflowAfterS: 10 });
}
let screenPops = 0;
const sockets: WebSocket[] = [];
for (const a of AGENTS) {
  await router.parts.acd.upsertAgent({ id: a.id, name: `坐席${a.ext}`, extension: a.ext, skills: a.skills });
  emulator.setAgent(a.ext, {
    behaviour: a.behaviour ?? 'answer',
    answerAfterMs: 300 + Math.floor(Math.random() * 700),
  });
  const ws = new WebSocket(
    `ws://127.0.0.1:${router.httpPort}/agent/ws?token=${issueAgentToken(config.agentTokenSecret, a.id, 3600)}`,
  );
  ws.on('message', (d) => {
    if ((JSON.parse(d.toString()) as { type: string }).type === 'offer') screenPops++;
  });
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ type: 'ready' }));
  sockets.push(ws);
}

const rand = mulberry32(Number(values.seed));
let placed = 0;
const pending = new Map<Promise<unknown>, EmulatedCall>();
const started = Date.now();
let stopping = false;
const placer = setInterval(() => {
  if (stopping) return;
  placed++;
  const call = emulator.placeCall(nextCaller(rand));
  const p = call.ended.catch(() => undefined);
  pending.set(p, call);
  void p.finally(() => pending.delete(p));
}, 1000 / ratePerS);

async function counts() {
  const phases = { ivr: 0, queued: 0, offering: 0, talking: 0 };
  for (const s of router.parts.sessions.values())
    if (s.phase in phases) phases[s.phase as keyof typeof phases]++;
  const c = await router.parts.records.counters(dayOf(Date.now()));
  return { phases, c };
}

const tty = process.stderr.isTTY;
const ticker = setInterval(async () => {
  const { phases, c } = await counts();
  const line =
    `[${Math.round((Date.now() - started) / 1000)}s] IVR ${phases.ivr}  等待 waiting ${phases.queued + phases.offering}  ` +
    `通话 talking ${phases.talking}  接通 answered ${c.answered ?? 0}  放弃 abandoned ${c.abandoned ?? 0}  ` +
    `转分中心 transferred ${c.transferred ?? 0}  弹屏 pops ${screenPops}`;
  process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
}, 1000);

async function waitForRecords(timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end && router.parts.sessions.size > 0) await new Promise((r) => setTimeout(r, 50));
}

async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(placer);
  // Calls still in progress: the callers hang up (counted as abandoned if not yet answered), and the
  // router gets a moment to write their records, so that offered = answered + abandoned + ...
  const cutAtDemoEnd = pending.size;
  for (const call of pending.values()) call.hangup('NORMAL_CLEARING');
  const drain = Promise.allSettled([...pending.keys()]);
  await Promise.race([drain, new Promise((r) => setTimeout(r, 3000))]);
  await waitForRecords(3000);
  clearInterval(ticker);
  const { c } = await counts();
  const perLine: Record<string, Record<string, number>> = {};
  for (const [k, v] of Object.entries(c)) {
    const [outcome, line] = k.split(':');
    if (!line || !outcome) continue;
    (perLine[line] ??= { offered: 0, answered: 0, abandoned: 0, transferred: 0 })[outcome] = v;
  }
  const summary = {
    emulatedSwitch: true,
    durationS: Math.round((Date.now() - started) / 100) / 10,
    placed,
    offered: c.offered ?? 0,
    answered: c.answered ?? 0,
    abandoned: c.abandoned ?? 0,
    transferred: c.transferred ?? 0,
    answerRate: c.offered ? Math.round(((c.answered ?? 0) / c.offered) * 1000) / 1000 : 0,
    /** Calls still in progress when the demo stopped; their callers were hung up. */
    cutAtDemoEnd,
    screenPops,
    eslProtocolErrors: router.parts.fsLink.protocolErrors + router.parts.outbound.protocolErrors,
    perLine,
  };
  for (const ws of sockets) ws.terminate();
  await router.stop();
  await emulator.stop();
  const r = new Redis(config.redis.url);
  const keys = await r.keys(`${prefix}*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
  if (tty) process.stderr.write('\n');
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else say(`summary: ${JSON.stringify(summary)}`);
  process.exit(0);
}

process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
if (Number.isFinite(durationS)) setTimeout(() => void shutdown(), durationS * 1000);
