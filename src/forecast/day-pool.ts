// Which past days a model may learn a target day's pattern from: days of the same kind (the same
// weekday, or what an override says the day behaves like), most recent first, each with the scale
// that turns it back into an ordinary day of its kind. Closed and empty days teach nothing.
import { dayCount, dayStart, dayValues, type IntervalSeries } from '../history/series.ts';
import type { DayCalendar, DayKind } from './day-overrides.ts';

export interface PoolDay {
  day: number;
  /** Calls of the day divided by its scale, NaN where unknown. */
  values: Float64Array;
  /** Sum of the known values. */
  total: number;
}

/** The kind of the day after the history ends. */
export function targetKind(history: IntervalSeries, calendar: DayCalendar): DayKind {
  return calendar.kindOf(dayStart(history, dayCount(history)));
}

/** Up to `max` most recent days of `weekday`'s kind, searching back at most `lookbackDays`. */
export function sameKindDays(
  history: IntervalSeries,
  calendar: DayCalendar,
  weekday: number,
  max: number,
  lookbackDays = Infinity,
): PoolDay[] {
  const out: PoolDay[] = [];
  const days = dayCount(history);
  for (let d = days - 1; d >= 0 && out.length < max && days - d <= lookbackDays; d--) {
    const kind = calendar.kindOf(dayStart(history, d));
    if (kind.weekday !== weekday || kind.scale <= 0) continue;
    const raw = dayValues(history, d);
    let known = 0;
    let total = 0;
    const values = new Float64Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const v = raw[i]! / kind.scale;
      values[i] = v;
      if (!Number.isNaN(v)) {
        known++;
        total += v;
      }
    }
    if (known === 0) continue;
    out.push({ day: d, values, total });
  }
  return out;
}
