// Forecast error measures. WAPE (sum of absolute errors over sum of actuals) is the headline: it
// weighs each interval by its calls, as staffing does, and stays finite at night. MAPE is only
// meaningful where something happened, so it skips zero actuals.
import { minuteOfDay, startOfDay } from '../history/local-time.ts';

export interface ScoredPoint {
  /** Local start time of the interval (ms). */
  time: number;
  actual: number;
  forecast: number;
}

export interface Accuracy {
  wape: number;
  mape: number;
  /** Points (intervals or hours) scored. */
  n: number;
}

export function accuracy(points: ReadonlyArray<Pick<ScoredPoint, 'actual' | 'forecast'>>): Accuracy {
  let absErr = 0;
  let actual = 0;
  let ape = 0;
  let nonZero = 0;
  for (const p of points) {
    const e = Math.abs(p.actual - p.forecast);
    absErr += e;
    actual += p.actual;
    if (p.actual > 0) {
      ape += e / p.actual;
      nonZero++;
    }
  }
  return { wape: actual > 0 ? absErr / actual : NaN, mape: nonZero ? ape / nonZero : NaN, n: points.length };
}

/** Sums points into clock hours (the hour each interval starts in). */
export function toHours(points: readonly ScoredPoint[]): ScoredPoint[] {
  const byHour = new Map<number, ScoredPoint>();
  for (const p of points) {
    const hour = startOfDay(p.time) + Math.floor(minuteOfDay(p.time) / 60) * 3_600_000;
    const h = byHour.get(hour);
    if (h) {
      h.actual += p.actual;
      h.forecast += p.forecast;
    } else byHour.set(hour, { time: hour, actual: p.actual, forecast: p.forecast });
  }
  return [...byHour.values()].sort((a, b) => a.time - b.time);
}

/** Share of actuals inside [lower, upper]. */
export function coverage(points: ReadonlyArray<{ actual: number; lower: number; upper: number }>): number {
  let inside = 0;
  for (const p of points) if (p.actual >= p.lower - 1e-9 && p.actual <= p.upper + 1e-9) inside++;
  return points.length ? inside / points.length : NaN;
}
