// The forecaster on real call-centre data (../shared/data, never copied into the repo; skipped
// when absent). The models' settings were tuned on the first half of 1999 of the 6-minute series,
// so the target is checked on the second half, data they were not tuned on, and on January's
// call-level file bucketed to 15 minutes.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backtest } from '../../src/forecast/backtest.ts';
import { STANDARD_MODELS } from '../../src/forecast/models/index.ts';
import { parseHistoryCsv } from '../../src/history/csv-parse.ts';
import { parseLocalTime } from '../../src/history/local-time.ts';
import { dayIndexOf } from '../../src/history/series.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = path.resolve(repoRoot, '..', 'shared', 'data', 'anonbank-1999');
const arrivals = path.join(dataDir, 'arrivals_6min.csv');
const calls = path.join(dataDir, 'calls_1999-01.csv');

describe.skipIf(!existsSync(arrivals))('Anonymous Bank 1999, 6-minute arrivals', () => {
  it('chosen model: hourly WAPE at most 0.8 × seasonal naive on the held-out second half', () => {
    const started = Date.now();
    const { series } = parseHistoryCsv(readFileSync(arrivals, 'utf8'));
    expect(series.intervalMin).toBe(6);
    const r = backtest(series, STANDARD_MODELS, {
      scoreFromDay: dayIndexOf(series, parseLocalTime('1999-07-01')!),
    });
    const naive = r.models.find((m) => m.name === 'seasonal-naive')!;
    const chosen = r.models.find((m) => m.name === r.chosen)!;
    expect(r.chosen).not.toBe('seasonal-naive');
    expect(chosen.hourly.wape).toBeLessThanOrEqual(0.8 * naive.hourly.wape);
    expect(chosen.native.wape).toBeLessThanOrEqual(0.8 * naive.native.wape);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe.skipIf(!existsSync(calls))('Anonymous Bank January 1999, call records', () => {
  it('chosen model: hourly WAPE at most 0.8 × seasonal naive', () => {
    const { series } = parseHistoryCsv(readFileSync(calls, 'utf8'), { arrivalColumn: 'vru_entry' });
    const r = backtest(series, STANDARD_MODELS);
    const naive = r.models.find((m) => m.name === 'seasonal-naive')!;
    const chosen = r.models.find((m) => m.name === r.chosen)!;
    expect(chosen.hourly.wape).toBeLessThanOrEqual(0.8 * naive.hourly.wape);
  });
});
