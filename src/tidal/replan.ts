// Re-planning the tidal moves during the day, as often as the operator asks (e.g. every hour from 09:00): at
// each re-plan the rest of the day is re-forecast from the calls so far (`reforecastIntraday`), the seats it
// needs are sized again, and the plan is re-made from the first interval it may change (`now` plus the notice:
// `planTidal` with `now`). Seats on the front line then carry on under the new plan, which returns them by its
// own rules (their minimum block counted from when they moved); moves not yet begun give way to the new plan's.
// Pure: the evaluation and the live service can run the same code.
import { INTRADAY_DEFAULTS, type IntradayOptions, reforecastIntraday } from '../forecast/intraday.ts';
import type { DayForecast } from '../forecast/model.ts';
import { MINUTE_MS } from '../history/local-time.ts';
import { planTidal, resolveOptions } from './planner.ts';
import type { PlanOptions, TidalAgent } from './types.ts';

/** A seat on the front line from `fromMs` to `toMs` (ms since the day's start). */
export interface SeatMove {
  agentId: string;
  fromMs: number;
  toMs: number;
}

export interface ReplanInput {
  date: string;
  intervalMin: number;
  /** The day-ahead forecast of calls per interval (its mean), from the day's start. */
  forecast: Pick<DayForecast, 'mean' | 'intervalMin' | 'bands'>;
  /** The day-ahead need the first plan was made for. */
  need: readonly number[];
  /** The moves of the plan in force before the first re-plan. */
  moves: readonly SeatMove[];
  /** Calls per interval as they came (only those before each re-plan are looked at). */
  actual: readonly number[];
  /** Minutes after the day's start at which to re-plan, ascending. */
  at: readonly number[];
  /** Seats needed for calls per interval (the same sizing as the day-ahead need). */
  seatsFor: (calls: number[]) => number[];
  roster: readonly TidalAgent[];
  options?: Partial<PlanOptions>;
  /**
   * 'both' (default): the re-forecast may raise or lower the need for the rest of the day; 'up': only raise it
   * (a quiet morning keeps the day-ahead plan's seats; a busy one adds to them).
   */
  direction?: 'both' | 'up';
  /** How the re-forecast weighs the calls so far (default INTRADAY_DEFAULTS). */
  intraday?: Partial<IntradayOptions>;
}

export interface ReplanStep {
  /** Minutes after the day's start. */
  atMin: number;
  /** How the day had run against the forecast (the factor applied to the rest of the day). */
  factor: number;
  /** Moves of the re-made plan from the first interval it may change (seats carried on included). */
  moves: number;
}

export interface ReplanResult {
  moves: SeatMove[];
  steps: ReplanStep[];
  /** The need the last re-plan worked to (elapsed intervals: as planned before). */
  need: number[];
}

/** Each agent's back-to-back or overlapping stays as one. */
export function mergeMoves(moves: readonly SeatMove[]): SeatMove[] {
  const out: SeatMove[] = [];
  for (const m of [...moves].sort((a, b) => a.agentId.localeCompare(b.agentId) || a.fromMs - b.fromMs)) {
    const last = out[out.length - 1];
    if (last && last.agentId === m.agentId && m.fromMs <= last.toMs) last.toMs = Math.max(last.toMs, m.toMs);
    else if (m.toMs > m.fromMs) out.push({ ...m });
  }
  return out;
}

export function replanDuringDay(input: ReplanInput): ReplanResult {
  const o = resolveOptions(input.options);
  const iv = input.intervalMin;
  const stepMs = iv * MINUTE_MS;
  let moves = mergeMoves(input.moves);
  let need = [...input.need];
  const steps: ReplanStep[] = [];
  const fc: DayForecast = { ...input.forecast, start: 0 } as DayForecast;
  for (const atMin of input.at) {
    const now = atMin * MINUTE_MS;
    const elapsed = Math.floor(atMin / iv);
    const re = reforecastIntraday(
      fc,
      input.actual.map((a, i) => (i < elapsed ? a : NaN)),
      now,
      { ...INTRADAY_DEFAULTS, ...input.intraday },
    );
    const later = input.seatsFor(re.mean);
    const up = input.direction === 'up';
    need = need.map((x, i) => (i < elapsed ? x : up ? Math.max(input.need[i]!, later[i]!) : later[i]!));
    // Seats on the front line when the new plan may first change carry on under it (their block counted from
    // when they moved); the old plan's moves end there.
    const switchAt = Math.ceil((now + o.noticeMin * MINUTE_MS) / stepMs) * stepMs;
    const underWay = moves
      .filter((m) => m.fromMs < switchAt && m.toMs > switchAt)
      .map((m) => ({ agentId: m.agentId, sinceMs: m.fromMs }));
    const plan = planTidal({
      date: input.date,
      dayStart: 0,
      intervalMin: iv,
      need,
      roster: input.roster,
      options: o,
      now,
      underWay,
    });
    const fresh = plan.moves
      .filter((m) => !m.cancelled)
      .map((m) => ({ agentId: m.agentId, fromMs: m.effectiveAt, toMs: m.returnAt }));
    const kept = moves
      .filter((m) => m.fromMs < switchAt)
      .map((m) => ({ ...m, toMs: Math.min(m.toMs, switchAt) }));
    const added = fresh.filter((m) => m.toMs > switchAt);
    moves = mergeMoves([...kept, ...added]);
    steps.push({ atMin, factor: Math.round(re.factor * 100) / 100, moves: added.length });
  }
  return { moves, steps, need };
}
