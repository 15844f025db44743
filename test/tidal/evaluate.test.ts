// `plan evaluate` on the real call-center data (../shared/data/anonbank-1999): each day's forecast and plan see
// only the history before that day, all four rosters serve the very same recorded callers, and the fixed roster
// holds exactly the tidal plan's front-line seat-hours.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { parseHistoryCsv } from '../../src/history/csv-parse.ts';
import { parseDate } from '../../src/history/local-time.ts';
import { STANDARD_DAY } from '../../src/simulator/bench.ts';
import { resolveScenario } from '../../src/simulator/scenario.ts';
import type { SimResult } from '../../src/simulator/engine.ts';
import {
  evaluateDay,
  meetsBar,
  optimumSeats,
  parseRecordedCalls,
  worstInterval,
} from '../../src/tidal/evaluate.ts';

const DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data/anonbank-1999');
const have = existsSync(path.join(DATA, 'calls_1999-01.csv'));

describe('per-call records, the day’s bar and where a seat helps most', () => {
  it('counts callers put straight through to a free agent as reaching a human, with no wait', () => {
    const csv = [
      'call_id,customer_priority,type,vru_entry,vru_exit,queue_start,queue_exit,outcome,service_start,service_end,agent',
      '1,0,PS,1999-01-20T10:00:00,1999-01-20T10:00:10,1999-01-20T10:00:10,1999-01-20T10:00:40,AGENT,1999-01-20T10:00:40,1999-01-20T10:03:40,A',
      '2,2,PS,1999-01-20T10:01:00,1999-01-20T10:01:08,,,AGENT,1999-01-20T10:01:07,1999-01-20T10:02:07,B',
      '3,0,PS,1999-01-20T10:02:00,1999-01-20T10:02:05,1999-01-20T10:02:05,1999-01-20T10:02:50,HANG,,,NO_SERVER',
      '4,0,PS,1999-01-20T10:03:00,1999-01-20T10:03:20,,,HANG,,,NO_SERVER',
      '5,0,PS,1999-01-20T10:04:00,1999-01-20T10:04:05,1999-01-20T10:04:05,1999-01-20T10:04:09,PHANTOM,,,NO_SERVER',
      '6,0,PS,1999-01-20T10:05:00,1999-01-20T10:05:05,1999-01-20T10:05:05,1999-01-20T10:05:20,HANG,1999-01-20T10:05:20,1999-01-20T10:05:50,C',
    ].join('\n');
    const r = parseRecordedCalls(csv);
    expect(r).toHaveLength(5); // the phantom is left out
    const at = (hhmmss: string) => parseDate('1999-01-20')! + (Date.parse(`1970-01-01T${hhmmss}Z`) as number);
    const byTime = new Map(r.map((c) => [c.queuedAt, c]));
    expect(byTime.get(at('10:00:10'))).toMatchObject({ queued: true, served: true, waitS: 30, handleS: 180 });
    // Put straight through: reached a human at the answer, waited nothing, a care caller.
    expect(byTime.get(at('10:01:07'))).toMatchObject({
      queued: true,
      served: true,
      waitS: 0,
      handleS: 60,
      care: true,
    });
    expect(byTime.get(at('10:02:05'))).toMatchObject({ queued: true, served: false, waitS: 45 });
    // Hung up in the IVR: never reached a human.
    expect(byTime.get(at('10:03:00'))).toMatchObject({ queued: false, served: false });
    // An agent picked up (service times given), whatever the outcome column says.
    expect(byTime.get(at('10:05:05'))).toMatchObject({ served: true, handleS: 30 });
  });

  it('a good day meets all three: answer rate, 15 s share, care callers’ wait (none: nothing to miss)', () => {
    expect(meetsBar({ answerRate: 0.99, within15: 0.8, careAvgWaitS: 10 })).toBe(true);
    expect(meetsBar({ answerRate: 0.989, within15: 0.95, careAvgWaitS: 1 })).toBe(false);
    expect(meetsBar({ answerRate: 1, within15: 0.79, careAvgWaitS: 1 })).toBe(false);
    expect(meetsBar({ answerRate: 1, within15: 1, careAvgWaitS: 10.5 })).toBe(false);
    expect(meetsBar({ answerRate: 1, within15: 1, careAvgWaitS: NaN })).toBe(true);
  });

  it('a seat goes where the day lost most against what it still lacks', () => {
    const losses = [
      { lost: 0, late: 2 },
      { lost: 6, late: 1 },
      { lost: 1, late: 9 },
    ];
    // Short of answered calls only: the interval that lost most calls.
    expect(worstInterval(losses, { answered: 5, inSl: 0, careWait: false })).toBe(1);
    // Short of calls answered in time only: the one with most late calls.
    expect(worstInterval(losses, { answered: 0, inSl: 8, careWait: false })).toBe(2);
    // A loss beyond what is missing counts only up to it: 2 calls short, 6 lost weigh as 2.
    expect(worstInterval(losses, { answered: 2, inSl: 8, careWait: false })).toBe(2);
    expect(worstInterval(losses, { answered: 5, inSl: 0, careWait: false }, (i) => i !== 1)).toBe(2);
    expect(worstInterval([{ lost: 0, late: 0 }], { answered: 3, inSl: 3, careWait: true })).toBe(-1);
  });
});

