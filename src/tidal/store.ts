// Tidal staffing state in Redis, beside the ACD's keys under the same prefix:
//   <prefix>tidal:plan:<date>    JSON plan of one day (versioned: changes name the version they change)
//   <prefix>tidal:roster         hash agent id -> JSON profile (home pool, front/back skills, shift)
//   <prefix>tidal:audit          list of JSON audit entries, newest first
//   <prefix>tidal:done:<date>    hash step id -> JSON record of what the scheduler carried out
//   <prefix>tidal:leader         the scheduler leader's instance id, with a lease (SET NX PX, renewed)
//   <prefix>tidal:fence          fencing token: incremented by each new leader; writes check it
// The agent's pool lives in the ACD's own agent hash, field `pool` (<prefix>agent:<id>).
import type { Redis } from 'ioredis';
import type { TidalAgent, TidalPlan } from './types.ts';

export class TidalKeys {
  constructor(readonly prefix: string) {}
  plan = (date: string) => `${this.prefix}tidal:plan:${date}`;
  roster = () => `${this.prefix}tidal:roster`;
  audit = () => `${this.prefix}tidal:audit`;
  done = (date: string) => `${this.prefix}tidal:done:${date}`;
  leader = () => `${this.prefix}tidal:leader`;
  fence = () => `${this.prefix}tidal:fence`;
  /** The ACD's agent hash (src/redis/keys.ts names it the same way). */
  agent = (id: string) => `${this.prefix}agent:${id}`;
}

export interface AuditEntry {
  at: number;
  /** The day's plan the entry belongs to. */
  date: string;
  /** `scheduler:<instance>` or `operator:<name>`. */
  actor: string;
  action: string;
  agentId?: string;
  moveId?: string;
  fromPool?: string;
  toPool?: string;
  skillsBefore?: Record<string, number>;
  skillsAfter?: Record<string, number>;
  fence?: number;
  detail?: string;
}

export interface DoneRecord {
  at: number;
  by: string;
  fence: number;
  /** `claimed` while being carried out, then `done`, or `skipped` (with why). */
  outcome: 'claimed' | 'done' | 'skipped';
  why?: string;
  /** For moves: the agent's skills before, to restore on return when no back-office skills are set. */
  skillsBefore?: Record<string, number>;
}

export class VersionConflict extends Error {}

const PLAN_TTL_S = 400 * 86400;
const AUDIT_MAX = 20000;

/** Writes the plan if the stored one has the expected version (-1: whatever is stored). */
const PUT_PLAN = `
local cur = redis.call('GET', KEYS[1])
local want = tonumber(ARGV[2])
if want >= 0 then
  local v = 0
  if cur then v = cjson.decode(cur).version end
  if v ~= want then return redis.error_reply('version ' .. tostring(v)) end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 1
`;

/** Becomes leader if nobody is (SET NX PX) and takes the next fencing token; 0 when someone else leads. */
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0
`;

/** Extends the lease while this instance still holds it with the current token. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('GET', KEYS[2]) == ARGV[3] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('GET', KEYS[2]) == ARGV[2] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * Claims a step for execution, fenced: only the current leader with the current token may, and
 * only once per step — unless an earlier leader claimed it and died before finishing (its record
 * still says 'claimed' with an older token), when the new leader takes it over. A move also writes
 * the agent's pool in the same atomic step.
 * KEYS: leader, fence, done hash, agent hash. ARGV: instance, token, step id, record, pool ('' = none).
 * Returns 1 claimed, 0 already done, -1 not the leader (any more).
 */
const CLAIM = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('GET', KEYS[2]) ~= ARGV[2] then return -1 end
local prev = redis.call('HGET', KEYS[3], ARGV[3])
if prev then
  local p = cjson.decode(prev)
  if p.outcome ~= 'claimed' or tonumber(p.fence) >= tonumber(ARGV[2]) then return 0 end
end
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[3], ${PLAN_TTL_S})
if ARGV[5] ~= '' and redis.call('EXISTS', KEYS[4]) == 1 then
  redis.call('HSET', KEYS[4], 'pool', ARGV[5])
end
return 1
`;

const FINISH = `
local prev = redis.call('HGET', KEYS[1], ARGV[1])
if prev and tonumber(cjson.decode(prev).fence) == tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0
`;

export class TidalStore {
  readonly keys: TidalKeys;

  constructor(
    readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new TidalKeys(prefix);
  }

  // ---- plans ----
  async getPlan(date: string): Promise<TidalPlan | null> {
    const v = await this.redis.get(this.keys.plan(date));
    return v ? (JSON.parse(v) as TidalPlan) : null;
  }

