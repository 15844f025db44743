// "Would tidal seats have paid off on days the planner never saw?" Each day of a range is replayed as it would
// have been run: the forecast and the plan are made from the history before that day only, then that day's real
// callers (arrival, handle time, patience, priority, from per-call records) go through the live ACD policy in the
// simulator under four rosters:
//   tidal     a front line sized to each shift's quieter level, plus backup seats moved by the tidal plan;
//   fixed     the same front-line seat-hours as tidal, as a roster without moves (flat over the working hours);
//   shifts    three 8-hour shifts, each sized to its forecast peak;
//   optimum   the per-interval Erlang-A seats for the day's actual volume sized for the day's bar, checked in the
//             simulator on the day's callers and topped up where the day lost most until it meets the bar
//             (hindsight, no shifts: a lower bound to aim at);
// and "intraday": the tidal roster with its moves re-planned every hour from the calls so far (replan.ts).
// Every roster is judged by the same bar (DAY_BAR) and the same short-abandon rule.
// The value of tidal seats is the seat-hours they keep off the front line at the same service.
import { PRIORITY_CLASSES } from '../acd/types.ts';
import { backtest } from '../forecast/backtest.ts';
import { forecastNextDay } from '../forecast/forecast-day.ts';
import { STANDARD_MODELS, modelByName } from '../forecast/models/index.ts';
import type { ForecastModel } from '../forecast/model.ts';
import { DAY_MS, formatDate, MINUTE_MS, parseDate, parseLocalTime } from '../history/local-time.ts';
import {
  aggregate,
  dayCount,
  dayIndexOf,
  historyBefore,
  type IntervalSeries,
  sliceDays,
} from '../history/series.ts';
import {
  type CallSet,
  SHORT_ABANDON_S,
  simulate,
  type SimMove,
  type SimResult,
} from '../simulator/engine.ts';
import type { AgentSpec, ResolvedScenario } from '../simulator/scenario.ts';
import { daySeats } from '../staffing/day-staffing.ts';
import { DEFAULT_TARGETS } from '../staffing/targets.ts';
import { forecastQuantile, seatsForCalls } from './need.ts';
import { planTidal } from './planner.ts';
import { replanDuringDay, type ReplanStep } from './replan.ts';
import { formatHhmm } from './time.ts';
import type { PlanLimit, TidalAgent } from './types.ts';

/** Days of history each day's forecast looks at. */
const HISTORY_DAYS = 56;
/** ... and at least this many (two weeks: each weekday twice). */
const MIN_HISTORY_DAYS = 14;
const SHIFTS: Array<[number, number]> = [
  [0, 480],
  [480, 960],
  [960, 1440],
];
/** Front-line shifts are this long; a peak narrower than twice PEAK_HALF_WIDTH_MIN is left to backup seats. */
const SHIFT_MIN = 480;
const PEAK_HALF_WIDTH_MIN = 90;
/** The intraday variant re-forecasts and re-plans from 09:00 to 17:00, every hour by default (minutes after midnight). */
const REPLAN_FROM_MIN = 540;
const REPLAN_UNTIL_MIN = 1020;
const REPLAN_EVERY_MIN = 60;
/** "The morning" the intraday factor reports: up to 11:00. */
const MORNING_END_MIN = 660;
/** Backup seats work the back office in day hours. */
const BACKUP_SHIFT: [number, number] = [420, 1260];

export class EvaluateError extends Error {}

/** One caller of the per-call records. */
export interface RecordedCall {
  /** Reached a human: queued, or put straight through to a free agent (the rest stayed in the IVR or hung up there). */
  queued: boolean;
  /** Local time the caller joined the queue (entered the IVR, for one who never queued). */
  queuedAt: number;
  care: boolean;
  served: boolean;
  waitS: number;
  handleS: number;
}

