// "Would tidal seats have paid off on days the planner never saw?" Each day of a range is replayed as it would
// have been run: the forecast and the plan are made from the history before that day only, then that day's real
// callers (arrival, handle time, patience, priority, from per-call records) go through the live ACD policy in the
// simulator under four rosters:
//   tidal     a front line sized to each shift's quieter level, plus backup seats moved by the tidal plan;
//   fixed     the same front-line seat-hours as tidal, as a roster without moves (flat over the working hours);
//   shifts    three 8-hour shifts, each sized to its forecast peak;
//   optimum   the per-interval Erlang-A seats for the day's actual volume (hindsight; a lower bound to aim at).
// The value of tidal seats is the seat-hours they keep off the front line at the same service.
import { PRIORITY_CLASSES } from '../acd/types.ts';
import { backtest } from '../forecast/backtest.ts';
import { forecastNextDay } from '../forecast/forecast-day.ts';
import { reforecastIntraday } from '../forecast/intraday.ts';
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
import { type CallSet, simulate, type SimMove, type SimResult } from '../simulator/engine.ts';
import type { AgentSpec, ResolvedScenario } from '../simulator/scenario.ts';
import { DEFAULT_TARGETS } from '../staffing/targets.ts';
import { forecastQuantile, seatsForCalls } from './need.ts';
import { planTidal } from './planner.ts';
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
/** When the intraday variant re-forecasts and re-plans (minutes after midnight). */
const REPLAN_MIN = 660;
/** Backup seats work the back office in day hours. */
const BACKUP_SHIFT: [number, number] = [420, 1260];

export class EvaluateError extends Error {}

/** One caller of the per-call records. */
export interface RecordedCall {
  /** Reached the queue for a human (the rest were served by the IVR alone, or hung up in it). */
  queued: boolean;
  /** Local time the caller joined the queue (entered the IVR, for one who never queued). */
  queuedAt: number;
  care: boolean;
  served: boolean;
  waitS: number;
  handleS: number;
}

/** Parses per-call records (call_id, customer_priority, ..., queue_start, queue_exit, outcome, service_start, service_end). */
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
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.split(',');
    if (f.length < head.length) continue;
    const outcome = f[cOut];
    if (outcome === 'PHANTOM') continue;
    const qs = f[cQs] ? parseLocalTime(f[cQs]!) : null;
    const qe = f[cQe] ? parseLocalTime(f[cQe]!) : null;
    if (qs === null || qe === null) {
      const entered = f[cEntry] ? parseLocalTime(f[cEntry]!) : null;
      if (entered !== null)
        out.push({ queued: false, queuedAt: entered, care: false, served: false, waitS: 0, handleS: 0 });
      continue;
    }
    const ss = f[cSs] ? parseLocalTime(f[cSs]!) : null;
    const se = f[cSe] ? parseLocalTime(f[cSe]!) : null;
    const served = outcome === 'AGENT' && ss !== null && se !== null;
    out.push({
      queued: true,
      queuedAt: qs,
      care: f[cPri] === '2',
      served,
      waitS: Math.max(0, (qe - qs) / 1000),
      handleS: served ? Math.max(1, (se! - ss!) / 1000) : 0,
    });
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
  /** Backup seat-hours the tidal plan left in the back office. */
  /** The tidal roster with the plan re-made at 11:00 from the morning's calls. */
  intraday: VariantFigures;
  /** How the morning ran against the forecast (the re-forecast's factor for the rest of the day). */
  intradayFactor: number;
  backupKeptHours: number;
  moves: number;
  limits: PlanLimit[];
}

