// Who gets which call: one pure function over plain data. Redis scripts only check and apply the
// decision atomically; they do not decide.
import type { AgentView, WaitingCall } from './types.ts';

export interface Assignment {
  callId: string;
  agentId: string;
}

/** The eligible agent for a call: ready, has the call's skill, not already tried; longest idle first. */
export function chooseAgent(call: WaitingCall, agents: readonly AgentView[]): AgentView | null {
  let best: AgentView | null = null;
  for (const a of agents) {
    if (a.state !== 'ready' || !(call.skill in a.skills) || call.tried.includes(a.id)) continue;
    if (!best || a.idleSince < best.idleSince || (a.idleSince === best.idleSince && a.id < best.id)) best = a;
  }
  return best;
}

/**
 * Pairs waiting calls (already in queue order) with agents, each agent at most once. A call whose
 * every eligible agent is taken waits; a later call may still be matched with an agent the earlier
 * call had already tried.
 */
export function assign(calls: readonly WaitingCall[], agents: readonly AgentView[]): Assignment[] {
  const free = [...agents];
  const out: Assignment[] = [];
  for (const call of calls) {
    const agent = chooseAgent(call, free);
    if (!agent) continue;
    out.push({ callId: call.id, agentId: agent.id });
    free.splice(free.indexOf(agent), 1);
  }
  return out;
}
