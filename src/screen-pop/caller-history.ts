// The caller's previous calls for the screen-pop: an index of call records by caller number (a sorted
// set per number, scored by arrival, kept 31 days) and the lookup that turns it into the pop's
// history block (outcomes, survey scores, the repeat-caller flag).
import type { ChainableCommander, Redis } from 'ioredis';
import type { CallRecord } from '../records/call-records.ts';
import type { Keys } from '../redis/keys.ts';
import type { CallerHistory, PreviousCall } from './messages.ts';

export const HISTORY_DAYS = 30;
const INDEX_TTL_S = (HISTORY_DAYS + 1) * 86400;
const DAY_MS = 86400_000;
/** At most this many previous calls travel in one pop. */
const MAX_CALLS = 10;

export const OUTCOME_LABELS: Record<string, string> = {
  answered: '已接通',
  abandoned: '排队中挂机',
  transferred: '已转接',
  'ended-in-ivr': '语音导航中结束',
  message: '已留言',
  'callback-failed': '回拨未接通',
  failed: '失败',
  busy: '线路繁忙未接入',
  missed: '未接听',
};

export function outcomeLabel(outcome: string): string {
  return OUTCOME_LABELS[outcome] ?? outcome;
}

export function callerIndexKey(keys: Keys, caller: string): string {
  return `${keys.prefix}sp:caller:${caller}`;
}

/**
 * Adds a finished call to its caller's index. CallRecordStore.write does it with every record (queueCallerIndex,
 * in the record's own transaction). Idempotent; anonymous callers are skipped.
 */
export async function indexCallRecord(
  redis: Redis,
  keys: Keys,
  rec: Pick<CallRecord, 'id' | 'caller' | 'arrivedAt'>,
): Promise<void> {
  await queueCallerIndex(redis.multi(), keys, rec).exec();
}

/** indexCallRecord's commands, queued on a transaction the caller sends. */
export function queueCallerIndex(
  m: ChainableCommander,
  keys: Keys,
  rec: Pick<CallRecord, 'id' | 'caller' | 'arrivedAt'>,
): ChainableCommander {
  if (!rec.caller || !/\d{3,}/.test(rec.caller)) return m;
  const key = callerIndexKey(keys, rec.caller);
  return m
    .zadd(key, rec.arrivedAt, rec.id)
    .zremrangebyscore(key, '-inf', String(Date.now() - INDEX_TTL_S * 1000))
    .expire(key, INDEX_TTL_S);
}

function toPrevious(rec: CallRecord): PreviousCall {
  const survey = rec.survey && Object.keys(rec.survey).length ? rec.survey : undefined;
  return {
    callId: rec.id,
    at: rec.arrivedAt,
    line: rec.line,
    outcome: rec.outcome,
    outcomeLabel: outcomeLabel(rec.outcome),
    agent: rec.agent,
    ivrPath: rec.ivrPath ?? [],
    talkS: rec.answeredAt ? Math.round((rec.endedAt - rec.answeredAt) / 100) / 10 : undefined,
    survey,
  };
}

export function emptyHistory(): CallerHistory {
  return { days: HISTORY_DAYS, count: 0, repeat: false, calls: [] };
}

/**
 * The caller's calls in the last 30 days before `now`, newest first, without `excludeCallId` (the
 * call being offered). Two round trips: the index, then the records.
 */
export async function lookupHistory(
  redis: Redis,
  keys: Keys,
  caller: string,
  excludeCallId: string,
  now = Date.now(),
): Promise<CallerHistory> {
  if (!caller) return emptyHistory();
  const key = callerIndexKey(keys, caller);
  const since = now - HISTORY_DAYS * DAY_MS;
  const [[, ids], [, count]] = ((await redis
    .pipeline()
    .zrevrangebyscore(key, String(now), String(since), 'LIMIT', 0, MAX_CALLS + 1)
    .zcount(key, String(since), String(now))
    .exec()) ?? []) as [[unknown, string[]], [unknown, number]];
  const wanted = (ids ?? []).filter((id) => id !== excludeCallId).slice(0, MAX_CALLS);
  const total = Math.max(0, Number(count ?? 0) - ((ids ?? []).includes(excludeCallId) ? 1 : 0));
  if (!wanted.length) return { ...emptyHistory(), count: total, repeat: total > 0 };
  const texts = await redis.mget(wanted.map((id) => keys.record(id)));
  const calls = texts.filter((t): t is string => !!t).map((t) => toPrevious(JSON.parse(t) as CallRecord));
  const ratings = calls.flatMap((c) => Object.values(c.survey ?? {}).filter((n) => typeof n === 'number'));
  const rated = calls.filter((c) => c.survey).length;
  return {
    days: HISTORY_DAYS,
    count: total,
    repeat: total > 0,
    calls,
    survey: rated
      ? {
          answered: rated,
          average: Math.round((ratings.reduce((a, b) => a + b, 0) / ratings.length) * 10) / 10,
        }
      : undefined,
  };
}
