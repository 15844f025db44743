// The simulator against queueing theory where the theory holds: one class, one skill, Poisson
// arrivals, exponential service, no abandonment (Erlang C), and with exponential patience (Erlang A).
// Seeded: six days of ~19,000 calls each, averaged.
import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/simulator/engine.ts';
import { resolveScenario } from '../../src/simulator/scenario.ts';
import { erlangAMetrics } from '../../src/staffing/erlang-a.ts';
import { erlangCMetrics } from '../../src/staffing/erlang-c.ts';

// 6.67 Erlangs on 9 agents (occupancy 0.74); a short handle time gives a day many busy periods.
const PER_HOUR = 800;
const AHT_S = 30;
const AGENTS = 9;
const SL_S = 10;

function day(seed: number, patience: object) {
  return resolveScenario({
    seed,
    arrivals: { intervalMin: 60, calls: new Array(24).fill(PER_HOUR) },
    handleTime: { kind: 'exponential', meanS: AHT_S },
    patience,
    wrapupS: 0,
    serviceLevelS: SL_S,
    agents: [{ count: AGENTS, skills: { general: 3 } }],
    tidal: { enabled: false },
  });
}

function average(patience: object, seeds: number[]) {
  let sl = 0;
  let asa = 0;
  let occ = 0;
  let abandon = 0;
  let calls = 0;
  for (const seed of seeds) {
    const r = simulate(day(seed, patience));
    sl += r.overall.serviceLevel;
    asa += r.overall.asaS;
    occ += r.occupancy;
    abandon += r.overall.abandonRate;
    calls += r.calls;
  }
  const k = seeds.length;
  return { sl: sl / k, asa: asa / k, occ: occ / k, abandon: abandon / k, calls };
}

describe('simulator vs Erlang C (no abandonment, exponential service, Poisson arrivals)', () => {
  it('service level within 0.02, mean wait within 15 %, occupancy within 0.01', () => {
    const e = erlangCMetrics({
      calls: PER_HOUR,
      intervalMin: 60,
      ahtS: AHT_S,
      agents: AGENTS,
      thresholdS: SL_S,
    });
    const s = average({ kind: 'none' }, [1, 2, 3, 4, 5, 6]);
    expect(s.calls).toBeGreaterThan(100_000);
    expect(Math.abs(s.sl - e.serviceLevel)).toBeLessThan(0.02);
    expect(Math.abs(s.asa - e.asa) / e.asa).toBeLessThan(0.15);
    expect(Math.abs(s.occ - e.occupancy)).toBeLessThan(0.01);
    expect(s.abandon).toBe(0);
  });

  it('the same seed gives the same day; another seed another', () => {
    const a = simulate(day(7, { kind: 'none' }));
    const b = simulate(day(7, { kind: 'none' }));
    const c = simulate(day(8, { kind: 'none' }));
    expect(b.overall).toEqual(a.overall);
    expect(c.calls).not.toBe(a.calls);
  });
});

describe('simulator vs Erlang A (exponential patience)', () => {
  it('abandonment within 0.01 and service level within 0.03 of the birth-death chain', () => {
    // Busier, so that callers do hang up: 7.5 Erlangs on 8 agents, patience 1 min.
    const perHour = 900;
    const scenario = (seed: number) =>
      resolveScenario({
        seed,
        arrivals: { intervalMin: 60, calls: new Array(24).fill(perHour) },
        handleTime: { kind: 'exponential', meanS: AHT_S },
        patience: { kind: 'exponential', meanS: 60 },
        wrapupS: 0,
        serviceLevelS: SL_S,
        agents: [{ count: 8, skills: { general: 3 } }],
        tidal: { enabled: false },
      });
    const e = erlangAMetrics({
      calls: perHour,
      intervalMin: 60,
      ahtS: AHT_S,
      agents: 8,
      thresholdS: SL_S,
      patienceS: 60,
    });
    let abandon = 0;
    let slAll = 0;
    for (const seed of [1, 2, 3]) {
      const r = simulate(scenario(seed));
      abandon += r.overall.abandonRate / 3;
      // Erlang A's service level is over all offered calls.
      slAll += r.overall.answered
        ? (r.overall.serviceLevel * (r.overall.answered + r.overall.abandoned - r.overall.shortAbandoned)) /
          r.overall.offered /
          3
        : 0;
    }
    expect(Math.abs(abandon - e.abandonRate)).toBeLessThan(0.01);
    expect(Math.abs(slAll - e.serviceLevel)).toBeLessThan(0.03);
  });
});
