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
import { STANDARD_MODELS, modelByName } from '../forecast/models/index.ts';
import type { ForecastModel } from '../forecast/model.ts';
import { DAY_MS, formatDate, parseDate, parseLocalTime } from '../history/local-time.ts';
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
import type { PlanLimit, TidalAgent } from './types.ts';

const MIN = 60_000;
/** Days of history each day's forecast looks at. */
const HISTORY_DAYS = 56;
/** ... and at least this many (two weeks: each weekday twice). */
const MIN_HISTORY_DAYS = 14;
const SHIFTS: Array<[number, number]> = [
  [0, 480],
  [480, 960],
  [960, 1440],
];
/** Backup seats work the back office in day hours. */
const BACKUP_SHIFT: [number, number] = [420, 1260];

export class EvaluateError extends Error {}

/** One caller of the per-call records (calls that reached the queue). */
export interface RecordedCall {
  /** Local time the caller joined the queue. */
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
  const [cPri, cQs, cQe, cOut, cSs, cSe] = [
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
    if (qs === null || qe === null) continue; // never queued: served by the IVR alone
    const ss = f[cSs] ? parseLocalTime(f[cSs]!) : null;
    const se = f[cSe] ? parseLocalTime(f[cSe]!) : null;
    const served = outcome === 'AGENT' && ss !== null && se !== null;
    out.push({
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

function hhmm(m: number): string {
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

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
    shift: `${hhmm(startMin)}-${hhmm(endMin)}`,
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
  const before = calls.filter((c) => c.queuedAt < midnight);
  const servedBefore = before.filter((c) => c.served);
  const ahtS =
    servedBefore.length >= 200 ? servedBefore.reduce((a, c) => a + c.handleS, 0) / servedBefore.length : 185;
  const abandons = before.filter((c) => !c.served).length;
  const exposure = before.reduce((a, c) => a + c.waitS, 0);
  const patienceS = abandons >= 50 ? exposure / abandons : 366;
  const careShare = before.length ? before.filter((c) => c.care).length / before.length : 0.1;
  const targets = { ...DEFAULT_TARGETS, careShare };
  const q = o.quantile ?? 0.8;
  const need = seatsForCalls(forecastQuantile(fc.mean, q, fc.errorVariance), iv, {
    quantile: q,
    ahtS,
    patienceS,
    targets,
  }).seats;

  // Tidal roster: each shift's front line at its median need; backups cover the rest when the plan moves them.
  const front: TidalAgent[] = [];
  const frontSpecs: AgentSpec[] = [];
  let backupsNeeded = 0;
  for (const [from, to] of SHIFTS) {
    const slice = need
      .slice(from / iv, to / iv)
      .slice()
      .sort((a, b) => a - b);
    const level = slice[Math.floor(slice.length / 2)] ?? 0;
    const peak = slice[slice.length - 1] ?? 0;
    if (from >= BACKUP_SHIFT[0] && to <= BACKUP_SHIFT[1] + 480)
      backupsNeeded = Math.max(backupsNeeded, peak - level);
    for (let k = 0; k < level; k++) {
      const id = `f${from}-${k}`;
      front.push({
        id,
        homePool: 'front',
        frontSkills: { general: 3 },
        backSkills: {},
        shift: `${hhmm(from)}-${hhmm(to)}`,
      });
      frontSpecs.push(agentSpec(id, 'front', 'front', from, to));
    }
  }
  const backSpecs: AgentSpec[] = [];
  const back: TidalAgent[] = [];
  for (let k = 0; k < backupsNeeded; k++) {
    const id = `b${k}`;
    back.push({
      id,
      homePool: 'back',
      frontSkills: { general: 3 },
      backSkills: { workorder: 3 },
      shift: `${hhmm(BACKUP_SHIFT[0])}-${hhmm(BACKUP_SHIFT[1])}`,
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

  const dayCalls = calls.filter((c) => c.queuedAt >= midnight && c.queuedAt < midnight + DAY_MS);
  const set = callSet(dayCalls, midnight, patienceS);
  const seed = o.seed ?? 1;
  const run = (agents: AgentSpec[], extra: { moves?: SimMove[] } = {}) =>
    simulate({ ...shell, date, agents, tidal: { ...shell.tidal, enabled: false } }, { seed, ...extra }, set);

  const tidal = run([...frontSpecs, ...backSpecs], { moves });
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
  const actual = new Array<number>(need.length).fill(0);
  for (const c of dayCalls)
    actual[Math.min(need.length - 1, Math.floor((c.queuedAt - midnight) / (iv * MIN)))]!++;
  const best = seatsForCalls(actual, iv, { quantile: 0.5, ahtS, patienceS, targets }).seats;
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
    backupKeptHours: Math.round((backupHours - tidal.movedSeatHours) * 10) / 10,
    moves: moves.length,
    limits: plan.limits ?? [],
  };
}
