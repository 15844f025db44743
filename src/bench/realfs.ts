// Bench group "realfs": load on a real FreeSWITCH 1.10.12, the same instance for three ways to reach an agent, side
// by side at each rate: FreeSWITCH's own dialplan bridging straight to an agent (the floor), mod_callcenter (one
// queue, longest idle agent), and the router (the project's dialplan -> socket -> router process). Per mode and rate:
// calls placed, bridged, failed, unrecorded (router), routing latency p50/p95 (the agent's phone got the INVITE
// minus the caller sent its INVITE, from both sipps' -trace_msg clocks), the router's ratio to mod_callcenter,
// out-of-order pairs and CPU per call (FreeSWITCH, plus the router process in router mode).
//
// It takes minutes, so `npm run bench` runs it only when named: `npm run bench -- realfs [--quick] [--rates=5,15]
// [--seconds=15] [--modes=dialplan,callcenter,router] [--agents=50] [--ring-ms=200] [--talk-ms=1000]
// [--patience-s=20] [--warmup=10] [--fs-loglevel=notice] [--router-menu=queue|direct] [--fresh-fs] [--keep]` (flags take `=`: the runner reads any bare word
// as a group name). REALFS_ROUTER_LOG_LEVEL=info (with --keep) keeps the router's per-call log for a timeline. BENCH_REALFS=1 includes it in a full run. Needs /opt/peers/freeswitch (scripts/peers.sh) and
// sipp (scripts/setup.sh --test); without them it says why and returns no rows.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchContext, type BenchGroup, type BenchRow, round, row } from './types.ts';
import {
  routerMode,
  type Mode,
  type RealfsOptions,
  type RealfsReport,
  type RunResult,
} from './realfs-run.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const FS_BIN = '/opt/peers/freeswitch/bin/freeswitch';
const CC_MOD = '/opt/peers/freeswitch/lib/freeswitch/mod/mod_callcenter.so';
const SIPP = '/usr/bin/sipp';
const ALL_MODES: readonly Mode[] = ['dialplan', 'callcenter', 'router', 'routerpark', 'park'];
/** What --modes means without it (park is an experiment, asked for by name). */
const DEFAULT_MODES: readonly Mode[] = ['dialplan', 'callcenter', 'router'];

export function parseRealfsArgs(argv: readonly string[]): RealfsOptions {
  const opt = (name: string): string | undefined => {
    const hit = argv.find((a) => a.startsWith(`--${name}=`));
    return hit?.slice(name.length + 3);
  };
  const num = (name: string, def: number, min: number, max: number): number => {
    const raw = opt(name);
    if (raw === undefined) return def;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < min || v > max)
      throw new Error(`--${name}=${raw}: a number from ${min} to ${max}`);
    return v;
  };
  const quick = argv.includes('--quick');
  const ratesRaw = opt('rates');
  const rates = ratesRaw
    ? ratesRaw.split(',').map((r) => {
        const v = Number(r);
        if (!Number.isFinite(v) || v <= 0 || v > 200)
          throw new Error(`--rates=${ratesRaw}: calls/s from 0 to 200`);
        return v;
      })
    : quick
      ? [5, 15]
      : [5, 15, 25, 35];
  const modesRaw = opt('modes');
  const modes = modesRaw
    ? modesRaw.split(',').map((m) => {
        if (!(ALL_MODES as readonly string[]).includes(m))
          throw new Error(`--modes=${modesRaw}: a list of ${ALL_MODES.join(', ')}`);
        return m as Mode;
      })
    : [...DEFAULT_MODES];
  const level = opt('fs-loglevel') ?? 'notice';
  if (!/^(debug|info|notice|warning|err|crit|alert|console|[0-7])$/.test(level))
    throw new Error(`--fs-loglevel=${level}: a FreeSWITCH log level`);
  const routerMenu = opt('router-menu') ?? 'queue';
  if (routerMenu !== 'queue' && routerMenu !== 'direct')
    throw new Error(`--router-menu=${routerMenu}: queue or direct`);
  return {
    rates,
    seconds: num('seconds', 15, 0.2, 120),
    modes,
    agents: num('agents', 50, 1, 500),
    ringMs: num('ring-ms', 200, 0, 10_000),
    talkMs: num('talk-ms', 1000, 100, 60_000),
    patienceS: num('patience-s', 20, 2, 120),
    warmup: num('warmup', 10, 0, 200),
    fsLogLevel: level,
    routerMenu,
    keep: argv.includes('--keep'),
    freshFs: argv.includes('--fresh-fs'),
  };
}