  /** Stores the plan; `expectedVersion` is the version it replaces (-1: any, 0: none stored yet). */
  async putPlan(plan: TidalPlan, expectedVersion: number): Promise<void> {
    try {
      await this.redis.eval(
        PUT_PLAN,
        1,
        this.keys.plan(plan.date),
        JSON.stringify(plan),
        String(expectedVersion),
        String(PLAN_TTL_S),
      );
    } catch (e) {
      const m = /version (\d+)/.exec((e as Error).message);
      if (m)
        throw new VersionConflict(
          `the plan of ${plan.date} is at version ${m[1]}, not ${expectedVersion}: reload it and try again`,
        );
      throw e;
    }
  }

  // ---- roster ----
  async roster(): Promise<TidalAgent[]> {
    const h = await this.redis.hgetall(this.keys.roster());
    return Object.values(h)
      .map((v) => JSON.parse(v) as TidalAgent)
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async rosterAgent(id: string): Promise<TidalAgent | null> {
    const v = await this.redis.hget(this.keys.roster(), id);
    return v ? (JSON.parse(v) as TidalAgent) : null;
  }

  async putRosterAgent(a: TidalAgent): Promise<void> {
    await this.redis.hset(this.keys.roster(), a.id, JSON.stringify(a));
  }

  async removeRosterAgent(id: string): Promise<boolean> {
    return (await this.redis.hdel(this.keys.roster(), id)) > 0;
  }

  /** Records when an agent last moved, for "least recently moved first". */
  async touchLastMoved(id: string, at: number): Promise<void> {
    const a = await this.rosterAgent(id);
    if (a) await this.putRosterAgent({ ...a, lastMovedAt: at });
  }

  // ---- audit ----
  async audit(entry: AuditEntry): Promise<void> {
    await this.redis
      .multi()
      .lpush(this.keys.audit(), JSON.stringify(entry))
      .ltrim(this.keys.audit(), 0, AUDIT_MAX - 1)
      .exec();
  }

  async auditEntries(opts: { date?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    const limit = opts.limit ?? 200;
    const raw = await this.redis.lrange(this.keys.audit(), 0, opts.date ? AUDIT_MAX - 1 : limit - 1);
    const all = raw.map((v) => JSON.parse(v) as AuditEntry);
    return (opts.date ? all.filter((e) => e.date === opts.date) : all).slice(0, limit);
  }

  // ---- execution records ----
  async done(date: string): Promise<Record<string, DoneRecord>> {
    const h = await this.redis.hgetall(this.keys.done(date));
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, JSON.parse(v) as DoneRecord]));
  }

  // ---- leadership ----
  /** Returns the new fencing token, or 0 when another instance leads. */
  async acquire(instance: string, leaseMs: number): Promise<number> {
    return Number(
      await this.redis.eval(ACQUIRE, 2, this.keys.leader(), this.keys.fence(), instance, String(leaseMs)),
    );
  }

  async renew(instance: string, token: number, leaseMs: number): Promise<boolean> {
    const r = await this.redis.eval(
      RENEW,
      2,
      this.keys.leader(),
      this.keys.fence(),
      instance,
      String(leaseMs),
      String(token),
    );
    return Number(r) === 1;
  }

  async release(instance: string, token: number): Promise<void> {
    await this.redis.eval(RELEASE, 2, this.keys.leader(), this.keys.fence(), instance, String(token));
  }

  async leader(): Promise<{ instance: string | null; fence: number; leaseMs: number }> {
    const [instance, fence, ttl] = await Promise.all([
      this.redis.get(this.keys.leader()),
      this.redis.get(this.keys.fence()),
      this.redis.pttl(this.keys.leader()),
    ]);
    return { instance, fence: Number(fence ?? 0), leaseMs: Math.max(0, ttl) };
  }

  /** Marks a claimed step finished (only the claimer's token may). */
  async finish(date: string, stepId: string, record: DoneRecord): Promise<void> {
    await this.redis.eval(
      FINISH,
      1,
      this.keys.done(date),
      stepId,
      JSON.stringify(record),
      String(record.fence),
    );
  }

  /** Fenced, once-only claim of a step (see CLAIM). */
  async claim(
    instance: string,
    token: number,
    date: string,
    stepId: string,
    record: DoneRecord,
    pool?: { agentId: string; pool: string },
  ): Promise<1 | 0 | -1> {
    const r = await this.redis.eval(
      CLAIM,
      4,
      this.keys.leader(),
      this.keys.fence(),
      this.keys.done(date),
      this.keys.agent(pool?.agentId ?? '-'),
      instance,
      String(token),
      stepId,
      JSON.stringify(record),
      pool?.pool ?? '',
    );
    return Number(r) as 1 | 0 | -1;
  }
}
