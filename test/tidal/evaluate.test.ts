// `plan evaluate` on the real call-center data (../shared/data/anonbank-1999): each day's forecast and plan see
// only the history before that day, all four rosters serve the very same recorded callers, and the fixed roster
// holds exactly the tidal plan's front-line seat-hours.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseHistoryCsv } from '../../src/history/csv-parse.ts';
import { parseDate } from '../../src/history/local-time.ts';
import { STANDARD_DAY } from '../../src/simulator/bench.ts';
import { resolveScenario } from '../../src/simulator/scenario.ts';
import { evaluateDay, parseRecordedCalls } from '../../src/tidal/evaluate.ts';

const DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data/anonbank-1999');
const have = existsSync(path.join(DATA, 'calls_1999-01.csv'));

describe.skipIf(!have)('tidal evaluation on days the planner never saw', () => {
  const series = () => parseHistoryCsv(readFileSync(path.join(DATA, 'arrivals_6min.csv'), 'utf8')).series;
  const calls = () => parseRecordedCalls(readFileSync(path.join(DATA, 'calls_1999-01.csv'), 'utf8'));
  const shell = () => resolveScenario(JSON.parse(readFileSync(STANDARD_DAY, 'utf8')));

  it('plans each day from the history before it only, and compares rosters on the same callers', () => {
    const s = series();
    const c = calls();
    const sh = shell();
    const day = evaluateDay(s, c, '1999-01-20', sh);
    expect(day.calls).toBeGreaterThan(300);
    expect(day.moves).toBeGreaterThan(0);
    // The fixed roster has the tidal plan's front-line seat-hours (whole seats: within one seat-interval).
    expect(Math.abs(day.fixed.frontSeatHours - day.tidal.frontSeatHours)).toBeLessThanOrEqual(0.5);
    // Three shifts sized to their peaks pay for more front-line hours than the tidal plan.
    expect(day.shifts.frontSeatHours).toBeGreaterThan(day.tidal.frontSeatHours);
    for (const k of ['tidal', 'fixed', 'shifts', 'optimum'] as const) {
      expect(day[k].answerRate).toBeGreaterThan(0.5);
      expect(day[k].answerRate).toBeLessThanOrEqual(1);
    }
    // The morning of Jan 20 ran hot: the 11:00 re-forecast moves more seats for the afternoon, and they help.
    expect(day.intradayFactor).toBeGreaterThan(1.2);
    expect(day.intraday.frontSeatHours).toBeGreaterThan(day.tidal.frontSeatHours);
    expect(day.intraday.within15).toBeGreaterThanOrEqual(day.tidal.within15);
    // Unseen: wiping the day and everything after it from the history changes nothing in its plan.
    const cut = parseDate('1999-01-20')!;
    const from = Math.round((cut - s.start) / (s.intervalMin * 60_000));
    const blind = { ...s, values: Float64Array.from(s.values, (v, i) => (i >= from ? NaN : v)) };
    const again = evaluateDay(blind, c, '1999-01-20', sh);
    expect(again.moves).toBe(day.moves);
    expect(again.tidal).toEqual(day.tidal);
    expect(again.limits).toEqual(day.limits);
  });
});