/**
 * Parses per-call records (call_id, customer_priority, vru_entry, queue_start, queue_exit, outcome, service_start,
 * service_end). A caller reached a human when they queued or were put straight through to a free agent (no queue
 * times, service times given: a wait of zero; about half the served calls of the anonymous bank's January). Served
 * means an agent picked up (service times given), whatever the outcome column says.
 */
export function parseRecordedCalls(text: string): RecordedCall[] {
  const lines = text.split(/\r?\n/);
  const head = (lines[0] ?? '').split(',');
  const col = (name: string) => {
    const i = head.indexOf(name);
    if (i < 0) throw new EvaluateError(`calls file: no column ${name}`);
    return i;
  };
  const [cEntry, cPri, cQs, cQe, cOut, cSs, cSe] = [
    col('vru_entry'),
    col('customer_priority'),
    col('queue_start'),
    col('queue_exit'),
    col('outcome'),
    col('service_start'),
    col('service_end'),
  ];
  const out: RecordedCall[] = [];
  const time = (f: string[], c: number) => (f[c] ? parseLocalTime(f[c]!) : null);
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.split(',');
    if (f.length < head.length) continue;
    if (f[cOut] === 'PHANTOM') continue;
    const care = f[cPri] === '2';
    const [qs, qe, ss, se] = [time(f, cQs), time(f, cQe), time(f, cSs), time(f, cSe)];
    const served = ss !== null && se !== null && se >= ss;
    const handleS = served ? Math.max(1, (se - ss) / 1000) : 0;
    if (qs !== null && qe !== null) {
      out.push({ queued: true, queuedAt: qs, care, served, waitS: Math.max(0, (qe - qs) / 1000), handleS });
    } else if (served) {
      // Put straight through: the caller reached a human at once.
      out.push({ queued: true, queuedAt: ss, care, served, waitS: 0, handleS });
    } else {
      const entered = time(f, cEntry);
      if (entered !== null)
        out.push({ queued: false, queuedAt: entered, care, served: false, waitS: 0, handleS: 0 });
    }
  }
  return out.sort((a, b) => a.queuedAt - b.queuedAt);
}

export interface VariantFigures {
  answerRate: number;
  /** Answered within 15 s over answered and abandoned (short abandons excluded). */
  within15: number;
  careAvgWaitS: number;
  frontSeatHours: number;
}

export interface EvaluatedDay {
  date: string;
  calls: number;
  model: string;
  tidal: VariantFigures;
  fixed: VariantFigures;
  shifts: VariantFigures;
  optimum: VariantFigures;
  /** Whether the optimum search found seats meeting the bar in the simulator (it adds up to 400 seat-intervals). */
  optimumMet: boolean;
  /** The tidal roster with its moves re-planned during the day from the calls so far (hourly from 09:00). */
  intraday: VariantFigures;
  /** How the morning ran against the forecast (the re-forecast's factor at 11:00 for the rest of the day). */
  intradayFactor: number;
  /** The intraday re-plans: when, the re-forecast's factor, the moves each made. */
  replans: ReplanStep[];
  /** Backup seat-hours the tidal plan left in the back office. */
  backupKeptHours: number;
  /**
   * Seat-hours the sizing asks for before any shift or move is drawn (Σ seats × interval): for the forecast at
   * the plan's quantile (the tidal plan's need), for the forecast's mean, and for the calls that came (where the
   * optimum starts). What the rosters pay beyond these is the price of shifts and moves.
   */
  sizedSeatHours: { quantile: number; mean: number; actual: number };
  moves: number;
  limits: PlanLimit[];
}

export interface EvaluateOptions {
  quantile?: number;
  /** A forecast model by name; by default each day's backtest chooses. */
  model?: string;
  seed?: number;
  /** 'day' (default): seats sized for the day's bar (`daySeats`); 'interval': every interval to the full targets. */
  sizing?: 'day' | 'interval';
  /** Minutes between intraday re-plans up to 17:00 (default 60; 0: once). */
  replanEveryMin?: number;
  /** The first intraday re-plan, minutes after midnight (default 540, 09:00). */
  replanFromMin?: number;
  /** Prune the optimum in the simulator too (the call-by-call hindsight floor). */
  prune?: boolean;
  /** Abandons quicker than this (s) are left out of the rates, for every roster alike (default 5; 0: none). */
  shortAbandonS?: number;
}

