// Call records: one per finished call, kept in Redis for reports, indexed by day of arrival.
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import { dayOf } from './day.ts';
import { runScript } from '../redis/run-script.ts';
import { IntervalStats } from './interval-stats.ts';
import { callerIndexEntry } from '../screen-pop/caller-history.ts';

export { dayOf };

export type Outcome =
  | 'answered'
  | 'abandoned'
  | 'transferred'
  | 'ended-in-ivr'
  | 'message'
  | 'callback-failed'
  | 'failed'
  /** Told the line is busy: FreeSWITCH was overloaded (esl/switch-pressure.ts). */
  | 'busy';

export interface CallRecord {
  id: string;
  uuid: string;
  line: string;
  mergeMode: string;
  skill: string;
  caller: string;
  dialled: string;
  priority: string;
  ivrPath: string[];
  /** Each IVR node the caller passed, with times and how they left it. */
  ivrSteps?: Array<{ node: string; label: string; enteredAt: number; leftAt?: number; exit?: string }>;
  /** Why the call got its priority class: care-list, declared-care, no-input... */
  priorityReason?: string;
  /** The menu version the caller went through (calls keep the version they started on). */
  menuVersion?: number;
  /** Post-call survey ratings, 1-5. */
  survey?: Partial<Record<'speed' | 'resolution' | 'attitude', number>>;
  arrivedAt: number;
  queuedAt?: number;
  /**
   * When the router first offered the call to an agent: sent the agent's leg, or, in a record of a call its router did
   * not finish, reserved the agent (the call's firstOfferedAt).
   */
  offeredAt?: number;
  answeredAt?: number;
  endedAt: number;
  agent?: string;
  outcome: Outcome;
  hangupCause: string;
  /** Agents offered the call who did not answer, in order. */
  noAnswerAgents: string[];
  /** Transfers by agents: to another queue, agent or sub-center. */
  /** threeWay: the agent held a three-way call with the target (from which the agent may have left). */
  transfers?: Array<{ from: string; to: string; at: number; threeWay?: boolean }>;
  /** Transferred in by an emergency line: which, and its case number. */
  referral?: { from: string; caseId?: string };
  /** Who served a call no router took: the fallback group, or nobody ("switch"); unset for routed calls. */
  servedBy?: 'fallback-group' | 'switch';
  /** The caller chose (or was given) a callback that kept their place in line. */
  callback?: boolean;
  /** A missed-call callback (漏接回拨): the router called back a caller who had hung up before reaching a human. */
  missedCallback?: boolean;
  instance: string;
}

const RECORD_TTL_S = 400 * 86400;

/**
 * KEYS: the record, the day's index, the interval measures, the day's counters, and the caller's history index
 * (absent for an anonymous caller). ARGV: ttl, record JSON, arrival, id, then for each of the two hashes a count
 * and field/increment pairs, then the history index's cut-off and ttl.
 * One script where a MULTI sent twenty commands: the router paid for a command and a reply each (about ten
 * times the CPU of the script, measured with ioredis), on every call.
 */
const WRITE_RECORD = `
local ttl = ARGV[1]
redis.call('SET', KEYS[1], ARGV[2], 'EX', ttl)
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[2], ttl)
local i = 5
for _, k in ipairs({KEYS[3], KEYS[4]}) do
  local n = tonumber(ARGV[i]); i = i + 1
  for _ = 1, n do redis.call('HINCRBY', k, ARGV[i], ARGV[i + 1]); i = i + 2 end
  redis.call('EXPIRE', k, ttl)
end
if KEYS[5] then
  redis.call('ZADD', KEYS[5], ARGV[3], ARGV[4])
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', ARGV[i])
  redis.call('EXPIRE', KEYS[5], ARGV[i + 1])
end
return 1
`;

/** A hash's increments as the script's ARGV: their count, then field/increment pairs. */
function pairsArg(pairs: ReadonlyArray<readonly [string, number]>): string[] {
  return [String(pairs.length), ...pairs.flatMap(([f, by]) => [f, String(by)])];
}

export class CallRecordStore {
  readonly stats: IntervalStats;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {
    this.stats = new IntervalStats(redis, keys);
  }

  /** Writes the record and adds it to the day's counters and 15-minute interval measures. */
  /** Hear every record written (the missed-call callback, the metrics). */
  private readonly listeners: Array<(rec: CallRecord) => Promise<void> | void> = [];

  onWritten(fn: (rec: CallRecord) => Promise<void> | void): void {
    this.listeners.push(fn);
  }

