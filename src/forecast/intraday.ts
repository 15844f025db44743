// Re-forecasting the rest of the day from what has arrived so far. Day-level surprises in call
// volume persist through the day (a morning 40 % hot is followed by a hot afternoon), so the rest of
// the day is scaled by how the day has run against its forecast. Recent intervals weigh most, so
// a surge that starts mid-morning shows within the hour; a pseudo-count of calls keeps a quiet
// night's two-calls-instead-of-one from doubling the morning.
import { MINUTE_MS } from '../history/local-time.ts';
import type { DayForecast } from './model.ts';

export interface IntradayOptions {
  /** Minutes after which an interval's weight in the ratio halves. */
  halfLifeMin: number;
  /** Calls of evidence that count as much as the forecast itself (shrinks the ratio towards 1). */
  priorCalls: number;
  /** Bounds on the scaling factor. */
  minFactor: number;
  maxFactor: number;
}

export const INTRADAY_DEFAULTS: IntradayOptions = {
  halfLifeMin: 45,
  priorCalls: 10,
  minFactor: 0.25,
  maxFactor: 4,
};

export interface IntradayForecast extends DayForecast {
  /** Factor applied to the intervals still to come. */
  factor: number;
  /** Intervals fully elapsed at `now`; their mean is the actual count where known. */
  elapsed: number;
}

/**
 * The day's forecast updated at `now` (local time): elapsed intervals take their actual counts,
 * the remaining ones (including the one under way) are scaled. `actualsSoFar[i]` is the count of
 * interval i from the day's start; NaN or missing entries are unknown.
 */
export function reforecastIntraday(
  dayForecast: DayForecast,
  actualsSoFar: ArrayLike<number>,
  now: number,
  opts: IntradayOptions = INTRADAY_DEFAULTS,
): IntradayForecast {
  const step = dayForecast.intervalMin * MINUTE_MS;
  const n = dayForecast.mean.length;
  const elapsed = Math.max(0, Math.min(n, Math.floor((now - dayForecast.start) / step)));
  let actual = 0;
  let expected = 0;
  for (let i = 0; i < elapsed && i < actualsSoFar.length; i++) {
    const a = actualsSoFar[i]!;
    if (!Number.isFinite(a)) continue;
    const end = dayForecast.start + (i + 1) * step;
    const w = Math.pow(0.5, (now - end) / (opts.halfLifeMin * MINUTE_MS));
    actual += w * a;
    expected += w * dayForecast.mean[i]!;
  }
  const raw = (actual + opts.priorCalls) / (expected + opts.priorCalls);
  const factor = Math.min(opts.maxFactor, Math.max(opts.minFactor, raw));
  const known = (i: number) => i < elapsed && i < actualsSoFar.length && Number.isFinite(actualsSoFar[i]!);
  const at = (i: number, future: number) =>
    known(i) ? actualsSoFar[i]! : i < elapsed ? future : future * factor;
  return {
    ...dayForecast,
    mean: dayForecast.mean.map((m, i) => at(i, m)),
    bands: dayForecast.bands.map((b) => ({
      coverage: b.coverage,
      lower: b.lower.map((v, i) => at(i, v)),
      upper: b.upper.map((v, i) => at(i, v)),
    })),
    factor,
    elapsed,
  };
}
