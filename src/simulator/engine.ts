// A discrete-event simulation of one day on a virtual clock, deciding with the live router's own ACD
// code: every decision round calls `overdue` and `assign` from src/acd/policy.ts (which ranks the
// waiting calls with `rank`) on the same plain data the dispatcher reads from Redis — the first calls
// of each skill's class queues and the ready agents; callers hear their place in line as the call
// flow computes it (`rank`, `expectedWaitS`) and may take a callback offer (virtual hold). Callers arrive as a non-homogeneous Poisson
// process from the forecast, hang up after their patience, talk for their handle time; agents work
// shifts, take breaks, wrap up after each call, and move between pools with the tidal plan.
//
// Times inside are milliseconds since the day's local midnight, so the policy's ms arithmetic
// (overflow after N s, ageing per second) applies unchanged.
import { assign, expectedWaitS, overdue, rank } from '../acd/policy.ts';
import type { AgentState, AgentView, PriorityClass, QueueConfig, WaitingCall } from '../acd/types.ts';
import { PRIORITY_CLASSES } from '../acd/types.ts';
import { type Dist, sampler } from './distributions.ts';
import { EventHeap } from './heap.ts';
import { Rng } from './rng.ts';
import type { AgentSpec, ResolvedScenario } from './scenario.ts';

const MIN = 60_000;
/** The dispatcher reads the first 50 calls of each class queue of each skill (AcdStore.waiting). */
const QUEUE_READ_LIMIT = 50;
/** Abandons quicker than this are "short" and left out of the rates, as in the live interval stats. */
export const SHORT_ABANDON_S = 5;
const NO_TRIES: string[] = [];

export interface SimMove {
  agentId: string;
  /** ms since midnight. */
  fromMs: number;
  toMs: number;
}

export interface SimOptions {
  seed?: number;
  /** Tidal moves to carry out (default none). */
  moves?: readonly SimMove[];
  /** Agents added to the scenario's (e.g. the flat roster with the same seat-hours). */
  extraAgents?: readonly AgentSpec[];
  /** Minutes per row of the interval table (default 60). */
  intervalStatsMin?: number;
  /** Abandons quicker than this (s) are left out of the rates (default SHORT_ABANDON_S; 0 counts them all). */
  shortAbandonS?: number;
}

export interface ClassStats {
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  /** Left the queue at its maximum wait (callback or message fallback). */
  fallback: number;
  /** Still waiting when the day's agents had all gone. */
  unanswered: number;
  /** Of the answered, callers who took the callback offer (virtual hold) and were called back. */
  callbacks: number;
  /** 接通率: answered / (offered − short abandons). */
  answerRate: number;
  /** Answered within the threshold / (answered + abandoned − short abandons). */
  serviceLevel: number;
  /** Abandoned / offered. */
  abandonRate: number;
  /** Mean wait of callers who waited for an answer or gave up (as the live care-wait figure), s. */
  avgWaitS: number;
  /** 95th percentile of those waits, s. */
  p95WaitS: number;
  /** Mean wait of answered callers, s. */
  asaS: number;
}

export interface IntervalRow {
  start: string;
  offered: number;
  answered: number;
  abandoned: number;
  /** Of the abandoned, short abandons (left out of the rates). */
  shortAbandoned: number;
  /** Answered within the service-level threshold. */
  answeredInSl: number;
  serviceLevel: number | null;
  avgWaitS: number | null;
  /** Front-line agents on the phones (ready, ringing, talking or wrapping up) at the interval's start. */
  onPhones: number;
  /** Of them, backup seats on a tidal move. */
  moved: number;
}

