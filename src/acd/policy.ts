// Who gets which call: one pure function over plain data. The live router and the simulator both
// call it; Redis scripts only check and apply its decisions atomically.
import type { AcdSettings, AgentStrategy, AgentView, QueueConfig, WaitingCall } from './types.ts';

export interface Assignment {
  callId: string;
  agentId: string;
  /** The skill the agent was chosen by: the call's own, or the overflow pool's. */
  via: string;
}

/** A waiting call's priority score at `now`: its class's head start plus ageing by its wait. */
export function score(call: WaitingCall, now: number, s: AcdSettings): number {
  const waitS = Math.max(0, (now - call.queuedAt) / 1000);
  return s.classWeights[call.priority] + s.ageingRates[call.priority] * waitS;
}

/**
 * Calls in the order they are served: highest score first, then earliest queued, then the call id. Equal queue times
 * are common (FreeSWITCH's channel times move in 20 ms steps): the router's call ids sort by when it took the call
 * (calls/call-id.ts), as does the queue's sorted set in Redis, which orders equal scores by member.
 */
export function rank(calls: readonly WaitingCall[], now: number, s: AcdSettings): WaitingCall[] {
  return [...calls].sort(
    (a, b) => score(b, now, s) - score(a, now, s) || a.queuedAt - b.queuedAt || (a.id < b.id ? -1 : 1),
  );
}

/** Skills whose agents may take the call now, in order: its own skill, then its overflow pool. */
export function eligibleSkills(call: WaitingCall, now: number, queue: QueueConfig | undefined): string[] {
  const out = [call.skill];
  if (
    queue &&
    queue.overflowAfterS > 0 &&
    queue.overflowTo !== call.skill &&
    now - call.queuedAt >= queue.overflowAfterS * 1000
  ) {
    out.push(queue.overflowTo);
  }
  return out;
}

/** Whether agent a is preferred over b for a call of `skill` (the strategy's order; ties: longest idle, id). */
export function better(a: AgentView, b: AgentView, skill: string, strategy: AgentStrategy): boolean {
  if (strategy === 'fewest-calls' && a.callsToday !== b.callsToday) return a.callsToday < b.callsToday;
  if (strategy === 'skill-level') {
    const la = a.skills[skill] ?? 0;
    const lb = b.skills[skill] ?? 0;
    if (la !== lb) return la > lb;
  }
  if (a.idleSince !== b.idleSince) return a.idleSince < b.idleSince;
  return a.id < b.id;
}

/**
 * The agent for a call: first among those with its skill, then (after overflow) the pool's; agents who
 * already missed it only when no other can take it.
 */
export function chooseAgent(
  call: WaitingCall,
  agents: readonly AgentView[],
  now: number,
  queue: QueueConfig | undefined,
  strategy: AgentStrategy,
): { agent: AgentView; via: string } | null {
  // Agents who already missed this call come last: offered again only when nobody else can take
  // it (a desk of one), as their own misses in a row set them not ready.
  for (const allowTried of [false, true]) {
    for (const skill of eligibleSkills(call, now, queue)) {
      let best: AgentView | null = null;
      for (const a of agents) {
        if (a.state !== 'ready' || !(skill in a.skills)) continue;
        if (!allowTried && call.tried.includes(a.id)) continue;
        if (!best || better(a, best, skill, strategy)) best = a;
      }
      if (best) return { agent: best, via: skill };
    }
  }
  return null;
}

/**
 * Pairs waiting calls with ready agents, each agent at most once: calls in rank order, each to the
 * best eligible agent left. A call whose eligible agents are all taken waits for the next round.
 */
export function assign(
  calls: readonly WaitingCall[],
  agents: readonly AgentView[],
  now: number,
  queues: ReadonlyMap<string, QueueConfig>,
  s: AcdSettings,
): Assignment[] {
  return assignQueues(queueLists(calls), agents, now, queues, s);
}

/** Groups calls by skill and class, each group in queue order (earliest queued, then id). */
export function queueLists(calls: readonly WaitingCall[]): WaitingCall[][] {
  const by = new Map<string, WaitingCall[]>();
  for (const c of calls) {
    const k = `${c.skill}\n${c.priority}`;
    let l = by.get(k);
    if (!l) by.set(k, (l = []));
    l.push(c);
  }
  const order = (a: WaitingCall, b: WaitingCall) => a.queuedAt - b.queuedAt || (a.id < b.id ? -1 : 1);
  return [...by.values()].map((l) => l.sort(order));
}

/** A queue in order from `items[start]` (the replica drops served calls at the head without moving the rest). */
export interface SlicedQueue<C> {
  items: readonly C[];
  start: number;
}
/** One skill and class's waiting calls in queue order: an array, or a SlicedQueue. */
export type QueueSlice<C> = readonly C[] | SlicedQueue<C>;

function sliceOf<C>(q: QueueSlice<C>): { l: readonly C[]; i: number } {
  if (Array.isArray(q)) return { l: q as readonly C[], i: 0 };
  const s = q as SlicedQueue<C>;
  return { l: s.items, i: s.start };
}

