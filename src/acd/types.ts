// Plain data the ACD decides over; the same shapes come from Redis in the router and from memory in
// a simulator.
export type AgentState = 'logged_out' | 'ready' | 'reserved' | 'ringing' | 'talking' | 'wrapup' | 'not_ready';
export type PriorityClass = 'care' | 'enterprise' | 'normal';

export interface AgentView {
  id: string;
  name: string;
  extension: string;
  skills: Record<string, number>;
  state: AgentState;
  /** Epoch ms since which the agent has been idle (ready); the longest idle is the smallest. */
  idleSince: number;
  callsToday: number;
  reason?: string;
  callId?: string;
}

export interface WaitingCall {
  id: string;
  skill: string;
  priority: PriorityClass;
  queuedAt: number;
  /** Agents already offered this call who did not take it. */
  tried: string[];
}
