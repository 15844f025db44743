// Synthetic call-volume series whose right answers are known, for testing models and the backtest.
import type { IntervalSeries } from '../../src/history/series.ts';

/** Seeded uniform generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
}

/** Poisson draw (inversion for small means, normal approximation above 50). */
export function poisson(mean: number, u: () => number): number {
  if (mean <= 0) return 0;
  if (mean > 50) {
    const z = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
  }
  let k = 0;
  let p = Math.exp(-mean);
  let cdf = p;
  const x = u();
  while (x > cdf && k < 1000) {
    k++;
    p *= mean / k;
    cdf += p;
  }
  return k;
}

/** Expected calls per interval: a morning peak, a lunch dip, an afternoon peak; closed at night. */
export function dayShape(intervalMin: number, weekday: number): number[] {
  const n = 1440 / intervalMin;
  const dayScale = [1.1, 1.2, 1, 1, 0.95, 0.6, 0.3][weekday]!;
  return Array.from({ length: n }, (_, i) => {
    const h = (i * intervalMin) / 60;
    if (h < 7 || h >= 22) return 0.2 * dayScale;
    const morning = Math.exp(-((h - 10) ** 2) / 2);
    const afternoon = 0.8 * Math.exp(-((h - 15) ** 2) / 3);
    return dayScale * (2 + 40 * (morning + afternoon)) * (intervalMin / 15);
  });
}

/**
 * `days` days from Sunday 2024-01-07 at `intervalMin`; `level(day)` multiplies the shape;
 * `noise` draws Poisson counts, otherwise the expected values are rounded (an exactly weekly series).
 */
export function syntheticSeries(opts: {
  days: number;
  intervalMin: number;
  level?: (day: number) => number;
  noiseSeed?: number;
}): IntervalSeries {
  const start = Date.UTC(2024, 0, 7);
  const n = 1440 / opts.intervalMin;
  const values = new Float64Array(opts.days * n);
  const u = opts.noiseSeed === undefined ? null : rng(opts.noiseSeed);
  for (let d = 0; d < opts.days; d++) {
    const shape = dayShape(opts.intervalMin, d % 7);
    const level = opts.level?.(d) ?? 1;
    for (let s = 0; s < n; s++) {
      const mean = shape[s]! * level;
      values[d * n + s] = u ? poisson(mean, u) : Math.round(mean);
    }
  }
  return { start, intervalMin: opts.intervalMin, values };
}
