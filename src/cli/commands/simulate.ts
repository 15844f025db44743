// `hotline simulate --scenario FILE.json`: one simulated day on the live ACD policy — answer rate,
// service level, average and 95th-percentile wait, abandonment per class and overall, occupancy and
// care callers' wait. `--compare`: the tidal plan against the same paid seat-hours without moves.
// `--calibrate FILE.csv`: patience and handle-time distributions from per-call records.
import { calibrateFile } from '../../simulator/calibrate.ts';
import { compareRuns, compareTidal } from '../../simulator/compare.ts';
import { simulate } from '../../simulator/engine.ts';
import { STANDARD_DAY } from '../../simulator/bench.ts';
import {
  classRows,
  comparisonJson,
  comparisonRows,
  hhmm,
  resultJson,
  runsJson,
  runsRows,
} from '../../simulator/report.ts';
import { loadScenarioFile, resolveScenario, ScenarioError } from '../../simulator/scenario.ts';
import { planForScenario } from '../../simulator/tidal-plan.ts';
import { type Command, type CommandContext, table, UsageError } from '../command.ts';

function intOpt(ctx: CommandContext, name: string): number | undefined {
  const raw = ctx.opts[name];
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(v) || v < 0)
    throw new UsageError(`--${name} must be a whole number ≥ 0`);
  return v;
}

