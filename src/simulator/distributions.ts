// Distributions of caller patience, handle time and wrap-up, as scenario files write them. Times are
// seconds. `none` (patience only) is a caller who never hangs up, as Erlang C assumes.
import type { Rng } from './rng.ts';

export type Dist =
  | { kind: 'exponential'; meanS: number }
  /** Log-normal by its mean and coefficient of variation (sd / mean), or by mu and sigma of ln X. */
  | { kind: 'lognormal'; meanS: number; cv: number }
  | { kind: 'lognormal'; mu: number; sigma: number }
  /** Inverse-CDF sampling between equally spaced quantiles (0 % … 100 %), linear in between. */
  | { kind: 'empirical'; quantilesS: number[] }
  /** One of the given values, uniformly. */
  | { kind: 'empirical'; valuesS: number[] }
  | { kind: 'fixed'; valueS: number }
  | { kind: 'none' };

export type Sampler = (rng: Rng) => number;

export class DistError extends Error {}

export function lognormalParams(d: Extract<Dist, { kind: 'lognormal' }>): { mu: number; sigma: number } {
  if ('mu' in d) return { mu: d.mu, sigma: d.sigma };
  const s2 = Math.log(1 + d.cv * d.cv);
  return { mu: Math.log(d.meanS) - s2 / 2, sigma: Math.sqrt(s2) };
}

/** Problems with a distribution, each naming `where`. */
export function checkDist(d: Dist, where: string, allowNone = false): string[] {
  const bad = (m: string) => [`${where}: ${m}`];
  switch (d.kind) {
    case 'exponential':
      return d.meanS > 0 ? [] : bad('meanS must be > 0');
    case 'lognormal':
      if ('mu' in d) return d.sigma >= 0 && Number.isFinite(d.mu) ? [] : bad('sigma must be ≥ 0');
      return d.meanS > 0 && d.cv >= 0 ? [] : bad('meanS must be > 0 and cv ≥ 0');
    case 'empirical': {
      const xs = 'quantilesS' in d ? d.quantilesS : d.valuesS;
      if (!xs.length) return bad('needs at least one value');
      if (xs.some((x) => !(x >= 0))) return bad('values must be ≥ 0');
      if ('quantilesS' in d && xs.some((x, i) => i > 0 && x < xs[i - 1]!))
        return bad('quantilesS must be in increasing order');
      return [];
    }
    case 'fixed':
      return d.valueS >= 0 ? [] : bad('valueS must be ≥ 0');
    case 'none':
      return allowNone ? [] : bad('"none" is only for patience');
  }
}

export function sampler(d: Dist): Sampler {
  switch (d.kind) {
    case 'exponential': {
      const m = d.meanS;
      return (r) => r.exponential(m);
    }
    case 'lognormal': {
      const { mu, sigma } = lognormalParams(d);
      return (r) => Math.exp(mu + sigma * r.normal());
    }
    case 'empirical': {
      if ('valuesS' in d) {
        const xs = d.valuesS;
        return (r) => xs[Math.floor(r.next() * xs.length)]!;
      }
      const q = d.quantilesS;
      if (q.length === 1) return () => q[0]!;
      const n = q.length - 1;
      return (r) => {
        const x = r.next() * n;
        const i = Math.floor(x);
        return q[i]! + (x - i) * (q[i + 1]! - q[i]!);
      };
    }
    case 'fixed': {
      const v = d.valueS;
      return () => v;
    }
    case 'none':
      return () => Infinity;
  }
}

/** The distribution's mean, seconds (Infinity for `none`). */
export function distMean(d: Dist): number {
  switch (d.kind) {
    case 'exponential':
      return d.meanS;
    case 'lognormal': {
      const { mu, sigma } = lognormalParams(d);
      return Math.exp(mu + (sigma * sigma) / 2);
    }
    case 'empirical': {
      if ('valuesS' in d) return d.valuesS.reduce((a, b) => a + b, 0) / d.valuesS.length;
      const q = d.quantilesS;
      if (q.length === 1) return q[0]!;
      let s = 0;
      for (let i = 0; i + 1 < q.length; i++) s += (q[i]! + q[i + 1]!) / 2;
      return s / (q.length - 1);
    }
    case 'fixed':
      return d.valueS;
    case 'none':
      return Infinity;
  }
}