/** The scenario shell the simulator needs (ACD settings, queues); callers and agents come from the evaluation. */
export type ScenarioShell = ResolvedScenario;

/** 7×24 human service (GB/T 33358-2016): every roster keeps at least one seat at every hour. */
const atLeastOne = (seats: number) => Math.max(1, seats);

/** Agents realising a seat curve: level k works every run of intervals with at least k seats. */
function seatAgents(seats: readonly number[], intervalMin: number, tag: string): AgentSpec[] {
  const out: AgentSpec[] = [];
  const top = Math.max(0, ...seats);
  for (let k = 1; k <= top; k++) {
    for (let i = 0; i < seats.length;) {
      if (seats[i]! < k) {
        i++;
        continue;
      }
      let j = i;
      while (j < seats.length && seats[j]! >= k) j++;
      out.push(agentSpec(`${tag}-${k}-${i}`, tag, 'front', i * intervalMin, j * intervalMin));
      i = j;
    }
  }
  return out;
}

function agentSpec(
  id: string,
  group: string,
  pool: 'front' | 'back',
  startMin: number,
  endMin: number,
): AgentSpec {
  return {
    id,
    group,
    pool,
    skills: pool === 'front' ? { general: 3 } : { workorder: 3 },
    frontSkills: { general: 3 },
    shift: `${formatHhmm(startMin)}-${formatHhmm(endMin)}`,
    startMin,
    endMin,
    breaks: [],
  };
}

/** The backtest's choice; with too little history to score, the richest model the history allows. */
function chooseModel(hist: IntervalSeries): ForecastModel | undefined {
  try {
    return modelByName(backtest(hist, STANDARD_MODELS).chosen);
  } catch {
    return [...STANDARD_MODELS].reverse().find((m) => m.minHistoryDays <= dayCount(hist));
  }
}

/** The bar a day is held to (issue 15): the day's answer rate, share answered within 15 s, care callers' mean wait. */
export interface DayBar {
  answerRate: number;
  within15: number;
  careAvgWaitS: number;
}

export const DAY_BAR: DayBar = { answerRate: 0.99, within15: 0.8, careAvgWaitS: 10 };

export function meetsBar(
  v: Pick<VariantFigures, 'answerRate' | 'within15' | 'careAvgWaitS'>,
  bar = DAY_BAR,
): boolean {
  // A day without care callers has no care wait (NaN): nothing to miss.
  return v.answerRate >= bar.answerRate && v.within15 >= bar.within15 && !(v.careAvgWaitS > bar.careAvgWaitS);
}

/** What one interval of a simulated day lost against the bar: calls not answered, calls answered late. */
export interface IntervalLoss {
  /** Abandoned (short abandons left out) or never answered. */
  lost: number;
  /** Counted in the service level but not answered within the threshold. */
  late: number;
}

/**
 * Where one more seat helps the day most: the interval whose losses weigh most against the day's remaining
 * shortfalls (calls to answer to reach the answer rate, calls to answer in time to reach the 15 s share; care
 * callers wait where calls are late). `allowed(i)` says whether interval i may take another seat. -1: none.
 */
export function worstInterval(
  losses: readonly IntervalLoss[],
  shortfall: { answered: number; inSl: number; careWait: boolean },
  allowed: (i: number) => boolean = () => true,
): number {
  let best = -1;
  let bestScore = 0;
  losses.forEach((l, i) => {
    if (!allowed(i)) return;
    let score = 0;
    if (shortfall.answered > 0) score += Math.min(l.lost, shortfall.answered) / shortfall.answered;
    if (shortfall.inSl > 0) score += Math.min(l.late, shortfall.inSl) / shortfall.inSl;
    if (shortfall.careWait) score += l.late / Math.max(1, shortfall.inSl);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  });
  return best;
}