/**
 * The ready agents of one skill, best first (by `better`), that the router's replica keeps up to date: choosing
 * an agent is then the first one not taken, instead of a pass over every ready agent.
 */
export interface ReadyIndex {
  candidates(skill: string): readonly AgentView[];
}

/** chooseAgent over a ReadyIndex: the same agent, the first free one in each skill's order. */
function chooseIndexed(
  call: WaitingCall,
  index: ReadyIndex,
  taken: ReadonlySet<string>,
  now: number,
  queue: QueueConfig | undefined,
): { agent: AgentView; via: string } | null {
  for (const allowTried of [false, true]) {
    for (const skill of eligibleSkills(call, now, queue)) {
      for (const a of index.candidates(skill)) {
        if (taken.has(a.id)) continue;
        if (!allowTried && call.tried.includes(a.id)) continue;
        return { agent: a, via: skill };
      }
    }
    if (!call.tried.length) break;
  }
  return null;
}

/**
 * `assign` over calls already grouped by skill and class, each group in queue order, as the router's replica
 * keeps them: the same pairs, without ranking every waiting call. Within a group the rank order is the queue
 * order (one class, one ageing rate), so the next call in rank order is the best of the groups' heads. When a
 * group's head finds no agent, none of the group's later calls can (same skill, and no longer a wait that
 * would let them overflow): the whole group waits, however long it is, and never blocks the groups behind it.
 * `skip` passes over single calls that cannot be offered (their router is gone); `limit` stops after that many.
 */
export function assignQueues<C extends WaitingCall>(
  lists: ReadonlyArray<QueueSlice<C>>,
  agents: readonly AgentView[],
  now: number,
  queues: ReadonlyMap<string, QueueConfig>,
  s: AcdSettings,
  opts: { skip?: (c: C) => boolean; limit?: number; index?: ReadyIndex } = {},
): Assignment[] {
  const index = opts.index;
  const free = index ? [] : agents.filter((a) => a.state === 'ready');
  const taken = new Set<string>();
  const out: Assignment[] = [];
  const heads = lists.map(sliceOf).filter((h) => h.i < h.l.length);
  const limit = opts.limit ?? Infinity;
  while ((index || free.length) && heads.length && out.length < limit) {
    let best = -1;
    let bestScore = 0;
    for (let h = 0; h < heads.length; h++) {
      const head = heads[h]!;
      while (head.i < head.l.length && opts.skip?.(head.l[head.i]!)) head.i++;
      if (head.i >= head.l.length) {
        heads.splice(h--, 1);
        continue;
      }
      const c = head.l[head.i]!;
      const sc = score(c, now, s);
      if (best < 0) {
        best = h;
        bestScore = sc;
        continue;
      }
      const b = heads[best]!.l[heads[best]!.i]!;
      if (
        sc > bestScore ||
        (sc === bestScore && (c.queuedAt < b.queuedAt || (c.queuedAt === b.queuedAt && c.id < b.id)))
      ) {
        best = h;
        bestScore = sc;
      }
    }
    if (best < 0) break;
    const head = heads[best]!;
    const call = head.l[head.i]!;
    const pick = index
      ? chooseIndexed(call, index, taken, now, queues.get(call.skill))
      : chooseAgent(call, free, now, queues.get(call.skill), s.strategy);
    if (!pick) {
      heads.splice(best, 1);
      continue;
    }
    out.push({ callId: call.id, agentId: pick.agent.id, via: pick.via });
    if (index) taken.add(pick.agent.id);
    else free.splice(free.indexOf(pick.agent), 1);
    head.i++;
  }
  return out;
}

/** Calls that have waited past their queue's maximum and must go to its fallback. */
export function overdue(
  calls: readonly WaitingCall[],
  now: number,
  queues: ReadonlyMap<string, QueueConfig>,
): WaitingCall[] {
  return calls.filter((c) => {
    const q = queues.get(c.skill);
    return q !== undefined && q.maxWaitS > 0 && now - c.queuedAt >= q.maxWaitS * 1000;
  });
}

/** `overdue` over groups in queue order: only each group's oldest calls are looked at. */
export function overdueInQueues(
  lists: ReadonlyArray<QueueSlice<WaitingCall>>,
  now: number,
  queues: ReadonlyMap<string, QueueConfig>,
): WaitingCall[] {
  const out: WaitingCall[] = [];
  for (const q of lists) {
    const { l, i: from } = sliceOf(q);
    for (let i = from; i < l.length; i++) {
      const c = l[i]!;
      const q = queues.get(c.skill);
      if (q === undefined || q.maxWaitS <= 0 || now - c.queuedAt < q.maxWaitS * 1000) break;
      out.push(c);
    }
  }
  return out;
}

/**
 * Expected wait for a caller at `position` (1 = next) in a queue served by `agents` agents with
 * average handle time `ahtS`: the calls ahead, spread over the agents, at one handle time each.
 */
export function expectedWaitS(position: number, agents: number, ahtS: number): number {
  if (agents <= 0) return Infinity;
  return Math.ceil(position / agents) * ahtS;
}
