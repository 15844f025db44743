// The tidal planner's rules: lead time, cap, minimum block, hysteresis, who is chosen, emergency moves
// and the rule check of edited plans. Pure: no Redis, no clock.
import { describe, expect, it } from 'vitest';
import { checkMoves, emergencyMoves, planTidal, refreshCounts, skillFit } from '../../src/tidal/planner.ts';
import { localMidnight, MINUTE_MS } from '../../src/tidal/time.ts';
import type { PlanCore, TidalAgent, TidalMove } from '../../src/tidal/types.ts';

const DATE = '2025-06-10';
const DAY = localMidnight(DATE);
const IV = 30; // minutes per interval
const N = 48;
const at = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return DAY + (h * 60 + m) * MINUTE_MS;
};
const idx = (hhmm: string) => (at(hhmm) - DAY) / (IV * MINUTE_MS);

function front(n: number, shift = '07:00-21:00'): TidalAgent[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `f${String(i + 1).padStart(2, '0')}`,
    homePool: 'front' as const,
    frontSkills: { general: 3 },
    backSkills: {},
    shift,
  }));
}

function back(
  n: number,
  shift = '08:00-18:00',
  skills: Record<string, number> = { general: 3 },
): TidalAgent[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `b${String(i + 1).padStart(2, '0')}`,
    homePool: 'back' as const,
    frontSkills: skills,
    backSkills: { workorder: 3 },
    shift,
  }));
}

/** Need = base everywhere, plus `extra` seats over [from, to). */
function needWith(base: number, ...spans: Array<[string, string, number]>): number[] {
  const need = new Array<number>(N).fill(0);
  for (let i = idx('07:00'); i < idx('21:00'); i++) need[i] = base;
  for (const [from, to, extra] of spans) for (let i = idx(from); i < idx(to); i++) need[i] = base + extra;
  return need;
}

const plan = (need: number[], roster: TidalAgent[], extra: Partial<Parameters<typeof planTidal>[0]> = {}) =>
  planTidal({ date: DATE, dayStart: DAY, intervalMin: IV, need, roster, ...extra });

/** Every agent's moves, in time order. */
function byAgent(moves: readonly TidalMove[]): Map<string, TidalMove[]> {
  const m = new Map<string, TidalMove[]>();
  for (const x of moves) m.set(x.agentId, [...(m.get(x.agentId) ?? []), x]);
  for (const list of m.values()) list.sort((a, b) => a.effectiveAt - b.effectiveAt);
  return m;
}

describe('tidal planner: lead time', () => {
  const roster = [...front(40), ...back(10)];

  it('moves take effect the lead time (2 h) before the interval that needs them, announced 15 min before', () => {
    const p = plan(needWith(40, ['10:00', '12:00', 3]), roster);
    expect(p.moves).toHaveLength(3);
    for (const m of p.moves) {
      expect(m.effectiveAt).toBe(at('08:00'));
      expect(at('10:00') - m.effectiveAt).toBe(120 * MINUTE_MS);
      expect(m.announceAt).toBe(at('07:45'));
    }
    expect(p.moved[idx('08:00')]).toBe(3);
    expect(p.moved[idx('07:30')]).toBe(0);
    expect(p.uncovered[idx('10:00')]).toBe(0);
  });

  it('nothing is announced before the plan is made: a late plan moves seats as soon as the notice allows', () => {
    const now = at('09:00');
    const p = plan(needWith(40, ['10:00', '13:00', 3]), roster, { now });
    expect(p.moves).toHaveLength(3);
    for (const m of p.moves) {
      expect(m.announceAt).toBeGreaterThanOrEqual(now);
      expect(m.effectiveAt).toBe(at('09:30'));
    }
    expect(p.uncovered[idx('10:00')]).toBe(0);
    // A need sooner than the notice stays uncovered until the first move can take effect.
    const late = plan(needWith(40, ['10:00', '13:00', 3]), roster, { now: at('09:50') });
    for (const m of late.moves) expect(m.effectiveAt).toBe(at('10:30'));
    expect(late.uncovered[idx('10:00')]).toBe(3);
  });

  it('the lead time is an option', () => {
    const p = plan(needWith(40, ['10:00', '12:00', 2]), roster, { options: { leadMin: 30 } });
    for (const m of p.moves) expect(at('10:00') - m.effectiveAt).toBe(30 * MINUTE_MS);
  });
});