  async write(rec: CallRecord, serviceLevelS = 15): Promise<void> {
    const day = dayOf(rec.arrivedAt);
    // One script, one round trip: the record, the interval measures, the day's counters and the caller's history
    // (previous calls shown in the screen-pop include calls that never reached an agent, so they are indexed here,
    // where every record is written).
    const stats = this.stats.increments(rec, serviceLevelS);
    const counters: Array<[string, number]> = [
      [`offered:${rec.line}`, 1],
      [`${rec.outcome}:${rec.line}`, 1],
      ['offered', 1],
      [rec.outcome, 1],
      // The daily report's missed-call figures: called back, and reached.
      ['missedCalledBack', rec.missedCallback ? 1 : 0],
      ['missedReached', rec.missedCallback && rec.outcome === 'answered' ? 1 : 0],
    ];
    const history = callerIndexEntry(this.keys, rec);
    const keys = [this.keys.record(rec.id), this.keys.recordsByDay(day), stats.key, this.keys.counters(day)];
    await runScript(
      this.redis,
      WRITE_RECORD,
      history ? keys.length + 1 : keys.length,
      ...keys,
      ...(history ? [history.key] : []),
      RECORD_TTL_S,
      JSON.stringify(rec),
      rec.arrivedAt,
      rec.id,
      ...pairsArg(stats.pairs),
      ...pairsArg(counters),
      ...(history ? [history.dropBefore, history.ttlS] : []),
    );
    for (const fn of this.listeners) await Promise.resolve(fn(rec)).catch(() => undefined);
  }

  async get(id: string): Promise<CallRecord | null> {
    const v = await this.redis.get(this.keys.record(id));
    return v ? (JSON.parse(v) as CallRecord) : null;
  }

  async byDay(day: string, limit = 1000): Promise<CallRecord[]> {
    const ids = await this.redis.zrange(this.keys.recordsByDay(day), '0', String(limit - 1));
    if (!ids.length) return [];
    const vals = await this.redis.mget(ids.map((id) => this.keys.record(id)));
    return vals.filter((v): v is string => !!v).map((v) => JSON.parse(v) as CallRecord);
  }

  /**
   * One page of a day's records in arrival order: `limit` records after the record `after` (the
   * previous page's `nextCursor`), and the cursor of the next page when there are more. The cursor
   * is a record id, so records written meanwhile never shift a page (a call that arrived before the
   * cursor and ended later is not on the following pages). null when `after` is not a record of the day.
   */
  async page(
    day: string,
    opts: { after?: string; limit: number },
  ): Promise<{ records: CallRecord[]; nextCursor: string | null; total: number } | null> {
    const key = this.keys.recordsByDay(day);
    let start = 0;
    if (opts.after !== undefined) {
      const rank = await this.redis.zrank(key, opts.after);
      if (rank === null) return null;
      start = rank + 1;
    }
    const [ids, total] = await Promise.all([
      this.redis.zrange(key, String(start), String(start + opts.limit - 1)),
      this.redis.zcard(key),
    ]);
    const vals = ids.length ? await this.redis.mget(ids.map((id) => this.keys.record(id))) : [];
    return {
      records: vals.filter((v): v is string => !!v).map((v) => JSON.parse(v) as CallRecord),
      nextCursor: ids.length === opts.limit && start + ids.length < total ? ids[ids.length - 1]! : null,
      total,
    };
  }

  async counters(day: string): Promise<Record<string, number>> {
    const h = await this.redis.hgetall(this.keys.counters(day));
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)]));
  }
}

/** The fields of a record that a stored call already holds (for calls closed without a session). */
export function recordBase(call: {
  id: string;
  line: string;
  mergeMode: string;
  skill: string;
  caller: string;
  dialled: string;
  priority: string;
  ivrPath: string[];
  arrivedAt: number;
  firstQueuedAt: number;
  firstOfferedAt?: number;
  tried: string[];
}): Pick<
  CallRecord,
  | 'id'
  | 'line'
  | 'mergeMode'
  | 'skill'
  | 'caller'
  | 'dialled'
  | 'priority'
  | 'ivrPath'
  | 'arrivedAt'
  | 'queuedAt'
  | 'offeredAt'
  | 'noAnswerAgents'
> {
  return {
    id: call.id,
    line: call.line,
    mergeMode: call.mergeMode,
    skill: call.skill,
    caller: call.caller,
    dialled: call.dialled,
    priority: call.priority,
    ivrPath: call.ivrPath,
    arrivedAt: call.arrivedAt,
    queuedAt: call.firstQueuedAt || undefined,
    offeredAt: call.firstOfferedAt,
    noAnswerAgents: call.tried,
  };
}
