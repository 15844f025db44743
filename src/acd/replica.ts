// Keeps this router's ReplicaState current from Redis: one atomic load at start, then the change stream
// (`acd:stream`, appended by every ACD script) tailed on a connection of its own, and each script's own changes
// applied as soon as it returns. A gap in the stream's sequence numbers (entries trimmed while this router
// stalled) reloads the whole state. Decisions read the replica; only the reservation goes to Redis.
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.ts';
import type { Keys } from '../redis/keys.ts';
import { type Change, decodeChanges, ReplicaState, type ReplicaCall } from './replica-state.ts';
import type { AcdStore } from './store.ts';
import type { ReadyIndex } from './policy.ts';
import type { AgentStrategy, AgentView } from './types.ts';

/** How long a liveness or registration reading is trusted before a round reads it again. */
const OWNERS_TTL_MS = 1000;
const REGISTRATIONS_TTL_MS = 250;
/**
 * After a batch, the next read waits this long: this router applied its own changes already (from the scripts'
 * replies), so the stream matters for other routers' changes, and reading it once per change would cost every
 * router a wake-up for each script any router runs.
 */
const BATCH_PAUSE_MS = 5;

/** A change that may let a round offer something: a call joined a queue, or an agent became ready. */
function wakes(c: Change): boolean {
  return c.state === (c.kind === 'call' ? 'queued' : 'ready');
}

export class AcdReplica extends EventEmitter {
  readonly state = new ReplicaState();
  /** Sequence number and stream id of the last entry read from the stream (or of the loaded state). */
  private seq = 0;
  private lastId = '0-0';
  private loaded: Promise<void> | null = null;
  private reader: Redis | null = null;
  /** Bumped by start and stop: a tail loop of an earlier start ends. */
  private generation = 0;
  private readonly deadOwners = new Set<string>();
  private ownersReadAt = 0;
  private registered = new Map<string, number>();
  private registrationsReadAt = 0;
  /**
   * Sequence numbers of scripts this router ran and applied from their replies, ahead of the stream, in the
   * order the replies came (the order Redis ran them, on one connection): their stream entries need no decoding.
   */
  private localSeqs: number[] = [];
  private localHead = 0;
  /** Full loads since start (the first, and one per gap or lost connection). */
  loads = 0;
  /** Entries read from the stream. */
  streamed = 0;

  constructor(
    private readonly acd: AcdStore,
    private readonly keys: Keys,
    private readonly skills: () => Promise<Iterable<string>>,
    private readonly log: Logger,
  ) {
    super();
    acd.onChanges = (changes) => this.applyLocal(changes);
  }

  /** Loads the state and starts tailing the stream. */
  start(): Promise<void> {
    const gen = ++this.generation;
    this.reader = this.acd.redis.duplicate({ enableAutoPipelining: false });
    this.reader.on('error', () => undefined);
    const first = this.ready();
    // The tail starts whatever the first load does: it loads again (with the stream position) until it can.
    void this.tail(gen);
    return first;
  }

  stop(): void {
    this.generation++;
    this.reader?.disconnect();
    this.reader = null;
  }

  /** Resolves once a full state has been loaded. */
  ready(): Promise<void> {
    if (!this.loaded) {
      this.loaded = this.load().catch((err: Error) => {
        this.loaded = null;
        throw err;
      });
    }
    return this.loaded;
  }

  /**
   * Loads the whole state again at the next chance: after a Redis restart the stream and the sequence may have
   * gone back to an older snapshot, which the tail's gap check cannot see.
   */
  resync(): void {
    this.loaded = null;
    this.ownersReadAt = 0;
    this.deadOwners.clear();
  }

  /** Reads liveness and registrations again when their readings are stale (called before a round). */
  async refresh(now = Date.now(), force = false): Promise<void> {
    await this.ready();
    const jobs: Promise<void>[] = [];
    if (force || now - this.ownersReadAt >= OWNERS_TTL_MS) jobs.push(this.readOwners(now));
    if (this.acd.registrationKey && (force || now - this.registrationsReadAt >= REGISTRATIONS_TTL_MS))
      jobs.push(this.readRegistrations(now));
    await Promise.all(jobs);
  }

  /** A call that cannot be offered now: its router is gone (a survivor adopts or closes it). */
  ownerGone(c: ReplicaCall): boolean {
    return c.owner !== '*' && this.deadOwners.has(c.owner);
  }

  /** The next refresh reads every owner's liveness again, however recent the last reading. */
  staleOwners(): void {
    this.ownersReadAt = 0;
  }

  markOwnerGone(owner: string): void {
    this.deadOwners.add(owner);
  }