/** Makes sure the real FreeSWITCH is there (scripts/peers.sh install); the reason to skip otherwise. */
function missingPeers(log: (m: string) => void): string | null {
  if (!existsSync(SIPP)) return `no sipp at ${SIPP} (scripts/setup.sh --test installs Debian's sip-tester)`;
  if (existsSync(FS_BIN) && existsSync(CC_MOD)) return null;
  log('realfs: no FreeSWITCH at /opt/peers/freeswitch; trying scripts/peers.sh install');
  const r = spawnSync('bash', [path.join(repo, 'scripts', 'peers.sh'), 'install'], {
    cwd: repo,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600_000,
  });
  if (r.status === 3) return 'no real peers in ../shared/peers (scripts/peers.sh install exited 3)';
  if (r.status !== 0) return `scripts/peers.sh install failed (exit ${r.status ?? r.signal})`;
  if (!existsSync(FS_BIN) || !existsSync(CC_MOD))
    return 'scripts/peers.sh install ran but /opt/peers/freeswitch (with mod_callcenter) is still missing';
  return null;
}

const LABEL: Record<Mode, string> = {
  dialplan: "FreeSWITCH's own dialplan (bridge user/<ext>, the floor)",
  callcenter: 'mod_callcenter (one queue, longest-idle-agent, no wrap-up)',
  router: 'router (hotline_inbound -> socket -> router process, ACD in Redis)',
  routerpark:
    'routerpark (the 12345 variables with hotline_call_control=park, park; the router drives the parked caller over its inbound sockets)',
  park: 'park (12345 variables, park; a bare driver on the inbound socket rings the longest-idle agent: originate, uuid_bridge; no Redis, no records)',
};

export function realfsRows(rep: RealfsReport, o: RealfsOptions): BenchRow[] {
  const rows: BenchRow[] = [];
  const setup =
    `realfs: ${o.freshFs ? 'a FreeSWITCH 1.10.12 of its own for each mode, started afresh' : 'one FreeSWITCH 1.10.12 for every mode'} (project freeswitch-conf, fsctl sps 1000, loglevel ${o.fsLogLevel}); ` +
    `${o.agents} sipp agent phones registered with digest (${rep.registration}); ringing ${o.ringMs} ms, hanging up after ` +
    `${o.talkMs} ms of talk; one sipp caller per run, rate x ${o.seconds} s calls, unique caller id per call; ` +
    `modes: dialplan = ${LABEL.dialplan}; callcenter = ${LABEL.callcenter}; router = ${LABEL.router}` +
    (rep.menuNote ? `; ${rep.menuNote}` : '');
  const latNote =
    "realfs latency: the agent phone's sipp received the INVITE minus the caller's sipp sent its INVITE (-trace_msg clocks, correlated by caller id), over calls that rang an agent while the caller was still on the line (an agent rung only after the caller gave up counts as failed, not as a sample); router rows: baseline = mod_callcenter at the same rate";
  const failNote = `realfs bridged: an agent's phone answered while the caller was still on the line and (router modes) the caller's record says it was put through (not_joined: an agent answered, the record says nobody was put through: failed); failed: the caller reached no agent, got an error response, or gave up (no BYE within ${o.patienceS} s of the answer); unrecorded: router calls with no call record in Redis (records store of the China day)`;
  const shedNote =
    'realfs turned_away: of the failed, callers the router told the line is busy on purpose (FreeSWITCH overloaded: src/esl/switch-pressure.ts), each recorded as busy';
  const oooNote =
    'realfs out_of_order: pairs of calls (one class) where the later caller was rung at an agent before the earlier one; out_of_order_20ms: of those, the later one rung more than 20 ms (a media frame: FreeSWITCH starts a queued application at the next frame) before the earlier';
  const offerNote =
    "realfs router offers (router rows, from its call records' offeredAt, the router's clock on this machine): offered_out_of_order: pairs the router offered the later caller first; reordered_after_offer: pairs it offered in order whose agents' INVITEs went out in the other order (inside FreeSWITCH, between the router's originate and the INVITE); to_offer: the caller's INVITE to the router's offer; offer_to_invite: the offer to the agent phone's INVITE";
  const cpuNote = `realfs cpu_ms_per_call: utime+stime of FreeSWITCH (router mode: plus the router process tree) from the first INVITE until the last channel was gone, / calls placed, idle time included (${rep.idle}); router rows: baseline = mod_callcenter at the same rate`;
  const cc = (rate: number) => rep.results.find((r) => r.mode === 'callcenter' && r.rate === rate);
  for (const r of rep.results) {
    const f = r.figures;
    const n = `realfs.${r.mode}.${r.rate}cps`;
    const base = routerMode(r.mode) ? cc(r.rate) : undefined;
    rows.push(row(`${n}.placed`, f.placed, 'calls', undefined, setup));
    rows.push(row(`${n}.bridged`, f.bridged, 'calls', undefined, failNote));
    rows.push(row(`${n}.failed`, f.failed, 'calls', undefined, failNote));
    if (r.unrecorded !== null) rows.push(row(`${n}.unrecorded`, r.unrecorded, 'calls', undefined, failNote));
    if (r.outcomes) rows.push(row(`${n}.turned_away`, r.outcomes.busy ?? 0, 'calls', undefined, shedNote));
    rows.push(row(`${n}.p50_ms`, f.p50, 'ms', base?.figures.p50, latNote));
    rows.push(row(`${n}.p95_ms`, f.p95, 'ms', base?.figures.p95, latNote));
    if (r.mode !== 'dialplan') {
      rows.push(row(`${n}.out_of_order`, f.outOfOrder, 'pairs', undefined, oooNote));
      rows.push(row(`${n}.out_of_order_20ms`, f.outOfOrderBeyondFrame, 'pairs', undefined, oooNote));
    }
    if (r.offers) {
      rows.push(row(`${n}.offered_out_of_order`, r.offers.offeredOutOfOrder, 'pairs', undefined, offerNote));
      rows.push(
        row(`${n}.reordered_after_offer`, r.offers.reorderedAfterOffer, 'pairs', undefined, offerNote),
      );
      rows.push(row(`${n}.to_offer_p50_ms`, r.offers.toOfferP50, 'ms', undefined, offerNote));
      rows.push(row(`${n}.offer_to_invite_p50_ms`, r.offers.offerToRingP50, 'ms', undefined, offerNote));
      rows.push(row(`${n}.offer_to_invite_p95_ms`, r.offers.offerToRingP95, 'ms', undefined, offerNote));
    }
    rows.push(row(`${n}.cpu_ms_per_call`, r.cpuPerCallMs, 'ms', base?.cpuPerCallMs, cpuNote));
  }
  return rows;
}

