// `hotline plan evaluate --history FILE --calls FILE --from D1 --to D2 [--json]`: tidal seats on days the
// planner never saw (src/tidal/evaluate.ts), per day and in total, against a fixed roster with the same
// front-line seat-hours, three shifts sized to their peaks, and the hindsight Erlang-A optimum.
import { readFileSync } from 'node:fs';
import { DAY_MS, formatDate, parseDate } from '../../history/local-time.ts';
import { readHistoryFile } from './history.ts';
import { resolveScenario } from '../../simulator/scenario.ts';
import {
  DAY_BAR,
  type EvaluatedDay,
  evaluateDay,
  EvaluateError,
  meetsBar,
  parseRecordedCalls,
  type VariantFigures,
} from '../../tidal/evaluate.ts';
import { type CommandContext, table, UsageError } from '../command.ts';
import { STANDARD_DAY } from '../../simulator/bench.ts';
import { SHORT_ABANDON_S } from '../../simulator/engine.ts';
import { formatHhmm, parseHhmm } from '../../tidal/time.ts';

const VARIANTS = ['tidal', 'intraday', 'fixed', 'shifts', 'optimum'] as const;

function opt(ctx: CommandContext, name: string): string {
  const v = ctx.opts[name];
  if (typeof v !== 'string' || !v) throw new UsageError(`plan evaluate needs --${name}`);
  return v;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      cause: e,
    });
  }
}

function total(
  days: readonly EvaluatedDay[],
  k: (typeof VARIANTS)[number],
): VariantFigures & { goodDays: number } {
  const w = days.reduce((a, d) => a + d.calls, 0) || 1;
  const avg = (f: (v: VariantFigures) => number) => days.reduce((a, d) => a + f(d[k]) * d.calls, 0) / w;
  return {
    answerRate: avg((v) => v.answerRate),
    within15: avg((v) => v.within15),
    careAvgWaitS: avg((v) => v.careAvgWaitS),
    frontSeatHours: days.reduce((a, d) => a + d[k].frontSeatHours, 0),
    goodDays: days.filter((d) => meetsBar(d[k])).length,
  };
}