describe('tidal planner: a plan re-made during the day', () => {
  const roster = [...front(40), ...back(10)];

  it('carries seats already on the front line on, instead of moving others in', () => {
    // b03 and b07 moved at 09:00; at 10:00 the plan is re-made for a need of 2 until 13:00.
    const underWay = [
      { agentId: 'b03', sinceMs: at('09:00') },
      { agentId: 'b07', sinceMs: at('09:00') },
    ];
    const p = plan(needWith(40, ['09:00', '13:00', 2]), roster, { now: at('10:00'), underWay });
    expect(p.moves.map((m) => m.agentId).sort()).toEqual(['b03', 'b07']);
    for (const m of p.moves) {
      expect(m.effectiveAt).toBe(at('10:30')); // the first interval the notice allows
      expect(m.returnAt).toBe(at('13:00'));
    }
    // With the need already over, they go back at once (their hour's block is done) and nobody else comes.
    const over = plan(needWith(40), roster, { now: at('10:00'), underWay });
    expect(over.moves).toEqual([]);
  });

  it('a seat moved recently still keeps its minimum block, counted from when it moved', () => {
    const p = plan(needWith(40), roster, {
      now: at('10:00'),
      underWay: [{ agentId: 'b01', sinceMs: at('10:00') }],
    });
    expect(p.moves).toHaveLength(1);
    expect(p.moves[0]).toMatchObject({ agentId: 'b01', effectiveAt: at('10:30'), returnAt: at('11:00') });
  });
});

describe('tidal planner: cap', () => {
  it('never moves more than 10 % of all seats at once; the rest of the need is reported uncovered', () => {
    const roster = [...front(40), ...back(10)]; // 50 seats: cap 5
    const p = plan(needWith(40, ['09:00', '12:00', 8]), roster);
    expect(p.capSeats).toBe(5);
    expect(Math.max(...p.moved)).toBe(5);
    for (let i = 0; i < N; i++) {
      const live = p.moves.filter(
        (m) => m.effectiveAt <= DAY + i * IV * MINUTE_MS && DAY + i * IV * MINUTE_MS < m.returnAt,
      );
      expect(live.length).toBeLessThanOrEqual(5);
    }
    expect(p.uncovered[idx('10:00')]).toBe(3);
  });

  it('a cap in seats overrides the share; a small centre may have none', () => {
    const roster = [...front(40), ...back(10)];
    expect(
      Math.max(...plan(needWith(40, ['09:00', '12:00', 8]), roster, { options: { capSeats: 2 } }).moved),
    ).toBe(2);
    const tiny = [...front(5), ...back(3)]; // 8 seats: 10 % is 0.8 → 0
    const p = plan(needWith(5, ['09:00', '12:00', 2]), tiny);
    expect(p.capSeats).toBe(0);
    expect(p.moves).toHaveLength(0);
  });
});

describe('tidal planner: minimum block', () => {
  const roster = [...front(40), ...back(10)];

  it('a half-hour need still moves seats for at least an hour', () => {
    const p = plan(needWith(40, ['10:00', '10:30', 2]), roster);
    expect(p.moves).toHaveLength(2);
    for (const m of p.moves) expect(m.returnAt - m.effectiveAt).toBeGreaterThanOrEqual(60 * MINUTE_MS);
  });

  it('the minimum block is an option, and every move of a varied day keeps it', () => {
    const p = plan(
      needWith(40, ['09:00', '10:00', 4], ['10:00', '10:30', 1], ['14:00', '14:30', 3]),
      roster,
      {
        options: { minBlockMin: 90 },
      },
    );
    expect(p.moves.length).toBeGreaterThan(0);
    for (const m of p.moves) expect(m.returnAt - m.effectiveAt).toBeGreaterThanOrEqual(90 * MINUTE_MS);
  });

  it('an agent whose shift ends before the need it would be moved for is not chosen', () => {
    const r = [
      ...front(40),
      ...back(1, '08:00-10:00'),
      ...back(1, '08:00-18:00').map((a) => ({ ...a, id: 'late' })),
    ];
    const p = plan(needWith(40, ['10:00', '10:30', 1]), r);
    expect(p.moves.map((m) => m.agentId)).toEqual(['late']);
  });
});

