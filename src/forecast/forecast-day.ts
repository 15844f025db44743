// A model's full forecast for the day after the history ends: its point forecast plus prediction
// bands calibrated on what the same model would have forecast for the recent days (each from the
// history before that day, so the errors are honest out-of-sample ones).
import { dayCount, dayStart, dayValues, historyBefore, type IntervalSeries } from '../history/series.ts';
import { type DayCalendar, EMPTY_CALENDAR } from './day-overrides.ts';
import type { DayForecast, ForecastModel } from './model.ts';
import { bandsFor, DEFAULT_ERROR_VARIANCE, fitErrorVariance } from './prediction-bands.ts';

/** Days of past forecasts whose errors size the bands. */
export const CALIBRATION_DAYS = 14;

/**
 * Point forecasts of one model on one series by day index. Valid only while the series and the
 * calendar stay the same: the backtest keeps one per model so each day is forecast once.
 */
export type PointCache = Map<number, Float64Array | null>;

/** The model's point forecast for `day` from the history before it, or null when too early. */
export function pointForDay(
  model: ForecastModel,
  series: IntervalSeries,
  day: number,
  calendar: DayCalendar,
  cache?: PointCache,
): Float64Array | null {
  const hit = cache?.get(day);
  if (hit !== undefined) return hit;
  const f = day >= model.minHistoryDays ? model.pointForecast(historyBefore(series, day), calendar) : null;
  cache?.set(day, f);
  return f;
}

/** Forecast of the day after `history` ends, with prediction bands. */
export function forecastNextDay(
  model: ForecastModel,
  history: IntervalSeries,
  calendar: DayCalendar = EMPTY_CALENDAR,
  cache?: PointCache,
): DayForecast {
  const target = dayCount(history);
  const mean = pointForDay(model, history, target, calendar, cache) ?? model.pointForecast(history, calendar);
  const pairs: Array<[number, number]> = [];
  const perHour = 60 / history.intervalMin;
  const hourPairs: Array<[number, number]> = [];
  for (let d = Math.max(0, target - CALIBRATION_DAYS); d < target; d++) {
    const f = pointForDay(model, history, d, calendar, cache);
    if (!f) continue;
    const a = dayValues(history, d);
    for (let s = 0; s < f.length; s++) if (!Number.isNaN(a[s]!)) pairs.push([f[s]!, a[s]!]);
    if (!Number.isInteger(perHour)) continue;
    for (let h = 0; h < f.length; h += perHour) {
      let fs = 0;
      let as = 0;
      for (let s = h; s < h + perHour; s++) {
        fs += f[s]!;
        as += a[s]!;
      }
      if (!Number.isNaN(as)) hourPairs.push([fs, as]);
    }
  }
  const variance = pairs.length ? fitErrorVariance(pairs) : DEFAULT_ERROR_VARIANCE;
  return {
    model: model.name,
    start: dayStart(history, target),
    intervalMin: history.intervalMin,
    mean: Array.from(mean),
    bands: bandsFor(mean, variance),
    errorVariance: variance,
    ...(hourPairs.length ? { hourlyErrorVariance: fitErrorVariance(hourPairs) } : {}),
  };
}

/**
 * The forecast summed into longer periods of `factor` intervals, with bands from the errors of
 * past hourly sums when the periods are clock hours, else from the interval error model (Poisson
 * noise adds up exactly; the level error, mostly shared within a period, is taken as fully shared).
 */
export function sumIntervals(fc: DayForecast, factor: number): DayForecast {
  const mean: number[] = [];
  for (let i = 0; i < fc.mean.length; i += factor)
    mean.push(fc.mean.slice(i, i + factor).reduce((a, b) => a + b, 0));
  return {
    ...fc,
    intervalMin: fc.intervalMin * factor,
    mean,
    bands: bandsFor(
      mean,
      (fc.intervalMin * factor === 60 ? fc.hourlyErrorVariance : undefined) ??
        fc.errorVariance ??
        DEFAULT_ERROR_VARIANCE,
      fc.bands.map((b) => b.coverage),
    ),
  };
}
