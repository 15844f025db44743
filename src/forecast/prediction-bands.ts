// Prediction intervals from a model's own recent errors. On the square-root scale Poisson noise has
// variance 1/4 whatever the volume, and day-to-day level swings add variance growing with volume,
// so the squared root-scale errors of the last weeks' forecasts are regressed on the forecast
// (var = a + b * forecast) and the band is mean ± z·sd on that scale, squared back. Intervals thus
// widen at the peak, stay honest at night, and never go below zero.
import { linearRegression, probit } from 'simple-statistics';
import type { PredictionBand } from './model.ts';

export interface ErrorVariance {
  /** Root-scale error variance at zero volume. */
  a: number;
  /** Added root-scale error variance per expected call. */
  b: number;
}

/** Pure Poisson noise with a little level uncertainty, for when there is no error history yet. */
export const DEFAULT_ERROR_VARIANCE: ErrorVariance = { a: 0.25, b: 0.01 };

export const BAND_COVERAGES = [0.8, 0.95] as const;

const MIN_PAIRS = 48;

/** Fits the error variance model to (forecast, actual) pairs. */
export function fitErrorVariance(
  pairs: ReadonlyArray<readonly [forecast: number, actual: number]>,
): ErrorVariance {
  const data: Array<[number, number]> = [];
  for (const [f, a] of pairs) {
    if (!Number.isFinite(f) || !Number.isFinite(a)) continue;
    const r = Math.sqrt(Math.max(0, a)) - Math.sqrt(Math.max(0, f));
    data.push([f, r * r]);
  }
  if (data.length < MIN_PAIRS) return DEFAULT_ERROR_VARIANCE;
  const { m, b } = linearRegression(data);
  const slope = Number.isFinite(m) ? Math.max(0, m) : 0;
  let mean = 0;
  let meanF = 0;
  for (const [f, r2] of data) {
    mean += r2;
    meanF += f;
  }
  mean /= data.length;
  meanF /= data.length;
  // With a slope clipped to zero the intercept must carry the whole mean, not the fitted line's.
  const intercept = slope === m ? b : mean - slope * meanF;
  return { a: Math.max(0.05, intercept), b: slope };
}

export function bandsFor(
  mean: ArrayLike<number>,
  v: ErrorVariance,
  coverages: readonly number[] = BAND_COVERAGES,
): PredictionBand[] {
  return coverages.map((coverage) => {
    const z = probit(0.5 + coverage / 2);
    const lower: number[] = [];
    const upper: number[] = [];
    for (let i = 0; i < mean.length; i++) {
      const f = Math.max(0, mean[i]!);
      const root = Math.sqrt(f);
      const sd = Math.sqrt(v.a + v.b * f);
      lower.push(f === 0 ? 0 : Math.max(0, root - z * sd) ** 2);
      upper.push((root + z * sd) ** 2);
    }
    return { coverage, lower, upper };
  });
}
