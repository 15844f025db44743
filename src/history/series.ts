// A call-volume history on a regular grid of whole days: one count per interval, NaN where nothing
// is known (a gap in the records, or hours the source never reported). Whole days keep day-of-week
// and time-of-day arithmetic to an index division, which every forecast model leans on.
import { DAY_MS, MINUTE_MS, startOfDay, weekdayOf } from './local-time.ts';

export interface IntervalSeries {
  /** Local midnight of the first day. */
  readonly start: number;
  /** Minutes per interval; divides a day. */
  readonly intervalMin: number;
  /** Calls per interval, day after day; NaN = unknown. Length is a whole number of days. */
  readonly values: Float64Array;
}

export const slotsPerDay = (s: Pick<IntervalSeries, 'intervalMin'>): number => 1440 / s.intervalMin;
export const dayCount = (s: IntervalSeries): number => s.values.length / slotsPerDay(s);
export const dayStart = (s: IntervalSeries, day: number): number => s.start + day * DAY_MS;
export const weekdayOfDay = (s: IntervalSeries, day: number): number => weekdayOf(dayStart(s, day));
export const slotTime = (s: IntervalSeries, index: number): number =>
  s.start + index * s.intervalMin * MINUTE_MS;

/** The values of one day (a view, not a copy). */
export function dayValues(s: IntervalSeries, day: number): Float64Array {
  const n = slotsPerDay(s);
  return s.values.subarray(day * n, (day + 1) * n);
}

/** The history before `day`, as a view: what a forecaster standing at that midnight may see. */
export function historyBefore(s: IntervalSeries, day: number): IntervalSeries {
  return { ...s, values: s.values.subarray(0, Math.max(0, day) * slotsPerDay(s)) };
}

/** Day index of a local time within the series (may be out of range). */
export function dayIndexOf(s: IntervalSeries, time: number): number {
  return Math.round((startOfDay(time) - s.start) / DAY_MS);
}

/** Builds a series from (time, count) pairs already on the interval grid; absent slots stay NaN. */
export function seriesFromPoints(
  points: ReadonlyArray<{ time: number; calls: number }>,
  intervalMin: number,
): IntervalSeries {
  if (!points.length) return { start: 0, intervalMin, values: new Float64Array(0) };
  let first = Infinity;
  let last = -Infinity;
  for (const p of points) {
    if (p.time < first) first = p.time;
    if (p.time > last) last = p.time;
  }
  const start = startOfDay(first);
  const days = Math.round((startOfDay(last) - start) / DAY_MS) + 1;
  const values = new Float64Array(days * (1440 / intervalMin)).fill(NaN);
  const step = intervalMin * MINUTE_MS;
  for (const p of points) {
    const i = Math.round((p.time - start) / step);
    values[i] = Number.isNaN(values[i]!) ? p.calls : values[i]! + p.calls;
  }
  return { start, intervalMin, values };
}

/**
 * Sums each run of `factor` intervals into one (e.g. 6-minute counts into hours). A coarse interval
 * is unknown only when every fine interval in it is unknown.
 */
export function aggregate(s: IntervalSeries, factor: number): IntervalSeries {
  if (!Number.isInteger(factor) || factor < 1 || slotsPerDay(s) % factor !== 0)
    throw new Error(`cannot sum ${s.intervalMin}-minute intervals by ${factor}`);
  const out = new Float64Array(s.values.length / factor);
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    let known = false;
    for (let j = 0; j < factor; j++) {
      const v = s.values[i * factor + j]!;
      if (!Number.isNaN(v)) {
        sum += v;
        known = true;
      }
    }
    out[i] = known ? sum : NaN;
  }
  return { start: s.start, intervalMin: s.intervalMin * factor, values: out };
}

/** The days [fromDay, toDay) as a series of their own. */
export function sliceDays(s: IntervalSeries, fromDay: number, toDay: number): IntervalSeries {
  const n = slotsPerDay(s);
  return {
    start: dayStart(s, fromDay),
    intervalMin: s.intervalMin,
    values: s.values.slice(fromDay * n, toDay * n),
  };
}
