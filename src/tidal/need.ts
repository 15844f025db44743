// Front-line seats needed per interval: the forecast taken at an operator-chosen quantile of its
// prediction band (the same root-scale error model the bands are drawn from), staffed with Erlang C
// (or Erlang A given the callers' patience) against the centre's targets, shrinkage included.
import { probit } from 'simple-statistics';
import type { DayForecast } from '../forecast/model.ts';
import { DEFAULT_ERROR_VARIANCE, type ErrorVariance } from '../forecast/prediction-bands.ts';
import { requiredAgents } from '../staffing/required-agents.ts';
import type { StaffingTargets } from '../staffing/targets.ts';

export interface NeedOptions {
  /** Quantile of the forecast, 0.5 = the point forecast; 0.8 plans for a busier day than expected. */
  quantile: number;
  /** Average handle time (talk + after-call work), seconds. */
  ahtS: number;
  /** Callers' mean patience: Erlang A; absent: Erlang C. */
  patienceS?: number;
  targets: StaffingTargets;
}

export interface SeatNeed {
  /** Calls per interval at the quantile. */
  calls: number[];
  /** Agents on the phones per interval. */
  agents: number[];
  /** Heads to have on the front line per interval (shrinkage included). */
  seats: number[];
}

/** Calls per interval at quantile `q` of the forecast (q = 0.5 gives the mean back). */
export function forecastQuantile(
  mean: readonly number[],
  q: number,
  variance: ErrorVariance = DEFAULT_ERROR_VARIANCE,
): number[] {
  if (!(q > 0 && q < 1)) throw new RangeError(`quantile must be between 0 and 1, got ${q}`);
  const z = probit(q);
  return mean.map((m) => {
    const f = Math.max(0, m);
    if (f === 0) return 0;
    return Math.max(0, Math.sqrt(f) + z * Math.sqrt(variance.a + variance.b * f)) ** 2;
  });
}

/** Seats needed for calls per interval. */
export function seatsForCalls(calls: readonly number[], intervalMin: number, opts: NeedOptions): SeatNeed {
  const agents: number[] = [];
  const seats: number[] = [];
  for (const c of calls) {
    const r = requiredAgents(
      {
        calls: c,
        intervalMin,
        ahtS: opts.ahtS,
        ...(opts.patienceS === undefined ? {} : { patienceS: opts.patienceS }),
      },
      opts.targets,
    );
    agents.push(r.agents);
    seats.push(r.staff);
  }
  return { calls: [...calls], agents, seats };
}

/** Seats needed for a day's forecast at the chosen quantile. */
export function seatsNeeded(fc: DayForecast, opts: NeedOptions): SeatNeed {
  const calls = forecastQuantile(fc.mean, opts.quantile, fc.errorVariance ?? DEFAULT_ERROR_VARIANCE);
  return seatsForCalls(calls, fc.intervalMin, opts);
}
