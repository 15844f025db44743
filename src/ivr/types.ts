// IVR menus as data: the document operators write (JSON or YAML), one per service line.
import type { PriorityClass } from '../acd/types.ts';

export interface Prompt {
  /** Audio file played to the caller. */
  file: string;
  /** Its Chinese text, for logs, the emulator and a future TTS engine. */
  text: string;
}

export interface MenuOption {
  digit: string;
  next: string;
  /** Plain-Chinese label shown in the screen-pop's IVR path, e.g. "养老保险". */
  label?: string;
}

export interface MenuNode {
  type: 'menu';
  label?: string;
  prompt: Prompt;
  options: MenuOption[];
  timeoutMs?: number;
  retries?: number;
  invalidPrompt?: Prompt;
  noInputPrompt?: Prompt;
}
export interface AnnounceNode {
  type: 'announce';
  label?: string;
  prompt: Prompt;
  next: string;
}
export interface QueueNode {
  type: 'queue';
  label?: string;
  skill: string;
  priority?: PriorityClass;
  /** Set on an option by which callers declare they are elderly or disabled. */
  declaresCare?: boolean;
  prompt?: Prompt;
}
export interface TransferNode {
  type: 'transfer';
  label?: string;
  /** A sub-center line of the number plan, or any SIP address. */
  subcenterLine?: string;
  uri?: string;
  prompt?: Prompt;
  /** Where the caller goes when the transfer fails; default: a human of this line. */
  fallback?: string;
}
export interface HoursNode {
  type: 'hours';
  label?: string;
  /** Open periods, weekdays 1 (Monday) to 7, times HH:MM local (China Standard Time). */
  open: Array<{ days: number[]; from: string; to: string }>;
  /** Dates (YYYY-MM-DD) treated as closed whatever the weekday. */
  holidays?: string[];
  /** Dates treated as working days (调休) whatever the weekday. */
  workdays?: string[];
  whenOpen: string;
  whenClosed: string;
}
export interface SurveyNode {
  type: 'survey';
  label?: string;
  intro?: Prompt;
  questions: Array<{ key: 'speed' | 'resolution' | 'attitude'; prompt: Prompt }>;
  thanks?: Prompt;
  timeoutMs?: number;
}
export interface LanguageNode {
  type: 'language';
  label?: string;
  prompt: Prompt;
  options: Array<{ digit: string; language: string; label?: string }>;
  next: string;
  timeoutMs?: number;
}
export interface HangupNode {
  type: 'hangup';
  label?: string;
  prompt?: Prompt;
}

export type IvrNode =
  MenuNode | AnnounceNode | QueueNode | TransferNode | HoursNode | SurveyNode | LanguageNode | HangupNode;

export interface MenuDocument {
  line: string;
  /** direct: a short greeting, then a human (GB/T 33358-2016 advises against menus for plain intake). */
  mode: 'direct' | 'menu';
  /** Where 0 (and every fallback to a human) goes for this line. */
  human: { skill: string; priority?: PriorityClass; label?: string };
  greeting?: Prompt;
  /**
   * Direct mode: keys a caller may press during the greeting to reach a specialist desk (涉企服务专席, 方言专席).
   * A caller who presses nothing is not held back: the greeting ends and a human answers, as without options.
   */
  greetingOptions?: MenuOption[];
  root?: string;
  nodes?: Record<string, IvrNode>;
  /** Node id of the post-call survey. */
  survey?: string;
}
