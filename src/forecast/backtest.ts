// Rolling-origin backtest: stand at each midnight after a warm-up, forecast the next day with the
// history before it, and score against what came. This is how the planner picks its model: on the
// history it is given, by the errors each model would actually have made.
import { formatDate, formatLocalTime } from '../history/local-time.ts';
import {
  dayCount,
  dayValues,
  historyBefore,
  slotTime,
  slotsPerDay,
  type IntervalSeries,
} from '../history/series.ts';
import { type Accuracy, accuracy, coverage, type ScoredPoint, toHours } from './accuracy.ts';
import { type DayCalendar, EMPTY_CALENDAR } from './day-overrides.ts';
import { forecastNextDay, type PointCache } from './forecast-day.ts';
import type { ForecastModel } from './model.ts';

export const MAX_WARMUP_DAYS = 28;

export interface BacktestOptions {
  calendar?: DayCalendar;
  /** Days before the first origin; at most 28, at least what the models need. */
  warmupDays?: number;
  /** First day index scored (later than the warm-up), e.g. to report only data not tuned on. */
  scoreFromDay?: number;
  /** Day index after the last scored day. */
  scoreToDay?: number;
  /** Also compute prediction bands and their coverage (slower). */
  bands?: boolean;
}

export interface ModelBacktest {
  name: string;
  /** At the data's own interval. */
  native: Accuracy;
  /** Summed to clock hours. */
  hourly: Accuracy;
  /** Share of actuals inside the 80 % and 95 % bands (when bands were computed). */
  coverage80?: number;
  coverage95?: number;
  points: ScoredPoint[];
}

export interface BacktestResult {
  intervalMin: number;
  warmupDays: number;
  /** First and last forecast days, `YYYY-MM-DD`. */
  from: string;
  to: string;
  origins: number;
  models: ModelBacktest[];
  chosen: string;
}

/** Forecasts are scored as printed, so anyone re-scoring the printed points gets the same figures. */
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Default warm-up: four weeks, or half the history when that is short. */
export function defaultWarmupDays(series: IntervalSeries, models: readonly ForecastModel[]): number {
  const need = Math.max(7, ...models.map((m) => m.minHistoryDays));
  return Math.max(need, Math.min(MAX_WARMUP_DAYS, Math.floor(dayCount(series) / 2)));
}

/** The model the planner would use: least WAPE at the data's own interval (first listed on a tie). */
export function chooseModel(scores: ReadonlyArray<Pick<ModelBacktest, 'name' | 'native'>>): string {
  let best: Pick<ModelBacktest, 'name' | 'native'> | undefined;
  for (const s of scores)
    if (Number.isFinite(s.native.wape) && (!best || s.native.wape < best.native.wape)) best = s;
  if (!best) throw new Error('no model could be scored: the backtest window has no calls');
  return best.name;
}

export function backtest(
  series: IntervalSeries,
  models: readonly ForecastModel[],
  opts: BacktestOptions = {},
): BacktestResult {
  if (!models.length) throw new Error('backtest needs at least one model');
  const calendar = opts.calendar ?? EMPTY_CALENDAR;
  const days = dayCount(series);
  const warmup = opts.warmupDays ?? defaultWarmupDays(series, models);
  const need = Math.max(...models.map((m) => m.minHistoryDays));
  if (warmup > MAX_WARMUP_DAYS) throw new Error(`warm-up ${warmup} days is longer than ${MAX_WARMUP_DAYS}`);
  if (warmup < need)
    throw new Error(`warm-up ${warmup} days is shorter than the ${need} days the models need`);
  const from = Math.max(warmup, opts.scoreFromDay ?? warmup);
  const to = Math.min(days, opts.scoreToDay ?? days);
  if (from >= to)
    throw new Error(`history of ${days} days leaves nothing to score after a ${warmup}-day warm-up`);
  const n = slotsPerDay(series);

  const results: ModelBacktest[] = models.map((model) => {
    const cache: PointCache = new Map();
    const points: ScoredPoint[] = [];
    const band80: Array<{ actual: number; lower: number; upper: number }> = [];
    const band95: typeof band80 = [];
    for (let d = from; d < to; d++) {
      const history = historyBefore(series, d);
      const fc = opts.bands ? forecastNextDay(model, history, calendar, cache) : null;
      const mean = fc?.mean ?? model.pointForecast(history, calendar);
      const actual = dayValues(series, d);
      for (let s = 0; s < n; s++) {
        const a = actual[s]!;
        if (Number.isNaN(a)) continue;
        points.push({ time: slotTime(series, d * n + s), actual: a, forecast: round3(mean[s]!) });
        if (fc) {
          band80.push({ actual: a, lower: fc.bands[0]!.lower[s]!, upper: fc.bands[0]!.upper[s]! });
          band95.push({ actual: a, lower: fc.bands[1]!.lower[s]!, upper: fc.bands[1]!.upper[s]! });
        }
      }
    }
    const r: ModelBacktest = {
      name: model.name,
      native: accuracy(points),
      hourly: accuracy(toHours(points)),
      points,
    };
    if (opts.bands) {
      r.coverage80 = coverage(band80);
      r.coverage95 = coverage(band95);
    }
    return r;
  });
  const dayStartOf = (d: number) => slotTime(series, d * n);
  return {
    intervalMin: series.intervalMin,
    warmupDays: warmup,
    from: formatDate(dayStartOf(from)),
    to: formatDate(dayStartOf(to - 1)),
    origins: to - from,
    models: results,
    chosen: chooseModel(results),
  };
}

/** The backtest as the CLI prints it with --json: every next-day forecast of the chosen model. */
export function backtestJson(r: BacktestResult, detail = false): unknown {
  const chosen = r.models.find((m) => m.name === r.chosen)!;
  return {
    chosen: r.chosen,
    models: r.models.map((m) =>
      detail
        ? {
            name: m.name,
            wape: m.native.wape,
            mape: m.hourly.mape,
            hourlyWape: m.hourly.wape,
            intervalMape: m.native.mape,
            ...(m.coverage80 === undefined ? {} : { coverage80: m.coverage80, coverage95: m.coverage95 }),
          }
        : { name: m.name, wape: m.native.wape, mape: m.hourly.mape },
    ),
    points: chosen.points.map((p) => ({
      start: formatLocalTime(p.time),
      actual: p.actual,
      forecast: p.forecast,
    })),
    ...(detail
      ? { intervalMin: r.intervalMin, warmupDays: r.warmupDays, from: r.from, to: r.to, origins: r.origins }
      : {}),
  };
}
