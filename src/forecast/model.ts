// The one interface every forecast model implements, and the forecast it returns. A model is pure
// and synchronous: given the history up to an origin (a local midnight) it forecasts the next day
// at the history's own interval. The backtest, the planner and a simulator on a virtual clock all
// call the same code.
import type { IntervalSeries } from '../history/series.ts';
import type { DayCalendar } from './day-overrides.ts';

export interface PredictionBand {
  /** Share of outcomes the band should hold, e.g. 0.8. */
  coverage: number;
  lower: number[];
  upper: number[];
}

export interface DayForecast {
  model: string;
  /** Local midnight of the forecast day. */
  start: number;
  intervalMin: number;
  /** Expected calls per interval. */
  mean: number[];
  /** Prediction intervals, narrowest first. */
  bands: PredictionBand[];
  /** The root-scale error variance the bands were drawn from. */
  errorVariance?: { a: number; b: number };
  /** The same fitted to clock-hour sums, for hourly bands (errors within an hour are correlated). */
  hourlyErrorVariance?: { a: number; b: number };
}

export interface ForecastModel {
  readonly name: string;
  /** Days of history the model needs before it can forecast. */
  readonly minHistoryDays: number;
  /**
   * Point forecast of the day after `history` ends, one value per interval. `history` holds whole
   * days; the model must not assume anything about the calendar beyond `calendar`.
   */
  pointForecast(history: IntervalSeries, calendar: DayCalendar): Float64Array;
}
