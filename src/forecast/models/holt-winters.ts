// Double-seasonal Holt-Winters exponential smoothing with an AR(1) error term, as in J. W. Taylor,
// "Short-term electricity demand forecasting using double seasonal exponential smoothing" (JORS
// 2003) and his call-centre comparisons (Taylor 2008, Management Science): a level, a daily and a
// weekly multiplicative cycle, each corrected by the one-step error. Call-centre nights are near
// zero, where a multiplicative update divides by almost nothing, so seasonal indices are floored
// in the divisions: the night's few calls then nudge the level instead of throwing it.
import { dayCount, dayStart, slotsPerDay, weekdayOfDay, type IntervalSeries } from '../../history/series.ts';
import type { DayCalendar } from '../day-overrides.ts';
import { targetKind } from '../day-pool.ts';
import type { ForecastModel } from '../model.ts';

export interface HoltWintersOptions {
  /** Level smoothing. */
  alpha: number;
  /** Daily-cycle smoothing. */
  delta: number;
  /** Weekly-cycle smoothing. */
  omega: number;
  /** AR(1) coefficient on the one-step error. */
  phi: number;
  /** Weeks of history fitted (the first two initialise the cycles). */
  fitWeeks: number;
  /**
   * Errors beyond this many Poisson standard deviations are clipped before they update the state
   * (Gelper, Fried and Croux's robust Holt-Winters), so a holiday or an outage does not drag the
   * cycles with it; 0 = no clipping.
   */
  clip: number;
}

// Tuned by grid search on next-day forecasts for the first half of 1999 of the Anonymous Bank
// series (6-minute counts). The daily cycle settles at no smoothing: with next-day horizons the
// weekly cycle, updated at every interval, carries all that the daily one could add.
export const HOLT_WINTERS_DEFAULTS: HoltWintersOptions = {
  alpha: 0.0005,
  delta: 0,
  omega: 0.15,
  phi: 0,
  fitWeeks: 12,
  clip: 5,
};

const FLOOR = 0.05;

export function makeHoltWinters(opts: HoltWintersOptions = HOLT_WINTERS_DEFAULTS): ForecastModel {
  return {
    name: 'holt-winters',
    minHistoryDays: 14,
    pointForecast(history: IntervalSeries, calendar: DayCalendar): Float64Array {
      const m1 = slotsPerDay(history);
      const m2 = 7 * m1;
      const days = dayCount(history);
      const out = new Float64Array(m1);
      const kind = targetKind(history, calendar);
      const first = Math.max(0, days - 7 * opts.fitWeeks);
      if (days - first < 14 || kind.scale === 0) return out;

      // Observations as ordinary days: divided by an override's scale; days that behave like another
      // weekday are skipped, since the weekly cycle is indexed by the calendar.
      const obs = (d: number): { scale: number; usable: boolean } => {
        const k = calendar.kindOf(dayStart(history, d));
        return { scale: k.scale, usable: k.scale > 0 && k.weekday === weekdayOfDay(history, d) };
      };

      // Initialise from the first two weeks: level = mean, daily cycle = mean shape, weekly cycle =
      // what the daily cycle leaves.
      let sum = 0;
      let count = 0;
      const dSum = new Float64Array(m1);
      const dCnt = new Float64Array(m1);
      for (let d = first; d < first + 14; d++) {
        const o = obs(d);
        if (!o.usable) continue;
        for (let s = 0; s < m1; s++) {
          const v = history.values[d * m1 + s]! / o.scale;
          if (Number.isNaN(v)) continue;
          sum += v;
          count++;
          dSum[s]! += v;
          dCnt[s]! += 1;
        }
      }
      let level = count ? sum / count : 0;
      if (level <= 0) return out;
      const daily = new Float64Array(m1);
      for (let s = 0; s < m1; s++) daily[s] = dCnt[s]! ? Math.max(FLOOR, dSum[s]! / dCnt[s]! / level) : 1;
      const weekly = new Float64Array(m2).fill(1);
      const wSum = new Float64Array(m2);
      const wCnt = new Float64Array(m2);
      for (let d = first; d < first + 14; d++) {
        const o = obs(d);
        if (!o.usable) continue;
        const base = weekdayOfDay(history, d) * m1;
        for (let s = 0; s < m1; s++) {
          const v = history.values[d * m1 + s]! / o.scale;
          if (Number.isNaN(v)) continue;
          wSum[base + s]! += v / (level * daily[s]!);
          wCnt[base + s]! += 1;
        }
      }
      for (let j = 0; j < m2; j++) if (wCnt[j]!) weekly[j] = Math.max(FLOOR, wSum[j]! / wCnt[j]!);

      let lastError = 0;
      for (let d = first; d < days; d++) {
        const o = obs(d);
        const base = weekdayOfDay(history, d) * m1;
        for (let s = 0; s < m1; s++) {
          const y = history.values[d * m1 + s]! / o.scale;
          const dS = daily[s]!;
          const wS = weekly[base + s]!;
          const smooth = level * dS * wS;
          const fitted = smooth + opts.phi * lastError;
          if (!o.usable || Number.isNaN(y)) {
            lastError *= opts.phi;
            continue;
          }
          const limit = opts.clip > 0 ? opts.clip * Math.sqrt(Math.max(1, fitted)) : Infinity;
          const e = Math.max(-limit, Math.min(limit, y - fitted));
          const seasonal = Math.max(FLOOR, dS * wS);
          const newLevel = Math.max(1e-6, level + (opts.alpha * e) / seasonal);
          daily[s] = Math.max(FLOOR, dS + (opts.delta * e) / (newLevel * Math.max(FLOOR, wS)));
          weekly[base + s] = Math.max(FLOOR, wS + (opts.omega * e) / (newLevel * Math.max(FLOOR, dS)));
          level = newLevel;
          lastError = y - smooth;
        }
      }
      const base = kind.weekday * m1;
      let ar = lastError;
      for (let s = 0; s < m1; s++) {
        ar *= opts.phi;
        out[s] = Math.max(0, (level * daily[s]! * weekly[base + s]! + ar) * kind.scale);
      }
      return out;
    },
  };
}

export const holtWinters = makeHoltWinters();
