// Per 15-minute interval measures, by line, priority class and skill: what the center's reports and
// the forecaster read. The pure part turns one call record into counter increments; Redis keeps sums.
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import type { CallRecord } from './call-records.ts';
import { dayOf } from './day.ts';

/** Abandons quicker than this are "short" (misdials, instant regrets) and kept apart. */
export const SHORT_ABANDON_MS = 5000;

export function intervalOf(epochMs: number): string {
  const local = new Date(epochMs + 8 * 3600_000);
  const m = local.getUTCHours() * 60 + Math.floor(local.getUTCMinutes() / 15) * 15;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** The counter increments one finished call contributes. */
export function increments(rec: CallRecord, serviceLevelS: number): Array<[string, number]> {
  const base = `${intervalOf(rec.arrivedAt)}|${rec.line}|${rec.priority}|${rec.skill}`;
  const out: Array<[string, number]> = [[`${base}|offered`, 1]];
  const queuedAt = rec.queuedAt ?? rec.arrivedAt;
  if (rec.outcome === 'answered' && rec.answeredAt) {
    const wait = Math.max(0, rec.answeredAt - queuedAt);
    out.push(
      [`${base}|answered`, 1],
      [`${base}|waitMs`, wait],
      [`${base}|handleMs`, Math.max(0, rec.endedAt - rec.answeredAt)],
    );
    if (wait <= serviceLevelS * 1000) out.push([`${base}|answeredInSL`, 1]);
    if (rec.priority === 'care') out.push([`${base}|careWaitMs`, wait], [`${base}|careWaited`, 1]);
  } else if (rec.outcome === 'abandoned') {
    const wait = Math.max(0, rec.endedAt - queuedAt);
    out.push([`${base}|abandoned`, 1]);
    if (wait < SHORT_ABANDON_MS) out.push([`${base}|shortAbandoned`, 1]);
    if (rec.priority === 'care' && rec.queuedAt)
      out.push([`${base}|careWaitMs`, wait], [`${base}|careWaited`, 1]);
  } else {
    out.push([`${base}|${rec.outcome}`, 1]);
  }
  return out;
}

export interface IntervalRow {
  interval: string;
  line: string;
  priority: string;
  skill: string;
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  answeredInSL: number;
  /** Average speed of answer, seconds. */
  asaS: number | null;
  /** Average handle (talk) time, seconds. */
  ahtS: number | null;
  /** 接通率: answered over offered, short abandons left out. */
  answerRate: number | null;
  serviceLevel: number | null;
  careAvgWaitS: number | null;
  /** The sums behind the averages, so that rows can be added up (reports, the wallboard). */
  waitMs: number;
  handleMs: number;
  careWaitMs: number;
  careWaited: number;
}

export function rowsFrom(hash: Record<string, string>): IntervalRow[] {
  const acc = new Map<string, Record<string, number>>();
  for (const [k, v] of Object.entries(hash)) {
    const i = k.lastIndexOf('|');
    const key = k.slice(0, i);
    const m = acc.get(key) ?? {};
    m[k.slice(i + 1)] = Number(v);
    acc.set(key, m);
  }
  const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 10000) / 10000 : null);
  return [...acc.entries()]
    .map(([key, m]) => {
      const [interval, line, priority, skill] = key.split('|') as [string, string, string, string];
      const n = (f: string) => m[f] ?? 0;
      const answered = n('answered');
      return {
        interval,
        line,
        priority,
        skill,
        offered: n('offered'),
        answered,
        abandoned: n('abandoned'),
        shortAbandoned: n('shortAbandoned'),
        answeredInSL: n('answeredInSL'),
        asaS: answered ? Math.round(n('waitMs') / answered) / 1000 : null,
        ahtS: answered ? Math.round(n('handleMs') / answered) / 1000 : null,
        answerRate: ratio(answered, n('offered') - n('shortAbandoned')),
        serviceLevel: ratio(n('answeredInSL'), answered + n('abandoned') - n('shortAbandoned')),
        careAvgWaitS: n('careWaited') ? Math.round(n('careWaitMs') / n('careWaited')) / 1000 : null,
        waitMs: n('waitMs'),
        handleMs: n('handleMs'),
        careWaitMs: n('careWaitMs'),
        careWaited: n('careWaited'),
      };
    })
    .sort(
      (a, b) =>
        a.interval.localeCompare(b.interval) ||
        a.line.localeCompare(b.line) ||
        a.skill.localeCompare(b.skill),
    );
}

export class IntervalStats {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** A finished call's increments and the hash they go to (CallRecordStore.write sends them with the record). */
  increments(rec: CallRecord, serviceLevelS: number): { key: string; pairs: Array<[string, number]> } {
    return { key: this.keys.stats(dayOf(rec.arrivedAt)), pairs: increments(rec, serviceLevelS) };
  }

  async rows(day: string): Promise<IntervalRow[]> {
    return rowsFrom(await this.redis.hgetall(this.keys.stats(day)));
  }
}
