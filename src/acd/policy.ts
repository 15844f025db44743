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

/** Calls in the order they are served: highest score first, then earliest queued. */
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

function better(a: AgentView, b: AgentView, skill: string, strategy: AgentStrategy): boolean {
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
  const free = agents.filter((a) => a.state === 'ready');
  const out: Assignment[] = [];
  for (const call of rank(calls, now, s)) {
    if (!free.length) break;
    const pick = chooseAgent(call, free, now, queues.get(call.skill), s.strategy);
    if (!pick) continue;
    out.push({ callId: call.id, agentId: pick.agent.id, via: pick.via });
    free.splice(free.indexOf(pick.agent), 1);
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

/**
 * Expected wait for a caller at `position` (1 = next) in a queue served by `agents` agents with
 * average handle time `ahtS`: the calls ahead, spread over the agents, at one handle time each.
 */
export function expectedWaitS(position: number, agents: number, ahtS: number): number {
  if (agents <= 0) return Infinity;
  return Math.ceil(position / agents) * ahtS;
}
