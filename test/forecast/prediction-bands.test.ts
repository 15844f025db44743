// Prediction intervals: ordered, non-negative, and covering about what they claim on a series
// whose noise is known.
import { describe, expect, it } from 'vitest';
import { backtest } from '../../src/forecast/backtest.ts';
import { forecastNextDay, sumIntervals } from '../../src/forecast/forecast-day.ts';
import { robustProfile } from '../../src/forecast/models/robust-profile.ts';
import { seasonalNaive } from '../../src/forecast/models/seasonal-naive.ts';
import { bandsFor, fitErrorVariance } from '../../src/forecast/prediction-bands.ts';
import { historyBefore } from '../../src/history/series.ts';
import { syntheticSeries } from './synthetic.ts';

describe('prediction bands', () => {
  const series = syntheticSeries({ days: 63, intervalMin: 15, noiseSeed: 11 });

  it('are ordered, never negative, and cover about their nominal share', () => {
    const r = backtest(series, [robustProfile, seasonalNaive], { bands: true });
    for (const m of r.models) {
      expect(m.coverage80).toBeGreaterThan(0.72);
      expect(m.coverage80).toBeLessThan(0.9);
      expect(m.coverage95).toBeGreaterThan(0.9);
    }
    const fc = forecastNextDay(robustProfile, historyBefore(series, 60));
    const [b80, b95] = fc.bands;
    fc.mean.forEach((m, i) => {
      expect(b95!.lower[i]).toBeGreaterThanOrEqual(0);
      expect(b95!.lower[i]).toBeLessThanOrEqual(b80!.lower[i]!);
      expect(b80!.lower[i]).toBeLessThanOrEqual(m);
      expect(m).toBeLessThanOrEqual(b80!.upper[i]!);
      expect(b80!.upper[i]).toBeLessThanOrEqual(b95!.upper[i]!);
    });
  });

  it('sum to hours with bands fitted to hourly errors', () => {
    const fc = forecastNextDay(robustProfile, historyBefore(series, 60));
    const hourly = sumIntervals(fc, 4);
    expect(hourly.intervalMin).toBe(60);
    expect(hourly.mean).toHaveLength(24);
    expect(hourly.mean.reduce((a, b) => a + b, 0)).toBeCloseTo(
      fc.mean.reduce((a, b) => a + b, 0),
      9,
    );
    expect(fc.hourlyErrorVariance).toBeDefined();
    const peak = hourly.mean.indexOf(Math.max(...hourly.mean));
    expect(hourly.bands[0]!.upper[peak]! - hourly.bands[0]!.lower[peak]!).toBeGreaterThan(0);
  });

  it('fall back to Poisson noise with too few errors to fit', () => {
    expect(fitErrorVariance([[1, 2]])).toEqual({ a: 0.25, b: 0.01 });
    const [band] = bandsFor([0, 100], { a: 0.25, b: 0 }, [0.8]);
    expect(band!.lower[0]).toBe(0);
    expect(band!.lower[1]).toBeCloseTo((10 - 1.281552 * 0.5) ** 2, 2);
  });
});
