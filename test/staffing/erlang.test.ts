// Erlang B/C/A against published figures, exact big-number arithmetic, a direct birth-death chain
// solution and a seeded simulation, from a dozen agents to thousands.
import { describe, expect, it } from 'vitest';
import { erlangB, logInverseErlangB } from '../../src/staffing/erlang-b.ts';
import { erlangC, erlangCMetrics } from '../../src/staffing/erlang-c.ts';
import { erlangAMetrics } from '../../src/staffing/erlang-a.ts';

/** Erlang B for load p/q Erlangs, exactly: B = p^N / D_N with D_N = N·q·D_(N-1) + p^N, D_0 = 1. */
function exactErlangB(n: number, p: bigint, q: bigint): { num: bigint; den: bigint } {
  let d = 1n;
  let pn = 1n;
  for (let k = 1; k <= n; k++) {
    pn *= p;
    d = BigInt(k) * q * d + pn;
  }
  return { num: pn, den: d };
}

/** A big rational as a float, to about 30 significant digits before rounding. */
function toFloat(num: bigint, den: bigint): number {
  if (num === 0n) return 0;
  const shift = BigInt(den.toString().length - num.toString().length + 40);
  const scaled = (num * 10n ** shift) / den;
  return Number(scaled) / 10 ** Number(shift);
}

/** Exact Erlang C from the exact Erlang B: C = N·B / (N - A(1 - B)), for A = p/q. */
function exactErlangC(n: number, p: bigint, q: bigint): number {
  const { num, den } = exactErlangB(n, p, q);
  // N·(num/den) / (N - (p/q)(1 - num/den)) = N·num·q / (N·den·q - p·(den - num))
  const N = BigInt(n);
  return toFloat(N * num * q, N * den * q - p * (den - num));
}

/** Seeded uniform generator (mulberry32), so simulated figures are repeatable. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
}

/**
 * FCFS M/M/N(+M) by each caller's offered wait: the earliest time an agent frees up after the
 * callers ahead were served. Callers whose patience runs out first leave without using an agent.
 */
function simulate(
  lambda: number,
  ahtS: number,
  n: number,
  patienceS: number,
  thresholdS: number,
  calls: number,
) {
  const u = rng(12345);
  const exp = (mean: number) => -Math.log(u()) * mean;
  const free = new Float64Array(n);
  let t = 0;
  let within = 0;
  let abandoned = 0;
  let waitAnswered = 0;
  let answered = 0;
  const warm = Math.floor(calls / 20);
  for (let i = 0; i < calls; i++) {
    t += exp(1 / lambda);
    let j = 0;
    for (let k = 1; k < n; k++) if (free[k]! < free[j]!) j = k;
    const wait = Math.max(0, free[j]! - t);
    const patience = Number.isFinite(patienceS) ? exp(patienceS) : Infinity;
    const counted = i >= warm;
    if (wait > patience) {
      if (counted) abandoned++;
      continue;
    }
    free[j] = t + wait + exp(ahtS);
    if (counted) {
      answered++;
      waitAnswered += wait;
      if (wait <= thresholdS) within++;
    }
  }
  const total = calls - warm;
  return { serviceLevel: within / total, abandonRate: abandoned / total, asa: waitAnswered / answered };
}

/** Stationary distribution of the M/M/N+M chain, truncated and renormalised as it grows. */
function chain(lambda: number, mu: number, n: number, theta: number) {
  const pi: number[] = [1];
  let max = 1;
  for (let k = 1; ; k++) {
    const death = Math.min(k, n) * mu + Math.max(k - n, 0) * theta;
    pi.push((pi[k - 1]! * lambda) / death);
    if (pi[k]! > 1e250) {
      for (let i = 0; i <= k; i++) pi[i]! /= 1e250;
      max /= 1e250;
    }
    max = Math.max(max, pi[k]!);
    if (k > n && death > lambda && pi[k]! < 1e-30 * max) break;
  }
  const total = pi.reduce((s, x) => s + x, 0);
  const p = pi.map((x) => x / total);
  let probWait = 0;
  let queue = 0;
  p.forEach((x, k) => {
    if (k >= n) probWait += x;
    queue += Math.max(k - n, 0) * x;
  });
  return { probWait, avgWait: queue / lambda, abandonRate: (theta * queue) / lambda };
}

describe('Erlang B', () => {
  it('matches exact big-number values from 1 to 3,000 agents', () => {
    const cases: Array<[number, bigint, bigint]> = [
      [1, 1n, 1n],
      [10, 10n, 1n],
      [14, 10n, 1n],
      [170, 150n, 1n],
      [420, 400n, 1n],
      [2700, 8000n, 3n], // 20,000 calls per 15 minutes at 120 s
    ];
    for (const [n, p, q] of cases) {
      const { num, den } = exactErlangB(n, p, q);
      const exact = toFloat(num, den);
      expect(erlangB(n, Number(p) / Number(q)) / exact).toBeCloseTo(1, 10);
    }
  });

  it('does not overflow or underflow where a^n/n! would', () => {
    expect(Number.isFinite(logInverseErlangB(5000, 10))).toBe(true);
    expect(logInverseErlangB(5000, 10)).toBeGreaterThan(700); // B itself is below 1e-300
    expect(erlangB(5000, 6000)).toBeGreaterThan(0.16);
    expect(erlangB(0, 3)).toBe(1);
  });
});