  /** Ready agents that may be offered a call: with a live registration when the SIP edge keeps them. */
  offerableAgents(now = Date.now()): readonly AgentView[] {
    const all = this.state.readyAgents();
    if (!this.acd.registrationKey) return all;
    return all.filter((a) => (this.registered.get(a.extension) ?? 0) > now);
  }

  /** Whether any ready agent may be offered a call now (stops at the first). */
  hasOfferable(now = Date.now()): boolean {
    if (!this.acd.registrationKey) return this.state.readyCount > 0;
    return this.state.someReady((a) => (this.registered.get(a.extension) ?? 0) > now);
  }

  /** The ready agents per skill for the policy (policy.ReadyIndex), offerable ones only. */
  index(strategy: AgentStrategy, now = Date.now()): ReadyIndex {
    if (!this.acd.registrationKey) return this.state.index(strategy);
    return this.state.index(strategy, (a) => (this.registered.get(a.extension) ?? 0) > now);
  }

  private applyLocal(changes: Change[]): void {
    const n = changes[0]?.n;
    if (n !== undefined && n > this.seq) this.localSeqs.push(n);
    if (this.state.applyAll(changes).some(wakes)) this.emit('wake');
  }

  private async load(): Promise<void> {
    const s = await this.acd.fullState(await this.skills());
    this.state.load(s.seq, s.calls, s.agents);
    this.seq = s.seq;
    this.localSeqs = this.localSeqs.filter((n) => n > s.seq);
    this.localHead = 0;
    this.lastId = s.lastId;
    this.loads++;
    this.emit('wake');
  }

  private async tail(gen: number): Promise<void> {
    const key = this.keys.acdChanges();
    let pruneAt = 0;
    const reader = this.reader;
    while (gen === this.generation && reader) {
      try {
        await this.ready();
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'ACD replica load failed; trying again');
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      let res: Array<[string, Array<[string, string[]]>]> | null;
      try {
        res = (await reader.xread('COUNT', 1000, 'BLOCK', 1000, 'STREAMS', key, this.lastId)) as typeof res;
      } catch (err) {
        if (gen !== this.generation) return;
        this.log.warn(
          { err: (err as Error).message },
          'ACD change stream read failed; reloading the replica',
        );
        await new Promise((r) => setTimeout(r, 250));
        await this.reload();
        continue;
      }
      if (gen !== this.generation) return;
      if (!res) continue;
      let wake = false;
      let gap = false;
      for (const [id, fields] of res[0]?.[1] ?? []) {
        this.lastId = id;
        // Ids are 0-<sequence number> (scripts.ts done()).
        const n = Number(id.slice(2));
        if (!Number.isSafeInteger(n) || n <= this.seq) continue;
        if (n !== this.seq + 1) {
          gap = true;
          break;
        }
        this.seq = n;
        this.streamed++;
        while (this.localHead < this.localSeqs.length && this.localSeqs[this.localHead]! < n)
          this.localHead++;
        if (this.localSeqs[this.localHead] === n) {
          this.localHead++;
          continue;
        }
        const c = fields[0] === 'c' ? fields[1] : undefined;
        if (this.state.applyAll(decodeChanges(n, c ?? '[]')).some(wakes)) wake = true;
      }
      if (gap) {
        this.log.warn({ after: this.seq }, 'ACD change stream has a gap; reloading the replica');
        await this.reload();
        continue;
      }
      if (this.localHead > 1000) {
        this.localSeqs = this.localSeqs.slice(this.localHead);
        this.localHead = 0;
      }
      if (this.streamed >= pruneAt) {
        this.state.prune(this.seq);
        pruneAt = this.streamed + 5000;
      }
      if (wake) this.emit('wake');
      await new Promise((r) => setTimeout(r, BATCH_PAUSE_MS));
    }
  }

  private async reload(): Promise<void> {
    this.loaded = null;
    await this.ready().catch((err: Error) =>
      this.log.warn({ err: err.message }, 'ACD replica reload failed'),
    );
  }

  private async readOwners(now: number): Promise<void> {
    const owners = [...this.state.owners()].filter((o) => o && o !== '*');
    this.ownersReadAt = now;
    if (!owners.length) return;
    const pipe = this.acd.redis.pipeline();
    for (const o of owners) pipe.exists(this.keys.instanceAlive(o));
    const res = (await pipe.exec()) ?? [];
    this.deadOwners.clear();
    res.forEach(([, v], i) => {
      if (Number(v) === 0) this.deadOwners.add(owners[i]!);
    });
  }

  private async readRegistrations(now: number): Promise<void> {
    this.registrationsReadAt = now;
    const flat = await this.acd.redis.zrangebyscore(this.acd.registrationKey, now, '+inf', 'WITHSCORES');
    const m = new Map<string, number>();
    for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i]!, Number(flat[i + 1]));
    this.registered = m;
  }
}
