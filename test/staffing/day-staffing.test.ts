// The fewest seat-intervals meeting a day's targets (the day's answer rate, share within the threshold, care wait).
import { describe, expect, it } from 'vitest';
import { daySeats } from '../../src/staffing/day-staffing.ts';
import { evaluate, requiredAgents } from '../../src/staffing/required-agents.ts';
import { DEFAULT_TARGETS, type StaffingTargets } from '../../src/staffing/targets.ts';

const targets: StaffingTargets = {
  ...DEFAULT_TARGETS,
  answerRate: 0.99,
  serviceLevel: 0.8,
  careAsaS: 10,
  careShare: 0.1,
  shrinkage: 0,
};
const demand = { intervalMin: 30, ahtS: 200, patienceS: 360 };
// A working day: a quiet night, a morning peak, an afternoon plateau.
const day = [
  ...Array<number>(14).fill(3),
  20,
  40,
  70,
  90,
  100,
  95,
  80,
  70,
  60,
  60,
  65,
  70,
  75,
  70,
  60,
  50,
  40,
  30,
  ...Array<number>(16).fill(12),
];

/** The day's measures recomputed interval by interval from the agents. */
function dayMeasures(calls: readonly number[], agents: readonly number[]) {
  let total = 0;
  let answered = 0;
  let inSl = 0;
  for (let i = 0; i < calls.length; i++) {
    if (!(calls[i]! > 0)) continue;
    const m = evaluate({ ...demand, calls: calls[i]! }, agents[i]!, targets);
    total += calls[i]!;
    answered += calls[i]! * m.answerRate;
    inSl += calls[i]! * m.serviceLevel;
  }
  return { answerRate: answered / total, serviceLevel: inSl / total };
}

describe('daySeats', () => {
  it('meets the day’s targets with fewer seat-intervals than sizing every interval to them', () => {
    const r = daySeats({ ...demand, calls: day }, targets, { floor: 1 });
    expect(r.met).toBe(true);
    const m = dayMeasures(day, r.agents);
    expect(m.answerRate).toBeGreaterThanOrEqual(0.99 - 1e-9);
    expect(m.serviceLevel).toBeGreaterThanOrEqual(0.8 - 1e-9);
    expect(r.answerRate).toBeCloseTo(m.answerRate, 9);
    expect(r.serviceLevel).toBeCloseTo(m.serviceLevel, 9);
    expect(r.careAvgWaitS).toBeLessThanOrEqual(10);
    const perInterval = day.map((c) => Math.max(1, requiredAgents({ ...demand, calls: c }, targets).agents));
    const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(r.agents)).toBeLessThan(sum(perInterval));
    // Still a real staffing: the peak has at least its offered load in agents.
    expect(r.agents[18]).toBeGreaterThanOrEqual(Math.ceil((100 / 1800) * 200));
  });

  it('the last seat counts: one agent fewer anywhere busy and the day misses its targets', () => {
    const r = daySeats({ ...demand, calls: day }, targets, { floor: 1 });
    // The greedy stops as soon as the day meets its targets, so some single seat was the one that closed the gap.
    const misses = r.agents.map((a, i) => {
      if (a <= 1) return false;
      const fewer = r.agents.map((x, j) => (j === i ? x - 1 : x));
      const m = dayMeasures(day, fewer);
      return m.answerRate < 0.99 || m.serviceLevel < 0.8;
    });
    expect(misses.some(Boolean)).toBe(true);
  });

  it('keeps the floor, staffs no more than the floor where nobody calls, and more calls never take fewer seats', () => {
    const calls = [0, 0, 50, 80, 0, 30];
    const r = daySeats({ ...demand, calls }, targets, { floor: [2, 1, 1, 1, 3, 1] });
    expect(r.agents[0]).toBe(2);
    expect(r.agents[1]).toBe(1);
    expect(r.agents[4]).toBe(3);
    const more = daySeats({ ...demand, calls: calls.map((c) => c * 1.5) }, targets, {
      floor: [2, 1, 1, 1, 3, 1],
    });
    expect(more.agents.reduce((a, b) => a + b, 0)).toBeGreaterThan(r.agents.reduce((a, b) => a + b, 0));
    // No calls at all: the floor and nothing more, and nothing to miss.
    const quiet = daySeats({ ...demand, calls: [0, 0, 0] }, targets, { floor: 1 });
    expect(quiet.agents).toEqual([1, 1, 1]);
    expect(quiet.met).toBe(true);
  });

  it('stops at the per-interval ceiling and says the day is not met', () => {
    const r = daySeats({ ...demand, calls: [500] }, targets, { maxPerInterval: 10 });
    expect(r.agents).toEqual([10]);
    expect(r.met).toBe(false);
  });

  it('refuses a patience that is not positive and targets out of range', () => {
    expect(() => daySeats({ ...demand, patienceS: 0, calls: [1] }, targets)).toThrow(/patience/);
    expect(() => daySeats({ ...demand, calls: [1] }, { ...targets, answerRate: 2 })).toThrow(/answer rate/);
  });
});