describe('Erlang C', () => {
  it('matches the published example: 100 calls per 30 min, AHT 180 s, 14 agents, 20 s', () => {
    const m = erlangCMetrics({ calls: 100, intervalMin: 30, ahtS: 180, agents: 14, thresholdS: 20 });
    expect(m.offeredLoad).toBeCloseTo(10, 12);
    expect(m.probWait).toBeCloseTo(0.1741, 4);
    expect(m.serviceLevel).toBeCloseTo(0.8884, 4);
    expect(m.asa).toBeCloseTo(7.84, 2);
    expect(m.occupancy).toBeCloseTo(0.714, 3);
  });

  it('matches exact big-number values, including 2,000 calls per 15 minutes and thousands of agents', () => {
    const cases: Array<[number, bigint, bigint]> = [
      [14, 10n, 1n],
      [11, 10n, 1n],
      [420, 400n, 1n], // 2,000 calls / 15 min at 180 s
      [405, 400n, 1n],
      [2700, 8000n, 3n],
    ];
    for (const [n, p, q] of cases)
      expect(erlangC(n, Number(p) / Number(q)) / exactErlangC(n, p, q)).toBeCloseTo(1, 10);
  });

  it('agrees with a simulation', () => {
    const m = erlangCMetrics({ calls: 100, intervalMin: 30, ahtS: 180, agents: 14, thresholdS: 20 });
    const sim = simulate(100 / 1800, 180, 14, Infinity, 20, 400_000);
    expect(sim.serviceLevel).toBeCloseTo(m.serviceLevel, 2);
    expect(Math.abs(sim.asa - m.asa)).toBeLessThan(0.4);
  });

  it('reports an unstable queue instead of a negative wait', () => {
    const m = erlangCMetrics({ calls: 100, intervalMin: 30, ahtS: 180, agents: 10, thresholdS: 20 });
    expect(m.probWait).toBe(1);
    expect(m.serviceLevel).toBe(0);
    expect(m.asa).toBe(Infinity);
  });
});

describe('Erlang A', () => {
  const lambda = 100 / 1800;

  it('matches a direct birth-death chain solution', () => {
    for (const [n, patience] of [
      [14, 60],
      [14, 600],
      [9, 120], // more load than agents: stable only because callers hang up
      [50, 300],
    ] as const) {
      const calls = n === 50 ? 500 : 100;
      const l = calls / 1800;
      const m = erlangAMetrics({
        calls,
        intervalMin: 30,
        ahtS: 180,
        agents: n,
        thresholdS: 20,
        patienceS: patience,
      });
      const c = chain(l, 1 / 180, n, 1 / patience);
      expect(m.probWait).toBeCloseTo(c.probWait, 10);
      expect(m.abandonRate).toBeCloseTo(c.abandonRate, 10);
      expect(m.avgWait).toBeCloseTo(c.avgWait, 8);
    }
  });

  it('matches the chain for thousands of agents (2,000 and 20,000 calls per 15 minutes)', () => {
    for (const [calls, aht, n, patience] of [
      [2000, 180, 400, 120],
      [20000, 120, 2600, 180],
    ] as const) {
      const m = erlangAMetrics({
        calls,
        intervalMin: 15,
        ahtS: aht,
        agents: n,
        thresholdS: 15,
        patienceS: patience,
      });
      const c = chain(calls / 900, 1 / aht, n, 1 / patience);
      expect(m.probWait / c.probWait).toBeCloseTo(1, 8);
      expect(m.abandonRate / c.abandonRate).toBeCloseTo(1, 8);
      expect(m.serviceLevel).toBeGreaterThan(0);
      expect(m.serviceLevel).toBeLessThan(1);
    }
  });

  it('agrees with a simulation on service level, abandonment and ASA', () => {
    const m = erlangAMetrics({
      calls: 100,
      intervalMin: 30,
      ahtS: 180,
      agents: 12,
      thresholdS: 20,
      patienceS: 120,
    });
    const sim = simulate(lambda, 180, 12, 120, 20, 400_000);
    expect(sim.serviceLevel).toBeCloseTo(m.serviceLevel, 2);
    expect(sim.abandonRate).toBeCloseTo(m.abandonRate, 2);
    expect(Math.abs(sim.asa - m.asa)).toBeLessThan(0.5);
  });

  it('tends to Erlang C as patience grows', () => {
    const q = { calls: 100, intervalMin: 30, ahtS: 180, agents: 14, thresholdS: 20 };
    const c = erlangCMetrics(q);
    const a = erlangAMetrics({ ...q, patienceS: 1e8 });
    expect(a.probWait).toBeCloseTo(c.probWait, 5);
    expect(a.serviceLevel).toBeCloseTo(c.serviceLevel, 5);
    expect(a.asa).toBeCloseTo(c.asa, 3);
  });

  it('is stable when overloaded: abandonment takes up the excess', () => {
    const m = erlangAMetrics({
      calls: 3000,
      intervalMin: 15,
      ahtS: 180,
      agents: 400,
      thresholdS: 15,
      patienceS: 60,
    });
    // 3.33 calls/s offered, 2.22/s can be served: about a third must hang up.
    expect(m.abandonRate).toBeCloseTo(1 - 400 / 180 / (3000 / 900), 2);
    expect(m.occupancy).toBeGreaterThan(0.99);
  });
});