describe('tidal planner: hysteresis', () => {
  const roster = [...front(40), ...back(10)];

  it('returns the seats once the need has passed', () => {
    const p = plan(needWith(40, ['09:00', '11:00', 3]), roster);
    expect(p.moved[idx('10:30')]).toBe(3);
    expect(p.moved[idx('14:00')]).toBe(0);
    for (const m of p.moves) expect(m.returnAt).toBeLessThanOrEqual(at('14:00'));
  });

  it('keeps the seats through a short dip rather than returning and moving them again', () => {
    // Short 09:00-10:30 and 11:00-12:30; at 10:30-11:00 the front line has just enough.
    const p = plan(needWith(40, ['09:00', '10:30', 3], ['11:00', '12:30', 3]), roster);
    const agents = byAgent(p.moves);
    expect(agents.size).toBe(3);
    for (const list of agents.values()) {
      expect(list).toHaveLength(1);
      expect(list[0]!.effectiveAt).toBe(at('08:00')); // 2 h ahead, from the start of their shift
      expect(list[0]!.returnAt).toBeGreaterThanOrEqual(at('12:30'));
    }
  });

  it('a need wavering around what the front line has does not move people back and forth', () => {
    // Every half hour the need swings between base + 2 and base − 1, from 09:00 to 17:00.
    const spans: Array<[string, string, number]> = [];
    for (let h = 9; h < 17; h++)
      spans.push([`${String(h).padStart(2, '0')}:00`, `${String(h).padStart(2, '0')}:30`, 2]);
    const need = needWith(40, ...spans);
    for (let h = 9; h < 17; h++) need[idx(`${String(h).padStart(2, '0')}:30`)] = 39;
    const p = plan(need, roster);
    for (const list of byAgent(p.moves).values()) expect(list).toHaveLength(1);
    expect(p.moves).toHaveLength(2);

    // Without hysteresis, hold or rest, the same day moves seats every hour.
    const jumpy = plan(need, roster, {
      options: { hysteresisSeats: 0, holdMin: 0, restMin: 0, minBlockMin: 30, leadMin: 0 },
    });
    expect(jumpy.moves.length).toBeGreaterThan(8);
  });

  it('a returned agent rests before moving again: the next peak takes others', () => {
    const p = plan(needWith(40, ['09:00', '10:00', 2], ['14:00', '15:00', 2]), roster);
    const morning = p.moves.filter((m) => m.effectiveAt < at('12:00')).map((m) => m.agentId);
    const afternoon = p.moves.filter((m) => m.effectiveAt >= at('12:00')).map((m) => m.agentId);
    expect(morning).toHaveLength(2);
    expect(afternoon).toHaveLength(2);
    expect(afternoon.filter((a) => morning.includes(a))).toEqual([]);
    // With only those two backups and no hold window, the rest keeps them back for two hours.
    const two = [...front(40), ...back(2)];
    const need = needWith(40, ['09:00', '10:00', 2], ['11:00', '13:00', 2]);
    // (no lead time either: a move 2 h ahead would simply keep them through the gap)
    const rested = plan(need, two, { options: { holdMin: 0, capSeats: 2, leadMin: 0 } });
    expect(rested.moves.filter((m) => m.effectiveAt >= at('11:00')).map((m) => m.effectiveAt)).toEqual([
      at('12:00'),
      at('12:00'),
    ]);
    expect(rested.uncovered[idx('11:00')]).toBe(2);
    const unrested = plan(need, two, { options: { holdMin: 0, restMin: 0, capSeats: 2, leadMin: 0 } });
    expect(unrested.uncovered[idx('11:00')]).toBe(0);
  });

  it('a shrinking shortfall keeps a seat to spare', () => {
    const p = plan(needWith(40, ['09:00', '11:00', 3], ['11:00', '13:00', 1]), roster, {
      options: { holdMin: 30 },
    });
    expect(p.moved[idx('10:30')]).toBe(3);
    expect(p.moved[idx('11:30')]).toBe(2); // shortfall 1 + 1 to spare
    expect(p.moved[idx('13:30')]).toBe(0);
  });
});

describe('tidal planner: who moves', () => {
  it('qualified agents by skill fit, least recently moved first (by day), the better fit among equals', () => {
    const yesterday = DAY - 12 * 3600_000;
    const lastWeek = DAY - 6 * 86400_000;
    const roster: TidalAgent[] = [
      ...front(40),
      {
        id: 'nogeneral',
        homePool: 'back',
        frontSkills: { '12333': 5 },
        backSkills: {},
        shift: '08:00-18:00',
      },
      {
        id: 'moved-yesterday',
        homePool: 'back',
        frontSkills: { general: 5 },
        backSkills: {},
        lastMovedAt: yesterday,
      },
      {
        id: 'moved-last-week',
        homePool: 'back',
        frontSkills: { general: 2 },
        backSkills: {},
        lastMovedAt: lastWeek,
      },
      { id: 'never-expert', homePool: 'back', frontSkills: { general: 5 }, backSkills: {} },
      { id: 'never-learner', homePool: 'back', frontSkills: { general: 2 }, backSkills: {} },
    ];
    const pick = (n: number) =>
      plan(needWith(40, ['10:00', '11:00', n]), roster, { options: { capSeats: 5 } }).moves.map(
        (m) => m.agentId,
      );
    expect(pick(1)).toEqual(['never-expert']);
    expect(pick(2).sort()).toEqual(['never-expert', 'never-learner']);
    expect(pick(3)).toContain('moved-last-week');
    expect(pick(4)).toContain('moved-yesterday');
    expect(pick(4)).not.toContain('nogeneral');
    // The unqualified agent only when nobody else is left.
    expect(pick(5)).toContain('nogeneral');
  });

  it('skill fit weighs the call mix', () => {
    const mix = { general: 0.5, '12333': 0.5 };
    expect(skillFit({ general: 5, '12333': 5 }, mix)).toBe(1);
    expect(skillFit({ general: 5 }, mix)).toBe(0.5);
    expect(skillFit({}, mix)).toBe(0);
  });
});