/** The day's shortfalls against the bar in a simulated day (calls to answer, calls to answer in time). */
function shortfallOf(r: SimResult, bar: DayBar) {
  const o = r.overall;
  const base = o.offered - o.shortAbandoned;
  const slBase = o.answered + o.abandoned - o.shortAbandoned;
  return {
    answered: Math.max(0, Math.ceil(bar.answerRate * base - o.answered - 1e-9)),
    inSl: Math.max(0, Math.ceil(bar.within15 * slBase - o.serviceLevel * slBase - 1e-9)),
    careWait: r.careAvgWaitS > bar.careAvgWaitS,
  };
}

/** Interval losses of a simulated day, its interval table kept at the seat curve's interval. */
function lossesOf(r: SimResult): IntervalLoss[] {
  return r.intervals.map((row) => ({
    lost: row.offered - row.answered - row.shortAbandoned,
    late: row.answered - row.answeredInSl + row.abandoned - row.shortAbandoned,
  }));
}

/**
 * The hindsight optimum (d): per-interval seats for the day's actual calls, started from Erlang A sized for the
 * day's bar (`daySeats`: the fewest seat-intervals meeting the day's targets, at least one seat every interval),
 * then checked on the day's real callers (`run`: the simulator) and adjusted there: while the day misses the bar a
 * seat is added where the simulated day lost most (`worstInterval`). With `prune`, every interval then gives back
 * the seats the day still meets the bar without (the call-by-call floor: no single seat can go). A lower bound no
 * roster planned a day ahead can beat with shifts.
 */
export function optimumSeats(
  start: readonly number[],
  run: (seats: readonly number[]) => SimResult,
  bar: DayBar = DAY_BAR,
  o: { floor?: number; maxAdds?: number; prune?: boolean } = {},
): { seats: number[]; result: SimResult; met: boolean; sims: number } {
  const floor = o.floor ?? 1;
  const seats = start.map((x) => Math.max(floor, x));
  let result = run(seats);
  let sims = 1;
  const met = (r: SimResult) => meetsBar(figures(r), bar);
  for (let k = 0; k < (o.maxAdds ?? 400) && !met(result); k++) {
    const i = worstInterval(lossesOf(result), shortfallOf(result, bar));
    if (i < 0) break;
    seats[i]!++;
    result = run(seats);
    sims++;
  }
  if (!met(result) || !o.prune) return { seats, result, met: met(result), sims };
  // Give back what the day does not need, the intervals that lost least first.
  const order = lossesOf(result)
    .map((l, i) => ({ i, w: l.lost + l.late }))
    .sort((a, b) => a.w - b.w || a.i - b.i);
  for (const { i } of order) {
    while (seats[i]! > floor) {
      seats[i]!--;
      const r = run(seats);
      sims++;
      if (met(r)) result = r;
      else {
        seats[i]!++;
        break;
      }
    }
  }
  return { seats, result, met: true, sims };
}

function figures(r: SimResult): VariantFigures {
  return {
    answerRate: r.overall.answerRate,
    within15: r.overall.serviceLevel,
    careAvgWaitS: r.careAvgWaitS,
    frontSeatHours: r.frontSeatHours + r.movedSeatHours,
  };
}