export interface SimResult {
  name: string;
  seed: number;
  calls: number;
  overall: ClassStats;
  byClass: Record<PriorityClass, ClassStats>;
  /** Care callers' mean wait (answered or abandoned), s. */
  careAvgWaitS: number;
  /** Share of front-line staffed time spent ringing, talking or wrapping up. */
  occupancy: number;
  /** Paid hours of front-line seats (home front-line agents' shifts). */
  frontSeatHours: number;
  /** Hours of backup seats on tidal moves. */
  movedSeatHours: number;
  intervals: IntervalRow[];
  events: number;
  /** Decision rounds (calls of the ACD policy). */
  rounds: number;
  elapsedMs: number;
}

const WAITING = 0;
const RINGING = 1;
const TALKING = 2;
const DONE = 3;

const O_NONE = 0;
const O_ANSWERED = 1;
const O_ABANDONED = 2;
const O_FALLBACK = 3;

interface Queue {
  items: SimCall[];
  head: number;
}

interface SimCall extends WaitingCall {
  idx: number;
  cls: number;
  firstQueuedAt: number;
  state: number;
  queue: Queue | null;
  agent: SimAgent | null;
  /** Was offered a callback (once per call, as the call flow does). */
  offeredCallback: boolean;
  /** Took it: keeps its place and no longer hangs up. */
  callback: boolean;
}

interface SimAgent extends AgentView {
  spec: AgentSpec;
  pool: 'front' | 'back';
  onShift: boolean;
  onBreak: boolean;
  pendingBreakMs: number;
  moved: boolean;
  call: SimCall | null;
  readyIdx: number;
  since: number;
  staffedMs: number;
  busyMs: number;
}

type Ev =
  | { t: number; seq: number; k: 'abandon'; c: SimCall }
  | { t: number; seq: number; k: 'answer'; c: SimCall }
  | { t: number; seq: number; k: 'end'; c: SimCall }
  | { t: number; seq: number; k: 'wrapup'; a: SimAgent }
  | { t: number; seq: number; k: 'shift'; a: SimAgent; on: boolean }
  | { t: number; seq: number; k: 'break'; a: SimAgent; ms: number }
  | { t: number; seq: number; k: 'breakEnd'; a: SimAgent }
  | { t: number; seq: number; k: 'move'; a: SimAgent; toFront: boolean }
  | { t: number; seq: number; k: 'timer'; c: SimCall }
  | { t: number; seq: number; k: 'announce'; c: SimCall }
  | { t: number; seq: number; k: 'sample'; i: number };

/** The day's callers, drawn once so that every variant of a day sees the very same callers. */
export interface CallSet {
  arrival: Float64Array;
  cls: Uint8Array;
  skill: Uint16Array;
  patienceMs: Float64Array;
  /** Uniform draw deciding whether the caller takes a callback offer. */
  callbackU: Float64Array;
  handleMs: Float64Array;
  skills: string[];
}

export function generateCalls(sc: ResolvedScenario, seed = sc.seed): CallSet {
  const rArr = new Rng(seed, 1);
  const rMix = new Rng(seed, 2);
  const rPat = new Rng(seed, 3);
  const rHandle = new Rng(seed, 4);
  const rCallback = new Rng(seed, 5);
  const step = sc.intervalMin * MIN;
  const times: number[] = [];
  sc.calls.forEach((mean, i) => {
    const n = rArr.poisson(mean);
    const from = i * step;
    const batch: number[] = [];
    for (let k = 0; k < n; k++) batch.push(from + rArr.next() * step);
    batch.sort((a, b) => a - b);
    for (const t of batch) times.push(t);
  });
  const n = times.length;
  const classCum = cumulative(PRIORITY_CLASSES.map((c) => sc.classShares[c]));
  const skills = Object.keys(sc.skillShares);
  const skillCum = cumulative(skills.map((s) => sc.skillShares[s]!));
  const patience = PRIORITY_CLASSES.map((c) => sampler(sc.patience[c]));
  const handleBySkill = skills.map((s) => sampler((sc.handleTimeBySkill[s] ?? sc.handleTime) as Dist));
  const set: CallSet = {
    arrival: Float64Array.from(times),
    cls: new Uint8Array(n),
    skill: new Uint16Array(n),
    patienceMs: new Float64Array(n),
    callbackU: new Float64Array(n),
    handleMs: new Float64Array(n),
    skills,
  };
  for (let i = 0; i < n; i++) {
    const c = rMix.pick(classCum);
    const s = rMix.pick(skillCum);
    set.cls[i] = c;
    set.skill[i] = s;
    set.patienceMs[i] = patience[c]!(rPat) * 1000;
    set.handleMs[i] = Math.max(1000, handleBySkill[s]!(rHandle) * 1000);
    set.callbackU[i] = rCallback.next();
  }
  return set;
}