describe('tidal planner: emergency moves and rule checks', () => {
  const roster = [...front(40), ...back(10)];
  const base = (): PlanCore => plan(needWith(40, ['10:00', '12:00', 3]), roster);

  it('an emergency moves seats at once, announced at the move, within the cap', () => {
    const now = at('10:20');
    const p = base();
    const r = emergencyMoves(p, roster, now, { count: 4, durationMin: 60 });
    expect(r.moves).toHaveLength(2); // 3 already moved, cap 5
    expect(r.problems.join(' ')).toMatch(/cap/);
    for (const m of r.moves) {
      expect(m.kind).toBe('emergency');
      expect(m.announceAt).toBe(now);
      expect(m.effectiveAt).toBe(now);
      expect(m.returnAt).toBe(now + 60 * MINUTE_MS);
      expect(p.moves.some((x) => x.agentId === m.agentId)).toBe(false);
    }
    expect(emergencyMoves(p, roster, now, { count: 4, ignoreCap: true }).moves).toHaveLength(4);
    const named = emergencyMoves(p, roster, now, { agentIds: [p.moves[0]!.agentId, 'f01', 'b10'] });
    expect(named.moves.map((m) => m.agentId)).toEqual(['b10']);
    expect(named.problems).toHaveLength(2);
  });

  it('checkMoves names a move over the cap, too short, outside the shift or overlapping', () => {
    const p = base();
    const extra = (id: string, agentId: string, from: string, to: string): TidalMove => ({
      id,
      agentId,
      kind: 'manual',
      announceAt: at(from) - 120 * MINUTE_MS,
      effectiveAt: at(from),
      returnAt: at(to),
      fit: 0.6,
    });
    expect(checkMoves(p, roster)).toEqual([]);
    const bad = refreshCounts({
      ...p,
      moves: [
        ...p.moves,
        extra('m1', 'b09', '10:00', '10:30'),
        extra('m2', 'b10', '07:00', '09:00'),
        extra('m3', p.moves[0]!.agentId, '11:00', '13:00'),
        extra('m4', 'b08', '10:00', '12:00'),
        extra('m5', 'b07', '10:00', '12:00'),
      ],
    });
    const problems = checkMoves(bad, roster).join('\n');
    expect(problems).toMatch(/m1: lasts less than the minimum block/);
    expect(problems).toMatch(/m2: agent b10 works 08:00-18:00/);
    expect(problems).toMatch(/moved twice at once/);
    expect(problems).toMatch(/over the cap of 5/);
  });
});

describe('the plan explains its limits', () => {
  const kinds = (p: PlanCore) => new Map(p.limits!.map((l) => [l.kind, l]));

  it('names the cap, the missing backups, shift ends and the minimum block, with windows and seats', () => {
    // 4 extra seats needed 10:00-11:00; a cap of 2 holds 2 back.
    const capped = kinds(
      plan(needWith(10, ['10:00', '11:00', 4]), [...front(10), ...back(6)], { options: { capSeats: 2 } }),
    );
    expect(capped.get('cap')).toMatchObject({ seats: 2 });
    expect(capped.get('cap')!.text).toMatch(/上限 2 席/);
    // No backups at all.
    const none = kinds(plan(needWith(10, ['10:00', '11:00', 2]), front(10), { options: { capSeats: 5 } }));
    expect(none.get('no-backups')).toMatchObject({ seats: 2, from: at('08:00') });
    // Backups whose shift ends at 10:30 cannot cover a 10:00-12:00 need.
    const early = kinds(plan(needWith(10, ['10:00', '12:00', 2]), [...front(10), ...back(2, '06:00-10:30')]));
    expect(early.has('shift')).toBe(true);
    // A 30-minute need kept for the 60-minute minimum block.
    const block = kinds(
      plan(needWith(10, ['10:00', '10:30', 1]), [...front(10), ...back(2)], {
        options: { minBlockMin: 60, hysteresisSeats: 0, holdMin: 30, leadMin: 0 },
      }),
    );
    expect(block.get('min-block')).toMatchObject({ seats: 1, from: at('10:30'), to: at('11:00') });
    // A shortfall to the day's end is a window ending 24:00, not 00:00.
    const late = plan(needWith(0, ['22:00', '24:00', 3]), front(0), { options: { capSeats: 5 } });
    expect(late.limits!.find((l) => l.kind === 'no-backups')!.text).toMatch(/–24:00/);
  });
});