const cell = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined || !Number.isFinite(v)
    ? '-'
    : digits
      ? v.toFixed(digits)
      : String(Math.round(v));

/** Every figure of every run, one line each (the table above keeps the headline ones). */
export function rawTable(results: readonly RunResult[]): string {
  const head = [
    'mode',
    'rate',
    'placed',
    'bridged',
    'failed',
    'unrec',
    'busy',
    'not_rung',
    'gave_up',
    'rung_late',
    'ans_late',
    'err_resp',
    'reoffers',
    'not_joined',
    'sipp_fail',
    'min_ms',
    'p50_ms',
    'p95_ms',
    'p99_ms',
    'max_ms',
    'mean_ms',
    'ooo',
    'ooo_20ms',
    'agents',
    'fs_cpu_ms',
    'rtr_cpu_ms',
    'fs/call',
    'cpu/call',
    'wall_s',
    'leftover',
    'outcomes',
  ];
  const rows = results.map((r) => {
    const f = r.figures;
    return [
      r.mode,
      String(r.rate),
      String(f.placed),
      String(f.bridged),
      String(f.failed),
      cell(r.unrecorded),
      r.outcomes ? String(r.outcomes.busy ?? 0) : '-',
      String(f.neverRung),
      String(f.gaveUp),
      String(f.rungAfterLeft),
      String(f.answeredAfterLeft),
      String(f.errorResponses),
      String(f.reoffers),
      String(f.notJoined),
      cell(r.sippFailed),
      cell(f.min),
      cell(f.p50),
      cell(f.p95),
      cell(f.p99),
      cell(f.max),
      cell(f.mean),
      String(f.outOfOrder),
      String(f.outOfOrderBeyondFrame),
      String(f.agentsUsed),
      cell(r.cpuFsMs),
      cell(r.cpuRouterMs),
      cell(r.cpuFsMs / Math.max(1, f.placed), 2),
      cell(r.cpuPerCallMs, 2),
      cell(r.wallS, 1),
      String(r.leftoverChannels),
      r.outcomes
        ? Object.entries(r.outcomes)
            .map(([k, v]) => `${k}:${v}`)
            .join(',')
        : '-',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The router's p50/p95 over mod_callcenter's, per rate, as a short summary line each. */
function ratios(results: readonly RunResult[]): string[] {
  const out: string[] = [];
  for (const r of results.filter((x) => routerMode(x.mode))) {
    const c = results.find((x) => x.mode === 'callcenter' && x.rate === r.rate);
    const d = results.find((x) => x.mode === 'dialplan' && x.rate === r.rate);
    if (!c) continue;
    out.push(
      `${r.rate}/s: router/mod_callcenter p50 ${round(r.figures.p50 / c.figures.p50)}x, p95 ${round(r.figures.p95 / c.figures.p95)}x` +
        (d ? `; dialplan floor p50 ${cell(d.figures.p50)} ms, p95 ${cell(d.figures.p95)} ms` : ''),
    );
  }
  return out;
}

async function runRealfsGroup(ctx: BenchContext): Promise<BenchRow[]> {
  const argv = process.argv.slice(2);
  const named = argv.filter((a) => !a.startsWith('--')).some((f) => 'realfs'.includes(f));
  if (!named && process.env.BENCH_REALFS !== '1') {
    ctx.log(
      'realfs: skipped (several minutes of load on a real FreeSWITCH): run `npm run bench -- realfs [--quick]`, or set BENCH_REALFS=1',
    );
    return [];
  }
  const o = parseRealfsArgs(argv);
  const why = missingPeers(ctx.log);
  if (why) {
    ctx.log(`realfs: SKIPPED: ${why}`);
    return [];
  }
  const calls = o.rates.reduce((s, r) => s + Math.round(r * o.seconds), 0) * o.modes.length;
  ctx.log(
    `realfs: modes ${o.modes.join(', ')} at ${o.rates.join(', ')} calls/s, ${o.seconds} s of calls each (${calls} calls in all)`,
  );
  // Loaded here, not at import: it needs the test tier's FreeSWITCH harness (test/real), which images without
  // the tests do not carry; `npm run bench` for the other groups works without it.
  const { runRealfs } = await import('./realfs-run.ts');
  let rep: RealfsReport;
  if (o.freshFs && o.modes.length > 1) {
    // One bench per mode, each with its own FreeSWITCH (and router), results side by side as one run's.
    const reps: RealfsReport[] = [];
    for (const mode of o.modes) {
      ctx.log(`realfs: --fresh-fs: ${mode} on a FreeSWITCH of its own`);
      reps.push(await runRealfs({ ...o, modes: [mode] }, ctx.redisUrl, ctx.log));
    }
    rep = {
      results: o.rates.flatMap((rate) => reps.flatMap((r) => r.results.filter((x) => x.rate === rate))),
      resultsFile: reps.map((r) => path.relative(repo, r.resultsFile)).join(', '),
      registration: reps[0]!.registration,
      menuNote: reps.map((r) => r.menuNote).find(Boolean) ?? '',
      idle: reps.map((r, i) => `${o.modes[i]}: ${r.idle}`).join('; '),
    };
  } else rep = await runRealfs(o, ctx.redisUrl, ctx.log);
  const raw = [
    '',
    'realfs raw figures (latency in ms, CPU in ms; unrec = no call record; not_rung = no agent rung while the caller was there; rung_late/ans_late = an agent rung/answering only after the caller gave up; ooo = out-of-order pairs):',
    rawTable(rep.results),
    ...ratios(rep.results),
    `idle CPU before the runs: ${rep.idle}`,
    `results with every latency sample: ${o.freshFs && o.modes.length > 1 ? rep.resultsFile : path.relative(repo, rep.resultsFile)}`,
    '',
  ].join('\n');
  // The runner's --json output is one JSON object per line on stdout: the raw table goes to stderr then.
  if (argv.includes('--json')) process.stderr.write(`${raw}\n`);
  else process.stdout.write(`${raw}\n`);
  return realfsRows(rep, o);
}

export const realfsGroup: BenchGroup = {
  name: 'realfs',
  description:
    "real FreeSWITCH 1.10.12 under load: its own dialplan, mod_callcenter and the router side by side (latency to the agent's phone, failures, CPU per call)",
  run: runRealfsGroup,
};
