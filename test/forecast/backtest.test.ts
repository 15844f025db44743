// The rolling-origin backtest and the chooser, on synthetic series whose right answers are known.
import { describe, expect, it } from 'vitest';
import { backtest, backtestJson, MAX_WARMUP_DAYS } from '../../src/forecast/backtest.ts';
import type { ForecastModel } from '../../src/forecast/model.ts';
import { STANDARD_MODELS } from '../../src/forecast/models/index.ts';
import { makeRobustProfile, ROBUST_PROFILE_DEFAULTS } from '../../src/forecast/models/robust-profile.ts';
import { seasonalNaive } from '../../src/forecast/models/seasonal-naive.ts';
import { dayCount, slotsPerDay } from '../../src/history/series.ts';
import { syntheticSeries } from './synthetic.ts';

const staticProfile = makeRobustProfile(
  { ...ROBUST_PROFILE_DEFAULTS, beta: 0, lastDayWeight: 0 },
  'static-profile',
);

describe('backtest on a purely weekly series', () => {
  const series = syntheticSeries({ days: 56, intervalMin: 15 });
  const r = backtest(series, STANDARD_MODELS);

  it('finds seasonal naive exact and chooses it', () => {
    const naive = r.models.find((m) => m.name === 'seasonal-naive')!;
    expect(naive.native.wape).toBe(0);
    expect(naive.hourly.wape).toBe(0);
    expect(r.chosen).toBe('seasonal-naive');
  });

  it('forecasts every day after a warm-up of at most four weeks, at the data’s interval', () => {
    expect(r.warmupDays).toBeLessThanOrEqual(MAX_WARMUP_DAYS);
    expect(r.origins).toBe(dayCount(series) - r.warmupDays);
    const json = backtestJson(r) as {
      chosen: string;
      models: unknown[];
      points: Array<Record<string, unknown>>;
    };
    expect(Object.keys(json).sort()).toEqual(['chosen', 'models', 'points']);
    expect(json.points).toHaveLength(r.origins * slotsPerDay(series));
    expect(json.points[0]).toEqual({
      start: '2024-02-04T00:00:00',
      actual: expect.any(Number),
      forecast: expect.any(Number),
    });
    expect(Object.keys(json.points[1]!)).toEqual(['start', 'actual', 'forecast']);
    expect(json.points[1]!.start).toBe('2024-02-04T00:15:00');
    for (const m of json.models) expect(Object.keys(m as object).sort()).toEqual(['mape', 'name', 'wape']);
  });
});

describe('backtest on a series with a lasting level shift', () => {
  // 1.5 times the calls from day 84 on (a merged hotline, say), with Poisson noise; scored after the shift.
  const series = syntheticSeries({
    days: 140,
    intervalMin: 15,
    noiseSeed: 7,
    level: (d) => (d < 84 ? 1 : 1.5),
  });
  const r = backtest(series, [...STANDARD_MODELS, staticProfile], { scoreFromDay: 84 });
  const wape = (name: string) => r.models.find((m) => m.name === name)!.native.wape;

  it('lets the adaptive model win and the chooser pick it', () => {
    expect(r.chosen).toBe('robust-profile');
    expect(wape('robust-profile')).toBeLessThan(0.8 * wape('static-profile'));
    expect(wape('robust-profile')).toBeLessThan(0.8 * wape('seasonal-naive'));
  });
});

describe('the chooser', () => {
  const series = syntheticSeries({ days: 42, intervalMin: 30, noiseSeed: 3 });

  it('picks by backtest error, not by name or order', () => {
    const impostor: ForecastModel = {
      name: 'robust-profile',
      minHistoryDays: 7,
      pointForecast: (h) => new Float64Array(slotsPerDay(h)),
    };
    expect(backtest(series, [impostor, seasonalNaive]).chosen).toBe('seasonal-naive');
    const a = backtest(series, STANDARD_MODELS).chosen;
    const b = backtest(series, [...STANDARD_MODELS].reverse()).chosen;
    expect(a).toBe(b);
  });

  it('never shows a model the day it forecasts', () => {
    const seen: number[] = [];
    const spy: ForecastModel = {
      name: 'spy',
      minHistoryDays: 7,
      pointForecast: (h) => {
        seen.push(dayCount(h));
        return new Float64Array(slotsPerDay(h));
      },
    };
    const r = backtest(series, [spy], { warmupDays: 14 });
    expect(seen).toEqual(Array.from({ length: r.origins }, (_, i) => 14 + i));
  });

  it('refuses a warm-up longer than four weeks or shorter than the models need', () => {
    expect(() => backtest(series, STANDARD_MODELS, { warmupDays: 29 })).toThrow(/longer than 28/);
    expect(() => backtest(series, STANDARD_MODELS, { warmupDays: 7 })).toThrow(/shorter than the 14 days/);
  });
});
