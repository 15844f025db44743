// Re-forecasting the rest of the day from the calls that have arrived.
import { describe, expect, it } from 'vitest';
import { reforecastIntraday } from '../../src/forecast/intraday.ts';
import type { DayForecast } from '../../src/forecast/model.ts';
import { dayShape } from './synthetic.ts';

const start = Date.UTC(2024, 2, 4);
const at = (h: number, m = 0) => start + (h * 60 + m) * 60_000;
const mean = dayShape(15, 1); // a Monday, 15-minute intervals
const forecast: DayForecast = {
  model: 'test',
  start,
  intervalMin: 15,
  mean,
  bands: [{ coverage: 0.8, lower: mean.map((m) => m * 0.8), upper: mean.map((m) => m * 1.2) }],
};
const slot = (h: number, m = 0) => (h * 60 + m) / 15;
const sum = (xs: number[], from: number, to: number) => xs.slice(from, to).reduce((a, b) => a + b, 0);

describe('intraday re-forecast', () => {
  it('raises the afternoon after a morning running 40 % hot', () => {
    const actuals = mean.slice(0, slot(12)).map((m) => m * 1.4);
    const r = reforecastIntraday(forecast, actuals, at(12));
    expect(r.elapsed).toBe(slot(12));
    expect(r.factor).toBeGreaterThan(1.35);
    expect(r.factor).toBeLessThan(1.45);
    const afternoon = sum(r.mean, slot(13), slot(18)) / sum(mean, slot(13), slot(18));
    expect(afternoon).toBeCloseTo(r.factor, 10);
    // Elapsed intervals show what happened; bands move with the mean.
    expect(r.mean[slot(9)]).toBeCloseTo(actuals[slot(9)]!, 10);
    expect(r.bands[0]!.upper[slot(15)]).toBeCloseTo(mean[slot(15)]! * 1.2 * r.factor, 10);
  });

  it('sees a surge within the hour', () => {
    // On forecast until 10:00, then 60 % more calls.
    const actuals = mean.slice(0, slot(11)).map((m, i) => (i >= slot(10) ? m * 1.6 : m));
    const r = reforecastIntraday(forecast, actuals, at(11));
    expect(r.factor).toBeGreaterThan(1.3);
    expect(reforecastIntraday(forecast, actuals.slice(0, slot(10)), at(10)).factor).toBeCloseTo(1, 2);
  });

  it('keeps the forecast before anything is known, and a quiet night does not swing it', () => {
    const none = reforecastIntraday(forecast, [], at(0));
    expect(none.factor).toBe(1);
    expect(none.mean).toEqual(mean);
    // Twice the (tiny) night forecast: a handful of calls is not evidence of a hot day.
    const night = mean.slice(0, slot(6)).map((m) => m * 2);
    expect(reforecastIntraday(forecast, night, at(6)).factor).toBeLessThan(1.2);
  });

  it('treats an unknown interval as unknown, not as zero calls', () => {
    const actuals = mean.slice(0, slot(12)).map((m, i) => (i === slot(11) ? NaN : m));
    const r = reforecastIntraday(forecast, actuals, at(12));
    expect(r.factor).toBeCloseTo(1, 10);
    expect(r.mean[slot(11)]).toBe(mean[slot(11)]);
  });
});
