// Short abandons: callers who hang up within a few seconds of queueing are left out of the answer rate and the
// service level (as in the live interval stats), by a threshold the caller of the simulator may set.
import { describe, expect, it } from 'vitest';
import { type CallSet, SHORT_ABANDON_S, simulate } from '../../src/simulator/engine.ts';
import { resolveScenario } from '../../src/simulator/scenario.ts';

const sc = resolveScenario({
  seed: 1,
  arrivals: { intervalMin: 60, calls: Array<number>(24).fill(0) },
  classes: { normal: 1 },
  wrapupS: 0,
  agents: [{ count: 1, skills: { general: 3 }, shift: '08:00-10:00' }],
  tidal: { enabled: false },
});

/** Four callers at 08:00:00, 08:00:01, 08:00:02, 08:00:03; one agent; each talks 60 s. */
function callers(patienceS: number[]): CallSet {
  const n = patienceS.length;
  return {
    arrival: Float64Array.from({ length: n }, (_, i) => 8 * 3600_000 + i * 1000),
    cls: new Uint8Array(n).fill(2), // normal
    skill: new Uint16Array(n),
    patienceMs: Float64Array.from(patienceS, (p) => p * 1000),
    callbackU: new Float64Array(n).fill(1),
    handleMs: new Float64Array(n).fill(60_000),
    skills: ['general'],
  };
}

describe('short abandons', () => {
  // The first is answered at once; the others wait for the agent (free at 08:01:00) and hang up after 3 s, 8 s
  // and 100 s: the last one is answered at 08:01:00 after 57 s.
  const set = callers([1000, 3, 8, 100]);

  it('by default (5 s) the 3 s hang-up is left out of the rates, the 8 s one is not', () => {
    expect(SHORT_ABANDON_S).toBe(5);
    const r = simulate(sc, { intervalStatsMin: 60 }, set);
    expect(r.overall.answered).toBe(2);
    expect(r.overall.abandoned).toBe(2);
    expect(r.overall.shortAbandoned).toBe(1);
    expect(r.overall.answerRate).toBeCloseTo(2 / 3, 9);
    // Within 15 s: only the first; over answered + abandoned − short = 3.
    expect(r.overall.serviceLevel).toBeCloseTo(1 / 3, 9);
    const row = r.intervals.find((x) => x.start === '08:00')!;
    expect(row).toMatchObject({ offered: 4, answered: 2, abandoned: 2, shortAbandoned: 1, answeredInSl: 1 });
  });

  it('0 s counts every abandon; 10 s leaves out both quick hang-ups', () => {
    const all = simulate(sc, { shortAbandonS: 0 }, set);
    expect(all.overall.shortAbandoned).toBe(0);
    expect(all.overall.answerRate).toBeCloseTo(2 / 4, 9);
    const ten = simulate(sc, { shortAbandonS: 10 }, set);
    expect(ten.overall.shortAbandoned).toBe(2);
    expect(ten.overall.answerRate).toBeCloseTo(2 / 2, 9);
    expect(ten.overall.serviceLevel).toBeCloseTo(1 / 2, 9);
    // The rule changes what is counted, not what happened.
    expect(ten.overall.abandoned).toBe(all.overall.abandoned);
    expect(ten.overall.answered).toBe(all.overall.answered);
  });
});