describe.skipIf(!have)('tidal evaluation on days the planner never saw', () => {
  const series = () => parseHistoryCsv(readFileSync(path.join(DATA, 'arrivals_6min.csv'), 'utf8')).series;
  const calls = () => parseRecordedCalls(readFileSync(path.join(DATA, 'calls_1999-01.csv'), 'utf8'));
  const shell = () => resolveScenario(JSON.parse(readFileSync(STANDARD_DAY, 'utf8')));

  it('plans each day from the history before it only, and compares rosters on the same callers', () => {
    const s = series();
    const c = calls();
    const sh = shell();
    const cut = parseDate('1999-01-20')!;
    const day = evaluateDay(s, c, '1999-01-20', sh);
    // Every caller who reached a human: those who queued and those put straight through.
    expect(day.calls).toBe(
      c.filter((x) => x.queued && x.queuedAt >= cut && x.queuedAt < cut + 86_400_000).length,
    );
    expect(day.calls).toBeGreaterThan(1000);
    expect(day.moves).toBeGreaterThan(0);
    // The fixed roster has the tidal plan's front-line seat-hours (whole seats: within one seat-interval).
    expect(Math.abs(day.fixed.frontSeatHours - day.tidal.frontSeatHours)).toBeLessThanOrEqual(0.5);
    // Three shifts sized to their peaks pay for more front-line hours than the tidal plan.
    expect(day.shifts.frontSeatHours).toBeGreaterThan(day.tidal.frontSeatHours);
    for (const k of ['tidal', 'fixed', 'shifts', 'optimum'] as const) {
      expect(day[k].answerRate).toBeGreaterThan(0.5);
      expect(day[k].answerRate).toBeLessThanOrEqual(1);
    }
    // The morning of Jan 20 ran hot: by 11:00 the re-forecast scales the rest of the day up and the re-plans move
    // more seats to the front line than the day-ahead plan did.
    expect(day.intradayFactor).toBeGreaterThan(1.2);
    expect(day.replans.map((r) => r.atMin)).toEqual([540, 600, 660, 720, 780, 840, 900, 960, 1020]);
    expect(day.intraday.frontSeatHours).toBeGreaterThan(day.tidal.frontSeatHours);
    // Unseen: wiping the day and everything after it from the history changes nothing in its plan.
    const from = Math.round((cut - s.start) / (s.intervalMin * 60_000));
    const blind = { ...s, values: Float64Array.from(s.values, (v, i) => (i >= from ? NaN : v)) };
    const again = evaluateDay(blind, c, '1999-01-20', sh);
    expect(again.moves).toBe(day.moves);
    expect(again.tidal).toEqual(day.tidal);
    expect(again.limits).toEqual(day.limits);
  });

  it('the optimum meets the bar on every day it is computed for; tidal front seat-hours stay under three shifts', () => {
    const s = series();
    const c = calls();
    const sh = shell();
    // A small Saturday, a busy Sunday, a Wednesday the forecast over-called.
    for (const date of ['1999-01-23', '1999-01-24', '1999-01-27']) {
      const day = evaluateDay(s, c, date, sh);
      expect(day.optimumMet).toBe(true);
      expect(meetsBar(day.optimum)).toBe(true);
      expect(day.tidal.frontSeatHours).toBeLessThanOrEqual(day.shifts.frontSeatHours);
      expect(day.intraday.frontSeatHours).toBeLessThanOrEqual(day.shifts.frontSeatHours);
      // The hindsight optimum is the least: no roster planned before the day has fewer front seat-hours.
      for (const k of ['tidal', 'intraday', 'shifts'] as const)
        expect(day.optimum.frontSeatHours).toBeLessThan(day[k].frontSeatHours);
      // Counting every abandon (no short-abandon rule) can only lower the figures, the same callers and seats.
      const strict = evaluateDay(s, c, date, sh, { shortAbandonS: 0 });
      for (const k of ['tidal', 'fixed', 'shifts'] as const) {
        expect(strict[k].frontSeatHours).toBe(day[k].frontSeatHours);
        expect(strict[k].answerRate).toBeLessThanOrEqual(day[k].answerRate);
        expect(strict[k].within15).toBeLessThanOrEqual(day[k].within15);
      }
      expect(meetsBar(strict.optimum)).toBe(true);
    }
  });
});

