// `hotline plan evaluate --history FILE --calls FILE --from D1 --to D2 [--json]`: tidal seats on days the
// planner never saw (src/tidal/evaluate.ts), per day and in total, against a fixed roster with the same
// front-line seat-hours, three shifts sized to their peaks, and the hindsight Erlang-A optimum.
import { readFileSync } from 'node:fs';
import { DAY_MS, formatDate, parseDate } from '../../history/local-time.ts';
import { readHistoryFile } from './history.ts';
import { resolveScenario } from '../../simulator/scenario.ts';
import {
  type EvaluatedDay,
  evaluateDay,
  EvaluateError,
  parseRecordedCalls,
  type VariantFigures,
} from '../../tidal/evaluate.ts';
import { type CommandContext, table, UsageError } from '../command.ts';
import { STANDARD_DAY } from '../../simulator/bench.ts';

const VARIANTS = ['tidal', 'intraday', 'fixed', 'shifts', 'optimum'] as const;
/** The bar for a day: answer rate and answered within 15 s. */
const GOOD_ANSWER = 0.99;
const GOOD_WITHIN15 = 0.8;

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
    goodDays: days.filter((d) => d[k].answerRate >= GOOD_ANSWER && d[k].within15 >= GOOD_WITHIN15).length,
  };
}

export async function runPlanEvaluate(ctx: CommandContext): Promise<number> {
  const from = parseDate(opt(ctx, 'from'));
  const to = parseDate(opt(ctx, 'to'));
  if (from === null || to === null || to < from)
    throw new UsageError('--from and --to must be dates, from ≤ to');
  if ((to - from) / DAY_MS > 366) throw new UsageError('--from to --to spans more than a year');
  const series = readHistoryFile(ctx, opt(ctx, 'history')).series;
  const calls = parseRecordedCalls(readText(opt(ctx, 'calls')));
  // ACD settings and queues of the standard day; callers and agents come from the evaluation.
  const shell = resolveScenario(JSON.parse(readText(STANDARD_DAY)));
  const q = ctx.opts.quantile;
  const quantile = typeof q === 'string' ? Number(q) : undefined;
  if (quantile !== undefined && !(quantile > 0 && quantile < 1))
    throw new UsageError('--quantile must be in (0, 1)');
  const model = typeof ctx.opts.model === 'string' ? ctx.opts.model : undefined;
  const days: EvaluatedDay[] = [];
  for (let t = from; t <= to; t += DAY_MS) {
    const date = formatDate(t);
    try {
      const d = evaluateDay(series, calls, date, shell, {
        ...(quantile ? { quantile } : {}),
        ...(model ? { model } : {}),
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
  if (ctx.json) {
    ctx.out(JSON.stringify({ days, totals, backupKeptHours: kept }));
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
      `good day: answer rate ≥ ${GOOD_ANSWER * 100}% and ≥ ${GOOD_WITHIN15 * 100}% answered within 15 s\n`,
  );
  return 0;
}