export interface EvaluateOptions {
  quantile?: number;
  /** A forecast model by name; by default each day's backtest chooses. */
  model?: string;
  seed?: number;
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

/** One agent's back-to-back moves as one (a move cut at the re-plan and its continuation). */
function mergeMoves(moves: SimMove[]): SimMove[] {
  const out: SimMove[] = [];
  for (const m of [...moves].sort((a, b) => a.agentId.localeCompare(b.agentId) || a.fromMs - b.fromMs)) {
    const last = out[out.length - 1];
    if (last && last.agentId === m.agentId && m.fromMs <= last.toMs) last.toMs = Math.max(last.toMs, m.toMs);
    else if (m.toMs > m.fromMs) out.push({ ...m });
  }
  return out;
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
  const ahtS =
    servedBefore.length >= 200 ? servedBefore.reduce((a, c) => a + c.handleS, 0) / servedBefore.length : 185;
  const abandons = before.filter((c) => !c.served).length;
  const exposure = before.reduce((a, c) => a + c.waitS, 0);
  const patienceS = abandons >= 50 ? exposure / abandons : 366;
  const careShare = before.length ? before.filter((c) => c.care).length / before.length : 0.1;
  // Simulated agents take no breaks: rosters are sized without shrinkage, so every seat counted is on the phones.
  // Sized for the bar the evaluation holds each day to: 99 % answered, 80 % within 15 s, care callers 10 s.
  const targets = { ...DEFAULT_TARGETS, answerRate: 0.99, careAsaS: 10, careShare, shrinkage: 0 };
  const q = o.quantile ?? 0.8;
  const toQueue = fc.mean.map((m) => m * queueShare);
  const need = seatsForCalls(forecastQuantile(toQueue, q, fc.errorVariance), iv, {
    quantile: q,
    ahtS,
    patienceS,
    targets,
  }).seats.map(atLeastOne);

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

  // Intraday: at REPLAN_MIN the rest of the day is re-forecast from the calls so far and re-planned (moves from
  // then on, after the notice); the day-ahead plan's moves stand until the new ones may take effect.
  const elapsed = REPLAN_MIN / iv;
  const re = reforecastIntraday(
    { ...fc, start: 0, mean: toQueue },
    actual.map((a, i) => (i < elapsed ? a : NaN)),
    REPLAN_MIN * MINUTE_MS,
  );
  const needLater = seatsForCalls(forecastQuantile(re.mean, q, fc.errorVariance), iv, {
    quantile: q,
    ahtS,
    patienceS,
    targets,
  }).seats.map(atLeastOne);
  const replan = planTidal({
    date,
    dayStart: 0,
    intervalMin: iv,
    need: need.map((x, i) => (i < elapsed ? x : needLater[i]!)),
    roster: [...front, ...back],
    options: { capSeats: back.length },
    now: REPLAN_MIN * MINUTE_MS,
  });
  const switchAt = Math.min(...replan.moves.map((m) => m.effectiveAt), Infinity);
  const intradayMoves = mergeMoves([
    ...moves.filter((m) => m.fromMs < switchAt).map((m) => ({ ...m, toMs: Math.min(m.toMs, switchAt) })),
    ...replan.moves
      .filter((m) => !m.cancelled)
      .map((m) => ({ agentId: m.agentId, fromMs: m.effectiveAt, toMs: m.returnAt })),
  ]);
  const seed = o.seed ?? 1;
  const run = (agents: AgentSpec[], extra: { moves?: SimMove[] } = {}) =>
    simulate({ ...shell, date, agents, tidal: { ...shell.tidal, enabled: false } }, { seed, ...extra }, set);

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
  // Hindsight: Erlang-A seats for the calls that came, interval by interval.
  const best = seatsForCalls(actual, iv, { quantile: 0.5, ahtS, patienceS, targets }).seats.map(atLeastOne);
  const optimum = run(seatAgents(best, iv, 'optimum'));
  const backupHours = (back.length * (BACKUP_SHIFT[1] - BACKUP_SHIFT[0])) / 60;
  return {
    date: formatDate(midnight),
    calls: dayCalls.length,
    model: model.name,
    tidal: figures(tidal),
    fixed: figures(fixed),
    shifts: figures(shifts),
    optimum: figures(optimum),
    intraday: figures(intraday),
    intradayFactor: Math.round(re.factor * 100) / 100,
    backupKeptHours: Math.round((backupHours - tidal.movedSeatHours) * 10) / 10,
    moves: moves.length,
    limits: plan.limits ?? [],
  };
}
