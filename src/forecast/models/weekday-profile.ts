// The planner's classic: a day-of-week by time-of-day profile (the average of the last few days of
// the same kind), scaled by the recent level (how the last week ran against its own profiles), so a
// month-long drift or a new service line's growth carries into tomorrow.
import { dayCount, dayStart, dayValues, slotsPerDay, type IntervalSeries } from '../../history/series.ts';
import type { DayCalendar } from '../day-overrides.ts';
import { sameKindDays, targetKind } from '../day-pool.ts';
import type { ForecastModel } from '../model.ts';

export interface WeekdayProfileOptions {
  /** Same-kind days averaged into a profile. */
  weeks: number;
  /** Days whose actuals set the recent level. */
  levelDays: number;
}

function profileOf(
  history: IntervalSeries,
  calendar: DayCalendar,
  weekday: number,
  weeks: number,
): Float64Array | null {
  const pool = sameKindDays(history, calendar, weekday, weeks, 7 * weeks + 14);
  if (!pool.length) return null;
  const n = slotsPerDay(history);
  const out = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    let sum = 0;
    let count = 0;
    for (const p of pool) {
      const v = p.values[s]!;
      if (!Number.isNaN(v)) {
        sum += v;
        count++;
      }
    }
    out[s] = count ? sum / count : 0;
  }
  return out;
}

export function makeWeekdayProfile(opts: WeekdayProfileOptions = { weeks: 4, levelDays: 7 }): ForecastModel {
  return {
    name: 'weekday-profile',
    minHistoryDays: 7,
    pointForecast(history, calendar) {
      const n = slotsPerDay(history);
      const kind = targetKind(history, calendar);
      const profiles = new Map<number, Float64Array | null>();
      const profile = (w: number) => {
        if (!profiles.has(w)) profiles.set(w, profileOf(history, calendar, w, opts.weeks));
        return profiles.get(w)!;
      };
      const base = profile(kind.weekday);
      if (!base || kind.scale === 0) return new Float64Array(n);
      let actual = 0;
      let expected = 0;
      const days = dayCount(history);
      for (let d = days - 1; d >= Math.max(0, days - opts.levelDays); d--) {
        const k = calendar.kindOf(dayStart(history, d));
        const p = profile(k.weekday);
        if (!p || k.scale <= 0) continue;
        const v = dayValues(history, d);
        for (let s = 0; s < n; s++) {
          if (Number.isNaN(v[s]!)) continue;
          actual += v[s]! / k.scale;
          expected += p[s]!;
        }
      }
      const level = expected > 0 ? Math.min(2, Math.max(0.5, actual / expected)) : 1;
      return base.map((v) => v * level * kind.scale);
    },
  };
}

export const weekdayProfile = makeWeekdayProfile();
