// A day-of-week by time-of-day profile made robust for public-service call data, where one odd day
// in a few weeks (an unannounced holiday, a system outage, a news story) is normal:
//   - the day's level is a recency-weighted mean of recent same-kind days' totals, leaving out days
//     far off their median, so one odd day moves it little;
//   - the intraday shape is averaged on the square-root scale, where Poisson noise is the same
//     size at every volume, and smoothed over neighbouring intervals;
//   - a recent-level factor, the weighted median of how the last days ran against their own
//     forecasts, carries a step change (a new service, a campaign) into tomorrow within days,
//     instead of the weeks a profile average takes.
import { dayCount, dayStart, historyBefore, slotsPerDay, type IntervalSeries } from '../../history/series.ts';
import type { DayCalendar } from '../day-overrides.ts';
import { type PoolDay, sameKindDays, targetKind } from '../day-pool.ts';
import type { ForecastModel } from '../model.ts';

export interface RobustProfileOptions {
  /** Same-kind days in the pool. */
  poolDays: number;
  /** Weight of each older pool day relative to the next newer one. */
  decay: number;
  /** Pool days whose total is this many times off the median (either way) are left out. */
  outlierRatio: number;
  /** Half-width, in minutes, of the triangular smoothing of the shape. */
  smoothMin: number;
  /** Recent days whose ratio of actual to expected sets the level factor. */
  levelDays: number;
  /** Exponent damping the level factor (0 = ignore the recent level, 1 = follow it fully). */
  levelWeight: number;
  /**
   * Exponent on how the last day ran against the recent level: daily call volumes, once the
   * weekday is taken out, are autocorrelated (Brown et al., JASA 2005, on this very bank's data).
   */
  lastDayWeight: number;
}

// Tuned on next-day forecasts for the first half of 1999 of the Anonymous Bank series (6-minute
// counts); the second half is left for judging.
export const ROBUST_PROFILE_DEFAULTS: RobustProfileOptions = {
  poolDays: 12,
  decay: 1,
  outlierRatio: 1.6,
  smoothMin: 30,
  levelDays: 7,
  levelWeight: 0.5,
  lastDayWeight: 0.4,
};

interface Weighted {
  value: number;
  weight: number;
}

function weightedMedian(xs: Weighted[]): number {
  const s = [...xs].sort((a, b) => a.value - b.value);
  const half = s.reduce((acc, x) => acc + x.weight, 0) / 2;
  let acc = 0;
  for (const x of s) {
    acc += x.weight;
    if (acc >= half) return x.value;
  }
  return s[s.length - 1]!.value;
}

/** Pool days whose total is within `ratio` of the median, with recency weights. */
function inliers(pool: PoolDay[], opts: RobustProfileOptions): Array<PoolDay & { weight: number }> {
  const weighted = pool.map((p, i) => ({ ...p, weight: Math.pow(opts.decay, i) }));
  const med = weightedMedian(pool.map((p) => ({ value: p.total, weight: 1 })));
  const kept = weighted.filter(
    (p) => med <= 0 || (p.total <= med * opts.outlierRatio && p.total * opts.outlierRatio >= med),
  );
  return kept.length ? kept : weighted;
}

/** Triangular moving average that keeps the day's ends (no wrap into the previous night). */
function smooth(xs: Float64Array, half: number): Float64Array {
  if (half <= 0) return xs;
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    let acc = 0;
    let w = 0;
    for (let k = -half; k <= half; k++) {
      const j = i + k;
      if (j < 0 || j >= xs.length) continue;
      const wk = half + 1 - Math.abs(k);
      acc += wk * xs[j]!;
      w += wk;
    }
    out[i] = acc / w;
  }
  return out;
}

/** Expected calls per interval for an ordinary day of `weekday`, from the days before `history` ends. */
function baseProfile(
  history: IntervalSeries,
  calendar: DayCalendar,
  weekday: number,
  opts: RobustProfileOptions,
): Float64Array | null {
  const pool = sameKindDays(history, calendar, weekday, opts.poolDays, 7 * opts.poolDays + 21);
  if (!pool.length) return null;
  const days = inliers(pool, opts);
  let wSum = 0;
  let level = 0;
  for (const p of days) {
    level += p.weight * p.total;
    wSum += p.weight;
  }
  level /= wSum;
  const n = slotsPerDay(history);
  const root = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    let acc = 0;
    let w = 0;
    for (const p of days) {
      const v = p.values[s]!;
      if (Number.isNaN(v) || p.total <= 0) continue;
      acc += p.weight * Math.sqrt((v * level) / p.total);
      w += p.weight;
    }
    root[s] = w ? acc / w : 0;
  }
  const shape = smooth(root, Math.round(opts.smoothMin / history.intervalMin)).map((r) => r * r);
  let total = 0;
  for (const v of shape) total += v;
  // Squaring a mean of roots lands below the mean; the level, not the shape, says how many calls.
  return total > 0 ? shape.map((v) => (v * level) / total) : shape;
}

/** Weighted median ratio of actual to expected calls over the last days, damped. */
function recentLevel(history: IntervalSeries, calendar: DayCalendar, opts: RobustProfileOptions): number {
  if (opts.levelWeight === 0) return 1;
  const n = slotsPerDay(history);
  const days = dayCount(history);
  const ratios: Weighted[] = [];
  for (let d = days - 1; d >= Math.max(0, days - opts.levelDays); d--) {
    const kind = calendar.kindOf(dayStart(history, d));
    if (kind.scale <= 0) continue;
    const expected = baseProfile(historyBefore(history, d), calendar, kind.weekday, opts);
    if (!expected) continue;
    let a = 0;
    let e = 0;
    for (let s = 0; s < n; s++) {
      const v = history.values[d * n + s]!;
      if (Number.isNaN(v)) continue;
      a += v / kind.scale;
      e += expected[s]!;
    }
    // Weighted by expected calls: a quiet weekend day's ratio is mostly noise.
    if (e > 0) ratios.push({ value: a / e, weight: e });
  }
  if (!ratios.length) return 1;
  const r = Math.min(2, Math.max(0.5, weightedMedian(ratios)));
  const last = ratios[0]!.weight >= 0.5 * Math.max(...ratios.map((x) => x.weight)) ? ratios[0]!.value / r : 1;
  return Math.pow(r, opts.levelWeight) * Math.pow(Math.min(2, Math.max(0.5, last)), opts.lastDayWeight);
}

export function makeRobustProfile(
  opts: RobustProfileOptions = ROBUST_PROFILE_DEFAULTS,
  name = 'robust-profile',
): ForecastModel {
  return {
    name,
    minHistoryDays: 7,
    pointForecast(history: IntervalSeries, calendar: DayCalendar): Float64Array {
      const n = slotsPerDay(history);
      const kind = targetKind(history, calendar);
      const base = baseProfile(history, calendar, kind.weekday, opts);
      if (!base || kind.scale === 0) return new Float64Array(n);
      const factor = kind.scale * recentLevel(history, calendar, opts);
      return base.map((v) => v * factor);
    },
  };
}

export const robustProfile = makeRobustProfile();