/** The day's recorded callers as the simulator's call set (same callers for every roster). */
function callSet(day: readonly RecordedCall[], midnight: number, meanPatienceS: number): CallSet {
  const n = day.length;
  const set: CallSet = {
    arrival: new Float64Array(n),
    cls: new Uint8Array(n),
    skill: new Uint16Array(n),
    patienceMs: new Float64Array(n),
    callbackU: new Float64Array(n).fill(1),
    handleMs: new Float64Array(n),
    skills: ['general'],
  };
  const served = day.filter((c) => c.served);
  const care = PRIORITY_CLASSES.indexOf('care');
  const normal = PRIORITY_CLASSES.indexOf('normal');
  day.forEach((c, i) => {
    set.arrival[i] = c.queuedAt - midnight;
    set.cls[i] = c.care ? care : normal;
    // A caller who hung up showed their patience; a served one only that it was longer than their wait
    // (exponential patience is memoryless: the wait plus a fresh draw of the mean, taken deterministically).
    const u = ((i * 2654435761) % 1000) / 1000 + 0.0005;
    set.patienceMs[i] = (c.served ? c.waitS + -Math.log(u) * meanPatienceS : c.waitS) * 1000;
    // An abandoned caller's talk time was never seen: one of the day's served callers' stands in.
    const h = c.served ? c.handleS : (served[i % Math.max(1, served.length)]?.handleS ?? 185);
    set.handleMs[i] = Math.max(1000, h * 1000);
  });
  return set;
}

