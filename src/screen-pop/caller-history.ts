// The caller's previous calls for the screen-pop: an index of call records by caller number (a sorted
// set per number, scored by arrival, kept 31 days) and the lookup that turns it into the pop's
// history block (outcomes, survey scores, the repeat-caller flag).
import type { Redis } from 'ioredis';
import type { CallRecord } from '../records/call-records.ts';
import type { Keys } from '../redis/keys.ts';
import { runScript } from '../redis/run-script.ts';
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
 * Adds a finished call to its caller's index. CallRecordStore.write does it with every record (callerIndexEntry,
 * in the record's own script). Idempotent; anonymous callers are skipped.
 */
export async function indexCallRecord(
  redis: Redis,
  keys: Keys,
  rec: Pick<CallRecord, 'id' | 'caller' | 'arrivedAt'>,
): Promise<void> {
  const e = callerIndexEntry(keys, rec);
  if (!e) return;
  await redis
    .multi()
    .zadd(e.key, rec.arrivedAt, rec.id)
    .zremrangebyscore(e.key, '-inf', e.dropBefore)
    .expire(e.key, e.ttlS)
    .exec();
}

/** Where a finished call goes in its caller's index, and what ages out of it; null for an anonymous caller. */
export function callerIndexEntry(
  keys: Keys,
  rec: Pick<CallRecord, 'caller'>,
  now = Date.now(),
): { key: string; dropBefore: number; ttlS: number } | null {
  if (!rec.caller || !/\d{3,}/.test(rec.caller)) return null;
  return { key: callerIndexKey(keys, rec.caller), dropBefore: now - INDEX_TTL_S * 1000, ttlS: INDEX_TTL_S };
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
 * KEYS: the caller's index. ARGV: now, the window's start, the most calls wanted, the records' key prefix, the
 * call being offered. Replies the count of calls in the window (the offered one left out), then the texts of the
 * newest records found.
 */
const LOOKUP_HISTORY = `
local ids = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]) + 1)
local total = redis.call('ZCOUNT', KEYS[1], ARGV[2], ARGV[1])
local out, wanted = {total}, 0
for _, id in ipairs(ids) do
  if id == ARGV[5] then
    out[1] = out[1] - 1
  elseif wanted < tonumber(ARGV[3]) then
    wanted = wanted + 1
    local t = redis.call('GET', ARGV[4] .. id)
    if t then table.insert(out, t) end
  end
end
return out
`;

/**
 * The caller's calls in the last 30 days before `now`, newest first, without `excludeCallId` (the
 * call being offered). One script, one round trip: the index and the records.
 */
export async function lookupHistory(
  redis: Redis,
  keys: Keys,
  caller: string,
  excludeCallId: string,
  now = Date.now(),
): Promise<CallerHistory> {
  if (!caller) return emptyHistory();
  const [count, ...texts] = (await runScript(
    redis,
    LOOKUP_HISTORY,
    1,
    callerIndexKey(keys, caller),
    now,
    now - HISTORY_DAYS * DAY_MS,
    MAX_CALLS,
    keys.record(''),
    excludeCallId,
  )) as [number, ...string[]];
  const total = Math.max(0, Number(count ?? 0));
  if (!texts.length) return { ...emptyHistory(), count: total, repeat: total > 0 };
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
