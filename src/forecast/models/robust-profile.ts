// A day-of-week by time-of-day profile made robust for public-service call data, where one odd day
// in a few weeks (an unannounced holiday, a system outage, a news story) is normal:
//   - the day's level is the mean of recent same-kind days' totals (optionally recency-weighted),
//     leaving out days far off their median, so one odd day moves it little;
//   - the intraday shape is averaged on the square-root scale, where Poisson noise is the same
//     size at every volume, and smoothed over neighbouring intervals;
//   - a recent-level factor, exponentially smoothed from how each day ran against the pooled
//     profiles, carries a step change (a new service, a campaign) into tomorrow within days instead
//     of the weeks a profile average takes, while each day's pull on it is clipped so a holiday
//     nudges rather than halves it.
import { dayCount, dayStart, slotsPerDay, type IntervalSeries } from '../../history/series.ts';
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
  /**
   * Exponent on how the last day ran against the recent level: daily call volumes, once the
   * weekday is taken out, are autocorrelated (Brown et al., JASA 2005, on this very bank's data).
   */
  lastDayWeight: number;
  /** Smoothing of the level per day of the busiest kind (quieter days move it less). */
  beta: number;
  /** Largest daily move of the smoothed level, as a ratio (a holiday is clipped to this). */
  clipRatio: number;
  /** Days the level is smoothed over. */
  levelDays: number;
}

// Tuned on next-day forecasts for the first half of 1999 of the Anonymous Bank series (6-minute
// counts); the second half is left for judging.
export const ROBUST_PROFILE_DEFAULTS: RobustProfileOptions = {
  poolDays: 12,
  decay: 1,
  outlierRatio: 1.6,
  smoothMin: 30,
  lastDayWeight: 0.4,
  // The bank's level barely drifts, so any beta from 0.05 to 0.2 scores the same there; 0.2 keeps
  // a lasting step (a merged hotline, a campaign) mostly absorbed within a week.
  beta: 0.2,
  clipRatio: 1.3,
  levelDays: 56,
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

/**
 * The recent level against the pooled profiles: exponential smoothing, in log space, of each day's
 * calls over its kind's pooled total, with each day's move clipped so that a holiday or an outage
 * nudges the level instead of halving it. Quiet days (weekends) move it in proportion to their calls.
 */
function smoothedLevel(history: IntervalSeries, calendar: DayCalendar, opts: RobustProfileOptions): number {
  const days = dayCount(history);
  const pooled = new Map<number, number | null>();
  const pooledTotal = (w: number) => {
    if (!pooled.has(w)) {
      const p = baseProfile(history, calendar, w, opts);
      pooled.set(w, p ? p.reduce((a, b) => a + b, 0) : null);
    }
    return pooled.get(w)!;
  };
  const busiest = Math.max(...[0, 1, 2, 3, 4, 5, 6].map((w) => pooledTotal(w) ?? 0));
  if (!(busiest > 0)) return 1;
  const n = slotsPerDay(history);
  const clip = Math.log(opts.clipRatio);
  let level = 0;
  let last = 0;
  for (let d = Math.max(0, days - opts.levelDays); d < days; d++) {
    const kind = calendar.kindOf(dayStart(history, d));
    const expected = pooledTotal(kind.weekday);
    if (kind.scale <= 0 || !expected) continue;
    let a = 0;
    let known = 0;
    for (let s = 0; s < n; s++) {
      const v = history.values[d * n + s]!;
      if (Number.isNaN(v)) continue;
      a += v / kind.scale;
      known++;
    }
    if (known < n / 2) continue;
    const x = Math.log(Math.max(a, 1) / expected);
    const beta = 1 - Math.pow(1 - opts.beta, expected / busiest);
    last = x - level;
    level += beta * Math.max(-clip, Math.min(clip, last));
  }
  const lastDay = Math.exp(Math.max(-clip, Math.min(clip, last)));
  return Math.exp(level) * Math.pow(lastDay, opts.lastDayWeight);
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
      const factor = kind.scale * smoothedLevel(history, calendar, opts);
      return base.map((v) => v * factor);
    },
  };
}

export const robustProfile = makeRobustProfile();
