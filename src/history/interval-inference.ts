// Which interval a volume file is on. Files come from many switches and reports: 5, 6, 10, 15, 30
// or 60 minutes, with closed hours and lost stretches missing. The most common step between
// consecutive rows is the interval (gaps make some steps longer, never shorter); it must divide a
// day so that time-of-day slots line up from one day to the next.
import { MINUTE_MS } from './local-time.ts';

export const MIN_INTERVAL_MIN = 5;
export const MAX_INTERVAL_MIN = 60;

export class IntervalError extends Error {}

/** Intervals a day divides into evenly, within the supported range. */
export function isSupportedInterval(minutes: number): boolean {
  return (
    Number.isInteger(minutes) &&
    minutes >= MIN_INTERVAL_MIN &&
    minutes <= MAX_INTERVAL_MIN &&
    1440 % minutes === 0
  );
}

/** Infers the interval in minutes from the start times of a file's rows (any order). */
export function inferIntervalMinutes(times: readonly number[]): number {
  const sorted = [...new Set(times)].sort((a, b) => a - b);
  if (sorted.length < 2)
    throw new IntervalError('need at least two distinct start times to infer the interval');
  const steps = new Map<number, number>();
  for (let i = 1; i < sorted.length; i++) {
    const step = (sorted[i]! - sorted[i - 1]!) / MINUTE_MS;
    steps.set(step, (steps.get(step) ?? 0) + 1);
  }
  let best = 0;
  let bestCount = 0;
  for (const [step, count] of steps)
    if (count > bestCount || (count === bestCount && step < best)) [best, bestCount] = [step, count];
  if (!isSupportedInterval(best))
    throw new IntervalError(
      `rows are mostly ${best} minutes apart; supported intervals are ${MIN_INTERVAL_MIN} to ${MAX_INTERVAL_MIN} ` +
        'minutes dividing a day evenly (5, 6, 10, 12, 15, 20, 30, 60, ...)',
    );
  return best;
}