function loadScenario(ctx: CommandContext) {
  const file = ctx.opts.scenario;
  if (typeof file !== 'string')
    throw new UsageError('--scenario FILE.json is required ("standard" for the shipped standard day)');
  let sc;
  try {
    sc = loadScenarioFile(file === 'standard' ? STANDARD_DAY : file);
  } catch (e) {
    if (e instanceof ScenarioError) throw new Error(e.message, { cause: e });
    throw e;
  }
  const calls = intOpt(ctx, 'calls');
  const noTidal = ctx.opts['no-tidal'] === true;
  if (calls !== undefined || noTidal) {
    const src = sc.source;
    sc = resolveScenario({
      ...src,
      ...(calls !== undefined ? { arrivals: { ...src.arrivals, total: calls } } : {}),
      ...(noTidal ? { tidal: { ...src.tidal, enabled: false } } : {}),
    });
  }
  return sc;
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary:
    'Simulate a day on the live ACD policy: per-class answer rate, SL, waits; tidal plan vs same hours.',
  usage:
    'simulate --scenario FILE.json|standard [--seed N] [--calls N] [--no-tidal] [--compare] [--intervals] [--json] | simulate --calibrate CALLS.csv [--json]',
  options: [
    {
      name: 'scenario',
      description: 'scenario JSON file ("standard" = the shipped standard day)',
      takesValue: true,
    },
    { name: 'seed', description: 'random seed (default the scenario’s)', takesValue: true },
    { name: 'calls', description: 'scale the day to this many expected calls', takesValue: true },
    { name: 'no-tidal', description: 'simulate without the tidal plan' },
    {
      name: 'compare',
      description: 'tidal plan vs the same seat-hours without moves vs the front line alone',
    },
    {
      name: 'runs',
      description: 'compare: average over this many seeds (seed, seed+1, …)',
      takesValue: true,
    },
    { name: 'intervals', description: 'add the hour-by-hour table' },
    {
      name: 'calibrate',
      description: 'per-call CSV to calibrate patience and handle times from',
      takesValue: true,
    },
  ],
  async run(ctx) {
    if (typeof ctx.opts.calibrate === 'string') {
      const c = calibrateFile(ctx.opts.calibrate);
      if (ctx.json) ctx.out(JSON.stringify(c));
      else
        ctx.out(
          `来电 calls ${c.calls}，排队 queued ${c.queued}，放弃 abandoned ${c.abandoned} (${(c.abandonShare * 100).toFixed(1)}% of queued)，平均排队 mean queue ${c.meanQueueS.toFixed(1)} s\n` +
            `通话时长 handle time: mean ${c.handle.meanS.toFixed(1)} s, cv ${c.handle.cv.toFixed(3)}, median ${c.handle.medianS.toFixed(0)} s, p95 ${c.handle.p95S.toFixed(0)} s (n ${c.handle.n})\n` +
            `耐心 patience: exponential mean ${c.patience.meanS.toFixed(1)} s (MLE, served callers censored), Kaplan–Meier median ${c.patience.medianS ?? '—'} s\n\n` +
            `scenario fields:\n  "handleTime": ${JSON.stringify(c.dists.handleTime)}\n  "patience": ${JSON.stringify(c.dists.patience)}\n`,
        );
      return 0;
    }
    const sc = loadScenario(ctx);
    const seed = intOpt(ctx, 'seed') ?? sc.seed;
    const runs = intOpt(ctx, 'runs');
    if (ctx.opts.compare === true && runs !== undefined && runs > 1) {
      const r = compareRuns(sc, runs, seed);
      if (ctx.json) ctx.out(JSON.stringify(runsJson(r)));
      else {
        const rows = runsRows(r);
        ctx.out(
          `${sc.name}: 平均 mean of ${runs} days (seeds ${r.seeds[0]}–${r.seeds[r.seeds.length - 1]}), ${r.calls.toFixed(0)} calls a day\n\n` +
            table(rows, Object.keys(rows[0]!)),
        );
      }
      return 0;
    }
    if (ctx.opts.compare === true) {
      const c = compareTidal(sc, seed);
      if (ctx.json) {
        ctx.out(JSON.stringify(comparisonJson(c)));
        return 0;
      }
      ctx.out(
        `${sc.name}: ${c.calls} 通来电 calls (seed ${seed})；潮汐调度 ${c.moves.length} 次 moves，` +
          `${c.tidal.movedSeatHours.toFixed(1)} 席时 seat-hours；同工时方案加 ${c.flatAgents.length} 个固定一线席位 ` +
          `(${c.flatAgents.map((a) => a.shift).join(', ') || '—'})\n\n` +
          table(comparisonRows(c), Object.keys(comparisonRows(c)[0]!)) +
          (c.moves.length
            ? `\n潮汐调度 moves: ${c.moves.map((m) => `${m.agentId} ${hhmm(m.fromMs)}–${hhmm(m.toMs)}`).join(', ')}\n`
            : ''),
      );
      return 0;
    }
    const { moves } = planForScenario(sc);
    const r = simulate(sc, { seed, moves });
    if (ctx.json) {
      ctx.out(
        JSON.stringify({
          ...resultJson(r, ctx.opts.intervals === true),
          tidal: {
            enabled: sc.tidal.enabled,
            moves: moves.map((m) => ({ agentId: m.agentId, from: hhmm(m.fromMs), to: hhmm(m.toMs) })),
          },
        }),
      );
      return 0;
    }
    const rows = classRows(r);
    let text =
      `${sc.name}: ${r.calls} 通来电 calls (seed ${seed})，潮汐调度 ${moves.length} 次 moves，` +
      `用时 ${(r.elapsedMs / 1000).toFixed(2)} s\n\n` +
      table(rows, Object.keys(rows[0]!)) +
      `\n关爱来电平均等待 care callers' wait: ${Number.isFinite(r.careAvgWaitS) ? r.careAvgWaitS.toFixed(1) : '—'} s\n` +
      `占用率 occupancy: ${(r.occupancy * 100).toFixed(1)}%\n`;
    if (ctx.opts.intervals === true) {
      const hours = r.intervals
        .filter((i) => i.offered > 0 || i.onPhones > 0)
        .map((i) => ({
          '时段 from': i.start,
          '来电 offered': String(i.offered),
          '服务水平 SL': i.serviceLevel === null ? '—' : `${(i.serviceLevel * 100).toFixed(0)}%`,
          '平均等待 wait': i.avgWaitS === null ? '—' : `${i.avgWaitS.toFixed(1)} s`,
          '在线坐席 on phones': String(i.onPhones),
          '潮汐 moved': String(i.moved),
        }));
      if (hours.length) text += `\n${table(hours, Object.keys(hours[0]!))}`;
    }
    ctx.out(text);
    return 0;
  },
};