export function evaluateDay(
  series: IntervalSeries,
  calls: readonly RecordedCall[],
  date: string,
  shell: ScenarioShell,
  o: EvaluateOptions = {},
): EvaluatedDay {
  const midnight = parseDate(date);
  if (midnight === null) throw new EvaluateError(`bad date ${date}`);
  const s30 =
    series.intervalMin < 30 && 30 % series.intervalMin === 0
      ? aggregate(series, 30 / series.intervalMin)
      : series;
  const iv = s30.intervalMin;
  const day = dayIndexOf(s30, midnight);
  if (day < MIN_HISTORY_DAYS)
    throw new EvaluateError(
      `${date}: the history has ${Math.max(0, day)} days before it; ${MIN_HISTORY_DAYS} are needed`,
    );
  let hist = historyBefore(s30, Math.min(day, dayCount(s30)));
  if (day > HISTORY_DAYS) hist = sliceDays(hist, day - HISTORY_DAYS, day);
  const model = o.model ? modelByName(o.model) : chooseModel(hist);
  if (!model) throw new EvaluateError(`unknown model ${o.model}`);
  const fc = forecastNextDay(model, hist);
  // Handle time and patience as known before the day (from the records before it, else the calibrated defaults).
  // The history counts every call entering the phone system; a share of them reach a human's queue.
  const enteredBefore = calls.filter((c) => c.queuedAt < midnight);
  const before = enteredBefore.filter((c) => c.queued);
  const queueShare = enteredBefore.length >= 500 ? before.length / enteredBefore.length : 1;
  const servedBefore = before.filter((c) => c.served);
  // An agent is busy for the talk and then the queue's wrap-up (as the simulator keeps them).
  const wrapS = shell.queues.get('general')?.wrapupS ?? 0;
  const talkS =
    servedBefore.length >= 200 ? servedBefore.reduce((a, c) => a + c.handleS, 0) / servedBefore.length : 185;
  const ahtS = talkS + wrapS;
  const abandons = before.filter((c) => !c.served).length;
  const exposure = before.reduce((a, c) => a + c.waitS, 0);
  const patienceS = abandons >= 50 ? exposure / abandons : 366;
  const careShare = before.length ? before.filter((c) => c.care).length / before.length : 0.1;
  // Simulated agents take no breaks: rosters are sized without shrinkage, so every seat counted is on the phones.
  // Sized for the bar the evaluation holds each day to: 99 % answered, 80 % within 15 s, care callers 10 s.
  const targets = { ...DEFAULT_TARGETS, answerRate: 0.99, careAsaS: 10, careShare, shrinkage: 0 };
  const dayTargets = {
    ...targets,
    answerRate: DAY_BAR.answerRate,
    serviceLevel: DAY_BAR.within15,
    careAsaS: DAY_BAR.careAvgWaitS,
  };
  const q = o.quantile ?? 0.8;
  const toQueue = fc.mean.map((m) => m * queueShare);
  const sizing = o.sizing ?? 'day';
  const seatsFor = (calls: number[]) =>
    sizing === 'day'
      ? daySeats({ calls, intervalMin: iv, ahtS, patienceS }, dayTargets, { floor: 1 }).agents
      : seatsForCalls(calls, iv, { quantile: q, ahtS, patienceS, targets }).seats.map(atLeastOne);
  const need = seatsFor(forecastQuantile(toQueue, q, fc.errorVariance));

  // Tidal roster: staggered front-line shifts cover the need with its short peaks shaved off (the least need
  // within PEAK_HALF_WIDTH either side); backup seats cover the peaks when the plan moves them there.
  const front: TidalAgent[] = [];
  const frontSpecs: AgentSpec[] = [];
  const w = Math.round(PEAK_HALF_WIDTH_MIN / iv);
  const shaved = need.map((_, i) =>
    Math.min(...need.slice(Math.max(0, i - w), Math.min(need.length, i + w + 1))),
  );
  const covered = new Array<number>(need.length).fill(0);
  const shiftN = SHIFT_MIN / iv;
  for (let i = 0; i < need.length; i++) {
    while (covered[i]! < shaved[i]!) {
      // A shift that would run past midnight starts earlier instead, ending at 24:00.
      const start = Math.min(i, need.length - shiftN);
      for (let k = start; k < start + shiftN; k++) covered[k]!++;
      const id = `f${front.length}`;
      const [a, b] = [start * iv, start * iv + SHIFT_MIN];
      front.push({
        id,
        homePool: 'front',
        frontSkills: { general: 3 },
        backSkills: {},
        shift: `${formatHhmm(a)}-${formatHhmm(b)}`,
      });
      frontSpecs.push(agentSpec(id, 'front', 'front', a, b));
    }
  }
  let backupsNeeded = 0;
  for (let i = BACKUP_SHIFT[0] / iv; i < BACKUP_SHIFT[1] / iv; i++)
    backupsNeeded = Math.max(backupsNeeded, need[i]! - covered[i]!);
  const backSpecs: AgentSpec[] = [];
  const back: TidalAgent[] = [];
  for (let k = 0; k < backupsNeeded; k++) {
    const id = `b${k}`;
    back.push({
      id,
      homePool: 'back',
      frontSkills: { general: 3 },
      backSkills: { workorder: 3 },
      shift: `${formatHhmm(BACKUP_SHIFT[0])}-${formatHhmm(BACKUP_SHIFT[1])}`,
    });
    backSpecs.push(agentSpec(id, 'back', 'back', BACKUP_SHIFT[0], BACKUP_SHIFT[1]));
  }
  const plan = planTidal({
    date,
    dayStart: 0,
    intervalMin: iv,
    need,
    roster: [...front, ...back],
    options: { capSeats: back.length },
  });
  const moves: SimMove[] = plan.moves
    .filter((m) => !m.cancelled)
    .map((m) => ({ agentId: m.agentId, fromMs: m.effectiveAt, toMs: m.returnAt }));

  const dayCalls = calls.filter((c) => c.queued && c.queuedAt >= midnight && c.queuedAt < midnight + DAY_MS);
  const set = callSet(dayCalls, midnight, patienceS);
  const actual = new Array<number>(need.length).fill(0);
  for (const c of dayCalls)
    actual[Math.min(need.length - 1, Math.floor((c.queuedAt - midnight) / (iv * MINUTE_MS)))]!++;

  // Intraday: from REPLAN_FROM_MIN, every `replanEveryMin`, the rest of the day is re-forecast from the calls so
  // far and the moves re-planned from then on (after the notice), within the same cap (`replan.ts`).
  const every = o.replanEveryMin ?? REPLAN_EVERY_MIN;
  const replanAt: number[] = [];
  const first = o.replanFromMin ?? REPLAN_FROM_MIN;
  for (let t = first; t <= Math.max(first, REPLAN_UNTIL_MIN); t += every > 0 ? every : Infinity)
    replanAt.push(t);
  const replanned = replanDuringDay({
    date,
    intervalMin: iv,
    forecast: { ...fc, mean: toQueue },
    need,
    moves,
    actual,
    at: replanAt,
    seatsFor: (calls) => seatsFor(forecastQuantile(calls, q, fc.errorVariance)),
    roster: [...front, ...back],
    options: { capSeats: back.length },
  });
  const intradayMoves: SimMove[] = replanned.moves;
  const seed = o.seed ?? 1;
  const shortAbandonS = o.shortAbandonS ?? SHORT_ABANDON_S;
  const run = (agents: AgentSpec[], extra: { moves?: SimMove[] } = {}) =>
    simulate(
      { ...shell, date, agents, tidal: { ...shell.tidal, enabled: false } },
      { seed, shortAbandonS, intervalStatsMin: iv, ...extra },
      set,
    );

  const tidal = run([...frontSpecs, ...backSpecs], { moves });
  const intraday = run([...frontSpecs, ...backSpecs], { moves: intradayMoves });
  const tidalFront = tidal.frontSeatHours + tidal.movedSeatHours;
  // Fixed: the same front-line seat-hours, flat over the hours the forecast needs anyone.
  const open = need.map((x, i) => (x > 0 ? i : -1)).filter((i) => i >= 0);
  const from = open.length ? open[0]! : 0;
  const to = open.length ? open[open.length - 1]! + 1 : need.length;
  const perSlot = (tidalFront * 60) / ((to - from) * iv);
  const fixedSeats = need.map((_, i) => (i >= from && i < to ? perSlot : 0));
  // Whole seats, the remainder spread from the middle of the day outwards.
  const whole = fixedSeats.map(Math.floor);
  let rest = Math.round(fixedSeats.reduce((a, b) => a + b, 0) - whole.reduce((a, b) => a + b, 0));
  for (let k = 0; rest > 0 && k < to - from; k++, rest--)
    whole[from + ((Math.floor((to - from) / 2) + k) % (to - from))]!++;
  const fixed = run(seatAgents(whole, iv, 'fixed'));
  // Three shifts sized to their forecast peaks.
  const shiftSeats = need.map((_, i) => {
    const [a, b] = SHIFTS.find(([x, y]) => i * iv >= x && i * iv < y)!;
    return Math.max(...need.slice(a / iv, b / iv));
  });
  const shifts = run(seatAgents(shiftSeats, iv, 'shift'));
  // Hindsight: Erlang-A seats for the calls that came, sized for the day's bar, checked and adjusted in the
  // simulator on the day's callers.
  const erlang = daySeats({ calls: actual, intervalMin: iv, ahtS, patienceS }, dayTargets, { floor: 1 });
  const best = optimumSeats(erlang.agents, (seats) => run(seatAgents([...seats], iv, 'optimum')), DAY_BAR, {
    prune: o.prune ?? false,
  });
  const optimum = best.result;
  const hours = (seats: readonly number[]) => (seats.reduce((a, b) => a + b, 0) * iv) / 60;
  const backupHours = (back.length * (BACKUP_SHIFT[1] - BACKUP_SHIFT[0])) / 60;
  return {
    date: formatDate(midnight),
    calls: dayCalls.length,
    model: model.name,
    tidal: figures(tidal),
    fixed: figures(fixed),
    shifts: figures(shifts),
    optimum: figures(optimum),
    optimumMet: best.met,
    intraday: figures(intraday),
    intradayFactor: [...replanned.steps].reverse().find((st) => st.atMin <= MORNING_END_MIN)?.factor ?? 1,
    replans: replanned.steps,
    backupKeptHours: Math.round((backupHours - tidal.movedSeatHours) * 10) / 10,
    sizedSeatHours: {
      quantile: hours(need),
      mean: hours(seatsFor(toQueue)),
      actual: hours(erlang.agents),
    },
    moves: moves.length,
    limits: plan.limits ?? [],
  };
}
