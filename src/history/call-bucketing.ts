// Turns one-row-per-call records into interval counts. A call-level file is complete for the days
// it covers, so every interval of those days without a call is a known zero, not a gap.
import { type IntervalSeries } from './series.ts';
import { DAY_MS, MINUTE_MS, startOfDay } from './local-time.ts';

export function bucketArrivals(times: readonly number[], intervalMin: number): IntervalSeries {
  if (!times.length) return { start: 0, intervalMin, values: new Float64Array(0) };
  let first = Infinity;
  let last = -Infinity;
  for (const t of times) {
    if (t < first) first = t;
    if (t > last) last = t;
  }
  const start = startOfDay(first);
  const days = Math.round((startOfDay(last) - start) / DAY_MS) + 1;
  const values = new Float64Array(days * (1440 / intervalMin));
  const step = intervalMin * MINUTE_MS;
  for (const t of times) values[Math.floor((t - start) / step)]! += 1;
  return { start, intervalMin, values };
}
