// Plain data the ACD decides over; the same shapes come from Redis in the router and from memory in
// the simulator.
export type AgentState = 'logged_out' | 'ready' | 'reserved' | 'ringing' | 'talking' | 'wrapup' | 'not_ready';
export type PriorityClass = 'care' | 'enterprise' | 'normal';
export const PRIORITY_CLASSES: readonly PriorityClass[] = ['care', 'enterprise', 'normal'];

/**
 * Reasons an agent gives for not being ready; 'no-answer', 'desktop-lost' and 'phone-drops' are set by the router
 * itself (missed offers in a row; the agent's desktop gone and not back within the grace; calls the phone dropped
 * as it answered, in a row).
 */
export const NOT_READY_REASONS = [
  'break',
  'meal',
  'training',
  'meeting',
  'back-office',
  'no-answer',
  'desktop-lost',
  'phone-drops',
] as const;
export type NotReadyReason = (typeof NOT_READY_REASONS)[number];

export interface AgentView {
  id: string;
  name: string;
  extension: string;
  /** Skill -> level, 1 (learning) to 5 (expert). */
  skills: Record<string, number>;
  state: AgentState;
  /** Epoch ms since which the agent has been idle (ready); the longest idle is the smallest. */
  idleSince: number;
  callsToday: number;
  reason?: string;
  callId?: string;
  /** Offers in a row the agent did not answer. */
  noAnswerStreak?: number;
  /** Calls in a row the agent's phone dropped as it answered (before the caller was put through). */
  dropStreak?: number;
  /** The pool the agent works in now (front line or back office), for tidal moves. */
  pool?: string;
}

export interface WaitingCall {
  id: string;
  skill: string;
  priority: PriorityClass;
  queuedAt: number;
  /** Agents already offered this call who did not take it. */
  tried: string[];
}

export type AgentStrategy = 'longest-idle' | 'fewest-calls' | 'skill-level';

export interface QueueConfig {
  skill: string;
  name: string;
  /** After this wait the call may also go to the overflow pool's agents; 0 = never. */
  overflowAfterS: number;
  overflowTo: string;
  /** After this wait the call leaves the queue for its fallback, so nobody waits without end. */
  maxWaitS: number;
  fallback: { kind: 'queue'; skill: string } | { kind: 'callback' } | { kind: 'message' };
  wrapupS: number;
  /** Answer within this many seconds counts towards the service level. */
  serviceLevelS: number;
}

export interface AcdSettings {
  /** A class's head start in seconds of waiting: care 300 ranks like a call that waited 5 minutes more. */
  classWeights: Record<PriorityClass, number>;
  /** Score per second waited, per class: ageing lets no class starve. */
  ageingRates: Record<PriorityClass, number>;
  strategy: AgentStrategy;
  /** Offers in a row an agent may miss before being set not ready. */
  maxNoAnswer: number;
  /** Expected wait above which callers are offered a callback (virtual hold). */
  callbackOfferAboveS: number;
  /** How often callers in queue hear their position and expected wait. */
  announceEveryS: number;
}

export const DEFAULT_SETTINGS: AcdSettings = {
  classWeights: { care: 300, enterprise: 60, normal: 0 },
  ageingRates: { care: 1, enterprise: 1, normal: 1 },
  strategy: 'longest-idle',
  maxNoAnswer: 3,
  callbackOfferAboveS: 120,
  announceEveryS: 30,
};

export function defaultQueue(skill: string, name = skill): QueueConfig {
  return {
    skill,
    name,
    overflowAfterS: skill === 'general' ? 0 : 60,
    overflowTo: 'general',
    maxWaitS: 600,
    fallback: { kind: 'callback' },
    wrapupS: 15,
    serviceLevelS: 15,
  };
}
