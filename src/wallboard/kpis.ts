// The hotline's measures over any set of 15-minute rows: what the wallboard shows for today, this interval and
// the last 24 hours, and what the reports print per day and week. Pure.
import type { IntervalRow } from '../records/interval-stats.ts';

export interface Kpis {
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  /** 接通率: answered over offered, short abandons (misdials) left out. */
  answerRate: number | null;
  /** Answered within the service level (15 s, GB/T 33358) over answered and abandoned (short ones left out). */
  serviceLevel: number | null;
  /** Average speed of answer, s. */
  asaS: number | null;
  /** Average handle (talk) time, s. */
  ahtS: number | null;
  /** Abandoned (short ones left out) over offered (short ones left out). */
  abandonRate: number | null;
  /** Care callers' average wait, s (target: at most 30 s). */
  careAvgWaitS: number | null;
  careCalls: number;
}

const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 10000) / 10000 : null);
const avgS = (ms: number, n: number) => (n > 0 ? Math.round(ms / n) / 1000 : null);

export function kpisOf(rows: Iterable<IntervalRow>): Kpis {
  let offered = 0;
  let answered = 0;
  let abandoned = 0;
  let short = 0;
  let inSL = 0;
  let waitMs = 0;
  let handleMs = 0;
  let careWaitMs = 0;
  let careWaited = 0;
  for (const r of rows) {
    offered += r.offered;
    answered += r.answered;
    abandoned += r.abandoned;
    short += r.shortAbandoned;
    inSL += r.answeredInSL;
    waitMs += r.waitMs;
    handleMs += r.handleMs;
    careWaitMs += r.careWaitMs;
    careWaited += r.careWaited;
  }
  return {
    offered,
    answered,
    abandoned,
    shortAbandoned: short,
    answerRate: ratio(answered, offered - short),
    serviceLevel: ratio(inSL, answered + abandoned - short),
    asaS: avgS(waitMs, answered),
    ahtS: avgS(handleMs, answered),
    abandonRate: ratio(abandoned - short, offered - short),
    careAvgWaitS: avgS(careWaitMs, careWaited),
    careCalls: careWaited,
  };
}