function cumulative(xs: readonly number[]): Float64Array {
  const out = new Float64Array(xs.length);
  let s = 0;
  xs.forEach((x, i) => (out[i] = s += Math.max(0, x)));
  return out;
}

export function simulate(sc: ResolvedScenario, opts: SimOptions = {}, callSet?: CallSet): SimResult {
  const started = performance.now();
  const seed = opts.seed ?? sc.seed;
  const calls = callSet ?? generateCalls(sc, seed);
  const queues = sc.queues;
  const settings = sc.settings;
  const heap = new EventHeap<Ev>();
  const statsStep = (opts.intervalStatsMin ?? 60) * MIN;

  // ---- queues ----
  const byClass = new Map<PriorityClass, number>(PRIORITY_CLASSES.map((c, i) => [c, i]));
  const skillQueues = new Map<string, Queue[]>();
  const queueOf = (skill: string, cls: number): Queue => {
    let qs = skillQueues.get(skill);
    if (!qs) {
      qs = PRIORITY_CLASSES.map(() => ({ items: [], head: 0 }));
      skillQueues.set(skill, qs);
    }
    return qs[cls]!;
  };
  for (const s of queues.keys()) queueOf(s, 0);
  let waiting = 0;

  // ---- agents ----
  const agents: SimAgent[] = [...sc.agents, ...(opts.extraAgents ?? [])].map((spec) => ({
    id: spec.id,
    name: spec.id,
    extension: '',
    skills: spec.skills,
    state: 'logged_out' as AgentState,
    idleSince: 0,
    callsToday: 0,
    spec,
    pool: spec.pool,
    onShift: false,
    onBreak: false,
    pendingBreakMs: 0,
    moved: false,
    call: null,
    readyIdx: -1,
    since: 0,
    staffedMs: 0,
    busyMs: 0,
  }));
  const agentById = new Map(agents.map((a) => [a.id, a]));
  const ready: SimAgent[] = [];
  let frontSeatMs = 0;
  for (const a of agents) {
    heap.push({ t: a.spec.startMin * MIN, k: 'shift', a, on: true });
    heap.push({ t: a.spec.endMin * MIN, k: 'shift', a, on: false });
    for (const b of a.spec.breaks)
      if (b.min > 0 && b.atMin >= a.spec.startMin && b.atMin < a.spec.endMin)
        heap.push({ t: b.atMin * MIN, k: 'break', a, ms: b.min * MIN });
    if (a.spec.pool === 'front') frontSeatMs += (a.spec.endMin - a.spec.startMin) * MIN;
  }
  let movedMs = 0;
  for (const m of opts.moves ?? []) {
    const a = agentById.get(m.agentId);
    if (!a) throw new Error(`tidal move for unknown agent ${m.agentId}`);
    if (a.spec.pool !== 'back') throw new Error(`agent ${m.agentId} is not a backup seat`);
    heap.push({ t: m.fromMs, k: 'move', a, toFront: true });
    heap.push({ t: m.toMs, k: 'move', a, toFront: false });
    movedMs += m.toMs - m.fromMs;
  }
  const dayEnd = Math.max(sc.calls.length * sc.intervalMin * MIN, ...agents.map((a) => a.spec.endMin * MIN));
  const nRows = Math.ceil(dayEnd / statsStep);
  for (let i = 0; i < nRows; i++) heap.push({ t: i * statsStep, k: 'sample', i });

  // ---- per-call results ----
  const n = calls.arrival.length;
  const outcome = new Uint8Array(n);
  const calledBack = new Uint8Array(n);
  const announceMs = settings.announceEveryS * 1000;
  const virtualHold = sc.callbackAcceptShare > 0 && announceMs > 0;
  const ahtS = sc.announceAhtS;
  const waitMs = new Float64Array(n);
  const rowOnPhones = new Array<number>(nRows).fill(0);
  const rowMoved = new Array<number>(nRows).fill(0);

  const account = (a: SimAgent, now: number) => {
    const dt = now - a.since;
    a.since = now;
    if (dt <= 0) return;
    const st = a.state;
    if (st === 'reserved' || st === 'ringing' || st === 'talking' || st === 'wrapup') {
      a.staffedMs += dt;
      a.busyMs += dt;
    } else if (st === 'ready') a.staffedMs += dt;
  };
  const setState = (a: SimAgent, st: AgentState, now: number, reason?: string) => {
    account(a, now);
    if (a.state === 'ready' && st !== 'ready') {
      const i = a.readyIdx;
      const last = ready.pop()!;
      if (last !== a) {
        ready[i] = last;
        last.readyIdx = i;
      }
      a.readyIdx = -1;
    }
    if (st === 'ready' && a.state !== 'ready') {
      a.readyIdx = ready.length;
      ready.push(a);
      a.idleSince = now;
    }
    a.state = st;
    a.reason = reason;
  };
  /** An agent with nothing to do takes what comes next: home, a break owed, the back office, or calls. */
  const settle = (a: SimAgent, now: number) => {
    if (!a.onShift) return setState(a, 'logged_out', now);
    if (a.pendingBreakMs > 0 && !a.onBreak) {
      a.onBreak = true;
      heap.push({ t: now + a.pendingBreakMs, k: 'breakEnd', a });
      a.pendingBreakMs = 0;
    }
    if (a.onBreak) return setState(a, 'not_ready', now, 'break');
    if (a.pool === 'back') return setState(a, 'not_ready', now, 'back-office');
    if (a.state !== 'ready') {
      setState(a, 'ready', now);
      if (waiting > 0) round(now);
    }
  };
  const free = (a: SimAgent) => a.call === null && a.state !== 'wrapup';

  // ---- calls ----
  const enqueue = (c: SimCall, skill: string, now: number) => {
    const q = queueOf(skill, c.cls);
    c.skill = skill;
    c.queuedAt = now;
    c.queue = q;
    q.items.push(c);
    const conf = queues.get(skill);
    if (conf) {
      if (conf.overflowAfterS > 0 && conf.overflowTo !== skill)
        heap.push({ t: now + conf.overflowAfterS * 1000, k: 'timer', c });
      if (conf.maxWaitS > 0) heap.push({ t: now + conf.maxWaitS * 1000, k: 'timer', c });
    }
    if (virtualHold && !c.offeredCallback) heap.push({ t: now + announceMs, k: 'announce', c });
  };
  /**
   * The queue announcement, as the call flow makes it: the caller's place among the waiting calls of
   * its skill (ranked by the policy), the expected wait, and once it is long, the callback offer.
   */
  const announce = (c: SimCall, now: number) => {
    if (c.state !== WAITING || c.offeredCallback || !c.queue) return;
    const qs = skillQueues.get(c.skill)!;
    const list: SimCall[] = [];
    for (const q of qs) {
      let taken = 0;
      for (let i = q.head; i < q.items.length && taken < QUEUE_READ_LIMIT; i++) {
        const x = q.items[i]!;
        if (x.queue !== q) continue;
        list.push(x);
        taken++;
      }
    }
    const ranked = rank(list, now, settings);
    const idx = ranked.indexOf(c);
    const ahead = idx < 0 ? ranked.length : idx;
    let staffed = 0;
    for (const a of agents)
      if (c.skill in a.skills && a.state !== 'logged_out' && a.state !== 'not_ready') staffed++;
    if (expectedWaitS(ahead + 1, staffed, ahtS) >= settings.callbackOfferAboveS) {
      c.offeredCallback = true;
      if (calls.callbackU[c.idx]! < sc.callbackAcceptShare) c.callback = true;
    } else heap.push({ t: now + announceMs, k: 'announce', c });
  };
  const leaveQueue = (c: SimCall) => {
    c.queue = null;
    waiting--;
  };
  const finish = (c: SimCall, o: number, now: number) => {
    c.state = DONE;
    outcome[c.idx] = o;
    waitMs[c.idx] = now - c.firstQueuedAt;
  };

  /** The waiting calls the dispatcher would read: the first `limit` of each class queue of each skill. */
  const collect = (limit: number): SimCall[] => {
    const out: SimCall[] = [];
    for (const qs of skillQueues.values()) {
      for (const q of qs) {
        const items = q.items;
        while (q.head < items.length && items[q.head]!.queue !== q) q.head++;
        if (q.head > 1024 && q.head * 2 > items.length) {
          items.splice(0, q.head);
          q.head = 0;
        }
        let taken = 0;
        for (let i = q.head; i < items.length && taken < limit; i++) {
          const c = items[i]!;
          if (c.queue !== q) continue;
          out.push(c);
          taken++;
        }
      }
    }
    return out;
  };

  const offer = (c: SimCall, a: SimAgent, now: number) => {
    leaveQueue(c);
    c.agent = a;
    a.call = c;
    a.callsToday++;
    if (sc.offerDelayS > 0) {
      c.state = RINGING;
      setState(a, 'ringing', now);
      heap.push({ t: now + sc.offerDelayS * 1000, k: 'answer', c });
    } else answer(c, now);
  };
  const answer = (c: SimCall, now: number) => {
    const a = c.agent!;
    c.state = TALKING;
    outcome[c.idx] = O_ANSWERED;
    if (c.callback) calledBack[c.idx] = 1;
    waitMs[c.idx] = now - c.firstQueuedAt;
    setState(a, 'talking', now);
    heap.push({ t: now + calls.handleMs[c.idx]!, k: 'end', c });
  };

  let rounds = 0;
  const round = (now: number) => {
    if (waiting === 0) return;
    rounds++;
    // With k agents ready at most k calls of one class queue can be served this round, and a call
    // behind one that found no agent finds none either, so reading min(50, k) of each is exact.
    const limit = Math.max(1, Math.min(QUEUE_READ_LIMIT, ready.length));
    let list = collect(limit);
    // A callback kept in line has no channel to play a fallback to: it waits for its agent.
    const late = (overdue(list, now, queues) as SimCall[]).filter(
      (c) => !c.callback || queues.get(c.skill)!.fallback.kind === 'queue',
    );
    if (late.length) {
      for (const c of late) {
        const fb = queues.get(c.skill)!.fallback;
        leaveQueue(c);
        if (fb.kind === 'queue') {
          waiting++;
          c.tried = NO_TRIES;
          enqueue(c, fb.skill, now);
        } else finish(c, O_FALLBACK, now);
      }
      list = collect(limit);
    }
    if (!ready.length || !list.length) return;
    const byId = new Map(list.map((c) => [c.id, c]));
    for (const m of assign(list, ready, now, queues as ReadonlyMap<string, QueueConfig>, settings)) {
      const c = byId.get(m.callId)!;
      const a = agentById.get(m.agentId)!;
      offer(c, a, now);
    }
  };

  const arrive = (i: number, now: number) => {
    const cls = calls.cls[i]!;
    const c: SimCall = {
      id: String(i),
      idx: i,
      cls,
      skill: '',
      priority: PRIORITY_CLASSES[cls]!,
      queuedAt: now,
      firstQueuedAt: now,
      tried: NO_TRIES,
      state: WAITING,
      queue: null,
      agent: null,
      offeredCallback: false,
      callback: false,
    };
    waiting++;
    enqueue(c, calls.skills[calls.skill[i]!]!, now);
    const p = calls.patienceMs[i]!;
    if (Number.isFinite(p)) heap.push({ t: now + p, k: 'abandon', c });
    if (ready.length) round(now);
  };

  // ---- the event loop ----
  let next = 0;
  let events = 0;
  let now = 0;
  for (;;) {
    const ta = next < n ? calls.arrival[next]! : Infinity;
    const th = heap.peekTime();
    if (ta === Infinity && th === Infinity) break;
    events++;
    if (ta <= th) {
      now = ta;
      arrive(next++, now);
      continue;
    }
    const e = heap.pop()!;
    now = e.t;
    switch (e.k) {
      case 'abandon': {
        const c = e.c;
        if (c.callback) break; // called back: nobody is on the line to hang up
        if (c.state === WAITING) {
          leaveQueue(c);
          finish(c, O_ABANDONED, now);
        } else if (c.state === RINGING) {
          finish(c, O_ABANDONED, now);
          const a = c.agent!;
          a.call = null;
          c.agent = null;
          settle(a, now);
        }
        break;
      }
      case 'answer':
        if (e.c.state === RINGING) answer(e.c, now);
        break;
      case 'end': {
        const c = e.c;
        const a = c.agent!;
        c.state = DONE;
        a.call = null;
        const wrap = queues.get(c.skill)?.wrapupS ?? 0;
        if (wrap > 0) {
          setState(a, 'wrapup', now);
          heap.push({ t: now + wrap * 1000, k: 'wrapup', a });
        } else settle(a, now);
        break;
      }
      case 'wrapup':
        settle(e.a, now);
        break;
      case 'shift': {
        const a = e.a;
        account(a, now);
        a.onShift = e.on;
        if (free(a)) settle(a, now);
        break;
      }
      case 'break': {
        const a = e.a;
        if (!a.onShift) break;
        if (free(a) && !a.onBreak) {
          a.pendingBreakMs = e.ms;
          settle(a, now);
        } else if (!a.onBreak) a.pendingBreakMs += e.ms;
        break;
      }
      case 'breakEnd': {
        const a = e.a;
        a.onBreak = false;
        if (free(a)) settle(a, now);
        break;
      }
      case 'move': {
        const a = e.a;
        account(a, now);
        a.pool = e.toFront ? 'front' : 'back';
        a.moved = e.toFront;
        a.skills = e.toFront ? a.spec.frontSkills : a.spec.skills;
        if (a.state === 'ready') {
          // A ready agent's skills changed: re-offer as the store re-indexes a ready agent.
          if (!e.toFront) settle(a, now);
          else if (waiting > 0) round(now);
        } else if (free(a)) settle(a, now);
        break;
      }
      case 'timer':
        if (e.c.state === WAITING) round(now);
        break;
      case 'announce':
        announce(e.c, now);
        break;
      case 'sample': {
        let on = 0;
        let mv = 0;
        for (const a of agents) {
          const st = a.state;
          if (
            st === 'ready' ||
            st === 'reserved' ||
            st === 'ringing' ||
            st === 'talking' ||
            st === 'wrapup'
          ) {
            on++;
            if (a.moved) mv++;
          }
        }
        rowOnPhones[e.i] = on;
        rowMoved[e.i] = mv;
        break;
      }
    }
  }
  for (const a of agents) account(a, now);

  // ---- results ----
  let staffed = 0;
  let busy = 0;
  for (const a of agents) {
    staffed += a.staffedMs;
    busy += a.busyMs;
  }
  const slMs = sc.serviceLevelS * 1000;
  const shortMs = (opts.shortAbandonS ?? SHORT_ABANDON_S) * 1000;
  const statsFor = (pick: (i: number) => boolean): ClassStats => {
    let offered = 0;
    let answered = 0;
    let abandoned = 0;
    let shortAb = 0;
    let fallback = 0;
    let unanswered = 0;
    let callbacks = 0;
    let inSl = 0;
    let waitSum = 0;
    let answeredWait = 0;
    const waits: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!pick(i)) continue;
      offered++;
      const o = outcome[i]!;
      const w = waitMs[i]!;
      if (o === O_ANSWERED) {
        answered++;
        callbacks += calledBack[i]!;
        answeredWait += w;
        if (w <= slMs) inSl++;
        waitSum += w;
        waits.push(w);
      } else if (o === O_ABANDONED) {
        abandoned++;
        if (w < shortMs) shortAb++;
        waitSum += w;
        waits.push(w);
      } else if (o === O_FALLBACK) fallback++;
      else if (o === O_NONE) unanswered++;
    }
    waits.sort((a, b) => a - b);
    const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);
    return {
      offered,
      answered,
      abandoned,
      shortAbandoned: shortAb,
      fallback,
      unanswered,
      callbacks,
      answerRate: ratio(answered, offered - shortAb),
      serviceLevel: ratio(inSl, answered + abandoned - shortAb),
      abandonRate: ratio(abandoned, offered),
      avgWaitS: ratio(waitSum, waits.length) / 1000,
      p95WaitS: waits.length
        ? waits[Math.min(waits.length - 1, Math.ceil(0.95 * waits.length) - 1)]! / 1000
        : NaN,
      asaS: ratio(answeredWait, answered) / 1000,
    };
  };
  const byClassStats = Object.fromEntries(
    PRIORITY_CLASSES.map((c) => {
      const ci = byClass.get(c)!;
      return [c, statsFor((i) => calls.cls[i] === ci)];
    }),
  ) as Record<PriorityClass, ClassStats>;
  const rows = Array.from({ length: nRows }, () => ({
    offered: 0,
    answered: 0,
    abandoned: 0,
    shortAb: 0,
    inSl: 0,
    waitSum: 0,
    waited: 0,
  }));
  for (let i = 0; i < n; i++) {
    const row = rows[Math.min(nRows - 1, Math.floor(calls.arrival[i]! / statsStep))];
    if (!row) continue;
    row.offered++;
    const o = outcome[i]!;
    const w = waitMs[i]!;
    if (o === O_ANSWERED) {
      row.answered++;
      if (w <= slMs) row.inSl++;
    } else if (o === O_ABANDONED) {
      row.abandoned++;
      if (w < shortMs) row.shortAb++;
    }
    if (o === O_ANSWERED || o === O_ABANDONED) {
      row.waitSum += w;
      row.waited++;
    }
  }
  const intervals: IntervalRow[] = rows.map((row, r) => {
    const den = row.answered + row.abandoned - row.shortAb;
    const m = (r * statsStep) / MIN;
    return {
      start: `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`,
      offered: row.offered,
      answered: row.answered,
      abandoned: row.abandoned,
      shortAbandoned: row.shortAb,
      answeredInSl: row.inSl,
      serviceLevel: den > 0 ? row.inSl / den : null,
      avgWaitS: row.waited ? row.waitSum / row.waited / 1000 : null,
      onPhones: rowOnPhones[r]!,
      moved: rowMoved[r]!,
    };
  });
  return {
    name: sc.name,
    seed,
    calls: n,
    overall: statsFor(() => true),
    byClass: byClassStats,
    careAvgWaitS: byClassStats.care.avgWaitS,
    occupancy: staffed > 0 ? busy / staffed : NaN,
    frontSeatHours: frontSeatMs / 3600_000,
    movedSeatHours: movedMs / 3600_000,
    intervals,
    events,
    rounds,
    elapsedMs: performance.now() - started,
  };
}
