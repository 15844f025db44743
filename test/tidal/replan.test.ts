// Re-planning the tidal moves during the day: a busier day than forecast moves more backup seats for the rest of
// it, a quieter one fewer, never beyond the cap and never changing what was under way before the notice.
import { describe, expect, it } from 'vitest';
import { MINUTE_MS } from '../../src/history/local-time.ts';
import { planTidal } from '../../src/tidal/planner.ts';
import { mergeMoves, replanDuringDay, type SeatMove } from '../../src/tidal/replan.ts';
import type { TidalAgent } from '../../src/tidal/types.ts';

const IV = 30;
const N = 48;
const H = 60 * MINUTE_MS;
/** Calls per half hour: quiet night, busy 09:00–17:00. */
const forecast = Array.from({ length: N }, (_, i) => (i >= 18 && i < 34 ? 60 : i >= 14 && i < 40 ? 24 : 4));
const seatsFor = (calls: number[]) => calls.map((c) => Math.max(1, Math.ceil(c / 6)));
const need = seatsFor(forecast);
const roster: TidalAgent[] = [
  ...Array.from({ length: 5 }, (_, i) => ({
    id: `f${i}`,
    homePool: 'front' as const,
    frontSkills: { general: 3 },
    backSkills: {},
    shift: i < 2 ? '00:00-24:00' : '07:00-21:00',
  })),
  ...Array.from({ length: 8 }, (_, i) => ({
    id: `b${i}`,
    homePool: 'back' as const,
    frontSkills: { general: 3 },
    backSkills: { workorder: 3 },
    shift: '07:00-21:00',
  })),
];
const options = { capSeats: 8 };
const dayAhead: SeatMove[] = planTidal({
  date: '1999-01-20',
  dayStart: 0,
  intervalMin: IV,
  need,
  roster,
  options,
})
  .moves.filter((m) => !m.cancelled)
  .map((m) => ({ agentId: m.agentId, fromMs: m.effectiveAt, toMs: m.returnAt }));

const replan = (factor: number, direction?: 'both' | 'up') =>
  replanDuringDay({
    date: '1999-01-20',
    intervalMin: IV,
    forecast: { mean: forecast, intervalMin: IV, bands: [] },
    need,
    moves: dayAhead,
    actual: forecast.map((f) => Math.round(f * factor)),
    at: [600, 660, 720, 780, 840, 900, 960, 1020],
    seatsFor,
    roster,
    options,
    ...(direction ? { direction } : {}),
  });

/** Seat-hours moved within [from, to) (ms since midnight). */
const movedHours = (moves: readonly SeatMove[], from = 0, to = 24 * H) =>
  moves.reduce((a, m) => a + Math.max(0, Math.min(m.toMs, to) - Math.max(m.fromMs, from)), 0) / H;
const mostAtOnce = (moves: readonly SeatMove[]) => {
  let most = 0;
  for (let t = 0; t < 24 * H; t += 5 * MINUTE_MS)
    most = Math.max(most, moves.filter((m) => m.fromMs <= t && m.toMs > t).length);
  return most;
};

describe('intraday re-plans', () => {
  it('the day-ahead plan moves backups for the peak (the baseline the re-plans change)', () => {
    expect(movedHours(dayAhead)).toBeGreaterThan(10);
  });

  it('a day running 1.5 times the forecast moves more seats for the afternoon, within the cap', () => {
    const r = replan(1.5);
    expect(r.steps.length).toBe(8);
    expect(r.steps[0]!.factor).toBeGreaterThan(1.3);
    expect(movedHours(r.moves, 13 * H)).toBeGreaterThan(movedHours(dayAhead, 13 * H) + 4);
    expect(mostAtOnce(r.moves)).toBeLessThanOrEqual(8);
    // Before the first re-plan's first new move may take effect (10:00 + notice → 10:30), nothing changed.
    const before = (ms: readonly SeatMove[]) =>
      mergeMoves(
        ms.filter((m) => m.fromMs < 10.5 * H).map((m) => ({ ...m, toMs: Math.min(m.toMs, 10.5 * H) })),
      );
    expect(before(r.moves)).toEqual(before(dayAhead));
    // Every agent is moved in one piece at a time: no overlapping stays.
    for (const id of new Set(r.moves.map((m) => m.agentId))) {
      const own = r.moves.filter((m) => m.agentId === id).sort((a, b) => a.fromMs - b.fromMs);
      for (let k = 1; k < own.length; k++) expect(own[k]!.fromMs).toBeGreaterThan(own[k - 1]!.toMs);
    }
  });

  it('a quiet day gives seats back; with direction "up" the day-ahead seats stay', () => {
    const cold = replan(0.6);
    expect(cold.steps[0]!.factor).toBeLessThan(0.8);
    expect(movedHours(cold.moves)).toBeLessThan(movedHours(dayAhead) - 4);
    const up = replan(0.6, 'up');
    expect(movedHours(up.moves)).toBeGreaterThanOrEqual(movedHours(dayAhead) - 1e-9);
    // Moves under way keep their minimum block (60 min): none is cut shorter by a re-plan.
    for (const m of cold.moves) expect(m.toMs - m.fromMs).toBeGreaterThanOrEqual(60 * MINUTE_MS);
  });

  it('a day as forecast changes next to nothing', () => {
    const r = replan(1);
    expect(movedHours(r.moves)).toBeCloseTo(movedHours(dayAhead), 6);
  });

  it('mergeMoves joins an agent’s back-to-back and overlapping stays, and drops empty ones', () => {
    expect(
      mergeMoves([
        { agentId: 'b', fromMs: 5, toMs: 9 },
        { agentId: 'a', fromMs: 0, toMs: 10 },
        { agentId: 'a', fromMs: 10, toMs: 20 },
        { agentId: 'a', fromMs: 15, toMs: 18 },
        { agentId: 'a', fromMs: 30, toMs: 30 },
      ]),
    ).toEqual([
      { agentId: 'a', fromMs: 0, toMs: 20 },
      { agentId: 'b', fromMs: 5, toMs: 9 },
    ]);
  });
});
