// What a node module sees while the IVR runs: where to go next, how to reach a human, the clock.
import type { PriorityClass } from '../acd/types.ts';
import type { Prompt } from './types.ts';

export type HumanReason =
  'zero' | 'direct' | 'care-list' | 'declared-care' | 'no-input' | 'retries' | 'transfer-failed' | 'menu';

/** One step for the telephony adapter to carry out; its result comes back as an IvrInput. */
export type Instruction =
  | { kind: 'collect'; nodeId: string; prompt: Prompt; validDigits: string; timeoutMs: number }
  | { kind: 'play'; nodeId: string; prompt: Prompt }
  | {
      kind: 'queue';
      nodeId: string;
      skill: string;
      priority: PriorityClass;
      reason: HumanReason;
      prompt?: Prompt;
    }
  | { kind: 'transfer'; nodeId: string; uri: string; prompt?: Prompt }
  | { kind: 'hangup'; nodeId: string; prompt?: Prompt };

export type IvrInput =
  { kind: 'digit'; digit: string } | { kind: 'no-input' } | { kind: 'done' } | { kind: 'transfer-failed' };

/** What a node does with an input: go to another node, reach a human, or run an instruction. */
export type Transition =
  | { goto: string; digit?: string }
  | { human: HumanReason; priority?: PriorityClass; digit?: string }
  | { instruction: Instruction };

export interface NodeRuntime {
  now(): number;
  /** Attempts so far at the current node (invalid or no input). */
  attempts: number;
  /** Consecutive no-inputs across the whole call. */
  noInputStreak: number;
  /** Why the current node is being prompted again. */
  lastProblem?: 'invalid' | 'no-input';
  language: string;
  setLanguage(l: string): void;
  subcenterUri(line: string): string | undefined;
}

export const ZERO = '0';
