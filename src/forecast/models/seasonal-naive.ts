// The baseline: each interval gets what the same interval brought a week earlier. Every other model
// has to beat it to earn its keep. Holidays are respected through the calendar: the "week earlier"
// is the most recent day of the same kind, so a holiday last week does not echo into this week.
import { slotsPerDay, type IntervalSeries } from '../../history/series.ts';
import type { DayCalendar } from '../day-overrides.ts';
import { sameKindDays, targetKind } from '../day-pool.ts';
import type { ForecastModel } from '../model.ts';

/** How many earlier weeks to fall back through when last week's interval is unknown. */
const FALLBACK_WEEKS = 4;

export const seasonalNaive: ForecastModel = {
  name: 'seasonal-naive',
  minHistoryDays: 7,
  pointForecast(history: IntervalSeries, calendar: DayCalendar): Float64Array {
    const n = slotsPerDay(history);
    const out = new Float64Array(n);
    const kind = targetKind(history, calendar);
    if (kind.scale === 0) return out;
    const pool = sameKindDays(history, calendar, kind.weekday, FALLBACK_WEEKS, 7 * FALLBACK_WEEKS + 7);
    for (let s = 0; s < n; s++) {
      const known = pool.find((p) => !Number.isNaN(p.values[s]!));
      out[s] = known ? known.values[s]! * kind.scale : 0;
    }
    return out;
  },
};