describe.skipIf(!have)('hotline plan evaluate', () => {
  afterEach(() => vi.restoreAllMocks());
  async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((t: string | Uint8Array) => {
      out += String(t);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((t: string | Uint8Array) => {
      err += String(t);
      return true;
    });
    const files = [
      '--history',
      path.join(DATA, 'arrivals_6min.csv'),
      '--calls',
      path.join(DATA, 'calls_1999-01.csv'),
    ];
    const code = await runCli(['plan', 'evaluate', ...files, ...args], {});
    vi.restoreAllMocks();
    return { code, out, err };
  }

  it('prints the rules it judged by: the bar, the short-abandon rule, the sizing, the re-plans', async () => {
    const text = await cli(['--from', '1999-01-29', '--to', '1999-01-29']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/care callers' mean wait ≤ 10 s/);
    expect(text.out).toMatch(/hanging up within 5 s of queueing are left out/);
    expect(text.out).toMatch(/every 60 min from 09:00 to 17:00/);
    const strict = await cli([
      '--from',
      '1999-01-29',
      '--to',
      '1999-01-29',
      '--short-abandon-s',
      '0',
      '--json',
    ]);
    expect(strict.code).toBe(0);
    const j = JSON.parse(strict.out) as {
      rules: { shortAbandonS: number; bar: { answerRate: number } };
      totals: Record<string, { goodDays: number }>;
      days: unknown[];
    };
    expect(j.rules.shortAbandonS).toBe(0);
    expect(j.rules.bar.answerRate).toBe(0.99);
    expect(j.days).toHaveLength(1);
    expect(j.totals.optimum!.goodDays).toBe(1);
  });

  it('refuses a short-abandon threshold or a re-plan time that makes no sense', async () => {
    expect((await cli(['--from', '1999-01-29', '--to', '1999-01-29', '--short-abandon-s', '-1'])).code).toBe(
      2,
    );
    expect((await cli(['--from', '1999-01-29', '--to', '1999-01-29', '--replan-from', '25:00'])).code).toBe(
      2,
    );
  });
});

describe('optimumSeats: the hindsight seats, checked and adjusted in a (here: toy) simulation', () => {
  const calls = [50, 200, 30, 80];
  // Each seat answers 40 calls of its interval, 30 of them within 15 s; the rest hang up after 5 s or more.
  const run = (seats: readonly number[]) => {
    const rows = calls.map((c, i) => {
      const answered = Math.min(c, 40 * seats[i]!);
      return {
        offered: c,
        answered,
        abandoned: c - answered,
        shortAbandoned: 0,
        answeredInSl: Math.min(answered, 30 * seats[i]!),
      };
    });
    const sum = (k: keyof (typeof rows)[number]) => rows.reduce((a, r) => a + r[k], 0);
    const offered = sum('offered');
    return {
      overall: {
        offered,
        answered: sum('answered'),
        abandoned: sum('abandoned'),
        shortAbandoned: 0,
        answerRate: sum('answered') / offered,
        serviceLevel: sum('answeredInSl') / offered,
      },
      careAvgWaitS: NaN,
      intervals: rows,
      frontSeatHours: seats.reduce((a, b) => a + b, 0) / 2,
      movedSeatHours: 0,
    } as unknown as SimResult;
  };
  const good = (seats: readonly number[]) => {
    const r = run(seats).overall;
    return r.answerRate >= 0.99 && r.serviceLevel >= 0.8;
  };

  it('adds seats where the day loses most until it meets the bar', () => {
    const r = optimumSeats([1, 1, 1, 1], run);
    expect(r.met).toBe(true);
    expect(good(r.seats)).toBe(true);
    // The busiest interval took the most seats; none went below the floor.
    expect(r.seats[1]).toBe(Math.max(...r.seats));
    expect(Math.min(...r.seats)).toBeGreaterThanOrEqual(1);
  });

  it('with prune, gives back every seat the day does not need: no single seat can go', () => {
    const r = optimumSeats([3, 9, 3, 5], run, undefined, { prune: true });
    expect(r.met).toBe(true);
    expect(good(r.seats)).toBe(true);
    for (let i = 0; i < r.seats.length; i++)
      if (r.seats[i]! > 1) expect(good(r.seats.map((x, j) => (j === i ? x - 1 : x)))).toBe(false);
    const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(r.seats)).toBeLessThan(3 + 9 + 3 + 5);
  });

  it('says so when the bar cannot be met within the additions allowed', () => {
    const r = optimumSeats([1, 1, 1, 1], run, undefined, { maxAdds: 2 });
    expect(r.met).toBe(false);
    expect(r.sims).toBe(3);
  });
});