export async function runPlanEvaluate(ctx: CommandContext): Promise<number> {
  const from = parseDate(opt(ctx, 'from'));
  const to = parseDate(opt(ctx, 'to'));
  if (from === null || to === null || to < from)
    throw new UsageError('--from and --to must be dates, from ≤ to');
  if ((to - from) / DAY_MS > 366) throw new UsageError('--from to --to spans more than a year');
  const q = ctx.opts.quantile;
  const quantile = typeof q === 'string' ? Number(q) : undefined;
  if (quantile !== undefined && !(quantile > 0 && quantile < 1))
    throw new UsageError('--quantile must be in (0, 1)');
  const model = typeof ctx.opts.model === 'string' ? ctx.opts.model : undefined;
  const sa = ctx.opts['short-abandon-s'];
  const shortAbandonS = typeof sa === 'string' ? Number(sa) : SHORT_ABANDON_S;
  if (!(shortAbandonS >= 0 && shortAbandonS <= 60))
    throw new UsageError('--short-abandon-s must be seconds between 0 and 60');
  const sz = ctx.opts.sizing;
  if (sz !== undefined && sz !== 'day' && sz !== 'interval')
    throw new UsageError('--sizing must be day or interval');
  const sizing = sz === 'interval' ? 'interval' : 'day';
  const re = ctx.opts['replan-every-min'];
  const replanEveryMin = typeof re === 'string' ? Number(re) : 60;
  if (!(Number.isInteger(replanEveryMin) && replanEveryMin >= 0))
    throw new UsageError('--replan-every-min must be whole minutes ≥ 0 (0: re-plan once, at --replan-from)');
  const prune = ctx.opts['prune-optimum'] === true;
  const rf = ctx.opts['replan-from'];
  const replanFromMin = typeof rf === 'string' ? parseHhmm(rf) : 540;
  if (replanFromMin === null || replanFromMin >= 1440)
    throw new UsageError('--replan-from must be a time of day, HH:MM');
  const series = readHistoryFile(ctx, opt(ctx, 'history')).series;
  const calls = parseRecordedCalls(readText(opt(ctx, 'calls')));
  // ACD settings and queues of the standard day; callers and agents come from the evaluation.
  const shell = resolveScenario(JSON.parse(readText(STANDARD_DAY)));
  const days: EvaluatedDay[] = [];
  for (let t = from; t <= to; t += DAY_MS) {
    const date = formatDate(t);
    try {
      const d = evaluateDay(series, calls, date, shell, {
        ...(quantile ? { quantile } : {}),
        ...(model ? { model } : {}),
        shortAbandonS,
        sizing,
        replanEveryMin,
        replanFromMin,
        prune,
      });
      if (d.calls > 0) days.push(d);
    } catch (e) {
      if (e instanceof EvaluateError) throw new UsageError(e.message);
      throw e;
    }
  }
  if (!days.length) throw new UsageError('no day in the range has recorded calls');
  const totals = Object.fromEntries(VARIANTS.map((k) => [k, total(days, k)]));
  const kept = days.reduce((a, d) => a + d.backupKeptHours, 0);
  const sized = (k: 'quantile' | 'mean' | 'actual') => days.reduce((a, d) => a + d.sizedSeatHours[k], 0);
  const rules = {
    bar: DAY_BAR,
    shortAbandonS,
    quantile: quantile ?? 0.8,
    sizing,
    replanEveryMin,
    replanFrom: formatHhmm(replanFromMin),
    optimum: prune ? 'erlang-a+sim, pruned' : 'erlang-a+sim',
  };
  if (ctx.json) {
    ctx.out(
      JSON.stringify({
        rules,
        days,
        totals,
        backupKeptHours: kept,
        sizedSeatHours: { quantile: sized('quantile'), mean: sized('mean'), actual: sized('actual') },
      }),
    );
    return 0;
  }
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const rows = days.map((d) => ({
    '日期 date': d.date,
    '来电 calls': String(d.calls),
    ...Object.fromEntries(
      VARIANTS.flatMap((k) => [
        [`${k} 接通`, pct(d[k].answerRate)],
        [`${k} 15s`, pct(d[k].within15)],
        [`${k} 席时`, d[k].frontSeatHours.toFixed(0)],
      ]),
    ),
    '上午偏差 morning ×': d.intradayFactor.toFixed(2),
    '备岗留后台 kept h': d.backupKeptHours.toFixed(1),
  }));
  const sum = VARIANTS.map((k) => ({
    '方案 roster': k,
    '接通率 answer': pct(totals[k]!.answerRate),
    '15秒内 within 15 s': pct(totals[k]!.within15),
    '重点人群平均等待 care wait': `${totals[k]!.careAvgWaitS.toFixed(1)} s`,
    '一线席时 front seat-h': totals[k]!.frontSeatHours.toFixed(0),
    '达标天数 good days': `${totals[k]!.goodDays}/${days.length}`,
  }));
  ctx.out(
    `潮汐评估 tidal evaluation ${days[0]!.date} – ${days[days.length - 1]!.date}: ${days.length} days, forecast and plan from the history before each day\n\n` +
      table(rows, Object.keys(rows[0]!)) +
      '\n' +
      table(sum, Object.keys(sum[0]!)) +
      `\n备岗席时留在后台 backup seat-hours kept in the back office: ${kept.toFixed(1)}\n` +
      `测算席时 seat-hours sized before shifts and moves: forecast at the quantile ${sized('quantile').toFixed(0)}, forecast mean ${sized('mean').toFixed(0)}, actual calls ${sized('actual').toFixed(0)}\n` +
      `达标 good day: answer rate ≥ ${DAY_BAR.answerRate * 100}%, ≥ ${DAY_BAR.within15 * 100}% answered within 15 s, care callers' mean wait ≤ ${DAY_BAR.careAvgWaitS} s\n` +
      `短时放弃 short abandons: ${shortAbandonS > 0 ? `callers hanging up within ${shortAbandonS} s of queueing are left out of the answer rate and the 15 s share, for every roster alike (--short-abandon-s)` : 'none left out: every abandon counts (--short-abandon-s 0)'}\n` +
      `sized for ${sizing === 'day' ? "the day's bar" : 'the full targets in every interval'} at the ${quantile ?? 0.8} quantile of the forecast; intraday re-plans ${replanEveryMin > 0 ? `every ${replanEveryMin} min from ${formatHhmm(replanFromMin)} to 17:00` : `once, at ${formatHhmm(replanFromMin)}`}; optimum: Erlang A on the day's actual calls, seats added in the simulator until the day meets the bar${prune ? ', then every seat the day does not need given back' : ''}\n`,
  );
  return 0;
}
