// Runs the ACD: lets policy.ts pair the replica's waiting calls and ready agents (no reads from Redis per
// round), reserves each pair atomically, and hands the offer to the router instance that owns the caller's
// channel. Calls past their queue's maximum wait are sent to its fallback.
import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.ts';
import type { Keys } from '../redis/keys.ts';
import type { AcdConfigStore } from './config-store.ts';
import { assignQueues, overdueInQueues } from './policy.ts';
import type { AcdReplica } from './replica.ts';
import type { AcdStore } from './store.ts';
import type { AgentView } from './types.ts';

/** After a Redis outage, how long rounds wait for every router's held writes (see afterRedisOutage). */
const AFTER_OUTAGE_HOLD_MS = 1000;

const NO_AGENTS: readonly AgentView[] = [];

/** After Redis refused a caller for one earlier in its line: the next round waits this long for the stream's news. */
const NOT_FIRST_RETRY_MS = 20;
/**
 * How long one caller may go on being refused so, round after round, before the replica is loaded again. Callers
 * refused once or twice (the stream a moment behind, as under load with several routers) never cost a load.
 */
const NOT_FIRST_RELOAD_AFTER_MS = 1000;

/** Every this many sweeps (2 s apart), the sweep reads every agent instead of the replica's pending ones. */
const FULL_SWEEP_EVERY = 15;

export interface DispatchHandlers {
  /** The agent is reserved for the call; the call's owner rings the agent. */
  onOffer(callId: string, agentId: string, extension?: string, skill?: string): void;
  /** The call waited its queue's maximum; its owner plays the fallback (callback offer, message). */
  onFallback(callId: string, kind: 'callback' | 'message'): void;
  /** An agent's wrap-up time ran out and the agent is ready again. */
  onWrapupEnded?(agentId: string): void;
  /**
   * A reservation its router never confirmed (the router died while offering) was released: the agent is ready
   * again and the offer their desktop shows is void.
   */
  onReservationExpired?(agentId: string, callId: string): void;
}

type Message =
  | { type: 'offer'; callId: string; agentId: string; extension?: string; skill?: string }
  | { type: 'fallback'; callId: string; kind: 'callback' | 'message' };

export class Dispatcher {
  private running = false;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly waiters: Array<() => void> = [];
  offersMade = 0;
  private sweeps = 0;
  private sweeping = false;
  /** Hears each round's duration, s (the metrics). */
  onRound: ((seconds: number) => void) | null = null;
  /** Hears each reservation Redis refused, by reason (the metrics). */
  onRefused: ((reason: string) => void) | null = null;
  /** No rounds before this time (see afterRedisOutage). */
  private holdUntil = 0;
  /** Bumped when the Redis connection closes: a round that began before cannot trust what it read. */
  private outages = 0;
  rounds = 0;
  /** Callers refused as not first in every round since the time noted (see behindInLine). */
  private refusedSince = new Map<string, number>();
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly acd: AcdStore,
    private readonly config: AcdConfigStore,
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly keys: Keys,
    private readonly instanceId: string,
    private readonly reservationTtlS: number,
    private readonly handlers: DispatchHandlers,
    private readonly log: Logger,
    readonly replica: AcdReplica,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    // A call joining a queue or an agent becoming ready, on any router: a round at once.
    this.replica.on('wake', () => this.request());
    await this.replica.start();
    const mine = this.keys.instanceChannel(this.instanceId);
    await this.sub.subscribe(mine);
    this.sub.on('message', (channel: string, text: string) => {
      if (channel !== mine) return;
      this.deliver(JSON.parse(text) as Message);
    });
    // Events trigger rounds; the tick catches what an event missed (and overflow times passing).
    this.timer = setInterval(() => this.request(), 1000);
    this.sweepTimer = setInterval(() => void this.sweep(), 2000);
  }

  /**
   * Redis is back after an outage: a fresh replica, a full sweep next, and a round once every router's writes
   * held during the outage have landed. Routers reconnect up to half a second apart (redis/client.ts), and a
   * router deciding before another's callers are back in the queues would serve its own later callers first.
   */
  afterRedisOutage(): void {
    this.replica.resync();
    this.sweeps = 0;
    this.holdUntil = Date.now() + AFTER_OUTAGE_HOLD_MS;
    setTimeout(() => this.request(), AFTER_OUTAGE_HOLD_MS).unref();
  }

  /**
   * The Redis connection closed. A round already past its reads would reserve, once Redis is back, from a replica
   * that misses the callers other routers queued meanwhile: it gives up instead (see round).
   */
  redisLost(): void {
    this.outages++;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.replica.stop();
  }

  /** Asks for a round; requests during a round coalesce into one more. */
  request(): void {
    if (Date.now() < this.holdUntil) {
      // Nobody waits for a round that is held: the round after the hold covers them.
      for (const w of this.waiters.splice(0)) w();
      return;
    }
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void (async () => {
      try {
        do {
          this.again = false;
          const batch = this.waiters.splice(0);
          try {
            const t0 = performance.now();
            await this.round();
            this.onRound?.((performance.now() - t0) / 1000);
          } finally {
            for (const w of batch) w();
          }
        } while (this.again || this.waiters.length);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'dispatch round failed');
      } finally {
        this.running = false;
        for (const w of this.waiters.splice(0)) w();
      }
    })();
  }

  /** A round that begins after this call; resolves when it has ended (its offers delivered locally). */
  requestAndWait(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.request();
    });
  }

  /** One decision round over every queue. Returns the number of offers made. */
  async round(now = Date.now()): Promise<number> {
    this.rounds++;
    const outages = this.outages;
    const { queues, settings } = await this.config.load();
    await this.replica.refresh(now);
    // Redis went away while this round read: its reads were answered after the outage, before the held writes of
    // other routers landed. The round after the hold decides instead.
    if (outages !== this.outages || Date.now() < this.holdUntil) return 0;
    const lists = this.replica.state.queueLists();
    if (!lists.length) return 0;
    for (const c of overdueInQueues(lists, now, queues)) {
      const fb = queues.get(c.skill)!.fallback;
      if (fb.kind === 'queue') {
        if (await this.acd.move(c.id, fb.skill))
          this.log.info(
            { callId: c.id, from: c.skill, to: fb.skill },
            'maximum wait: moved to fallback queue',
          );
      } else {
        const call = await this.acd.getCall(c.id);
        if (call && call.owner !== '*')
          await this.send(call.owner, { type: 'fallback', callId: c.id, kind: fb.kind });
      }
    }
    if (!this.replica.hasOfferable(now)) return 0;
    // The index gives the policy its agents: no list of every ready agent is built per round (each reservation
    // changes the ready set, and with thousands of agents that list cost more than the decision).
    const pairs = assignQueues(this.replica.state.queueLists(), NO_AGENTS, now, queues, settings, {
      // This router is alive whatever its heartbeat key says (after a Redis restart it is written again at once).
      skip: (c) => c.owner !== this.instanceId && this.replica.ownerGone(c),
      index: this.replica.index(settings.strategy, now),
    });
    if (!pairs.length) return 0;
    // Read before reserving: a reservation's reply takes the agent out of the replica's ready set.
    const extensions = new Map(
      pairs.map((p) => [p.agentId, this.replica.state.readyAgent(p.agentId)?.extension]),
    );
    // All of the round's reservations go out together (one write); each is checked on its own by RESERVE.
    const results = await Promise.all(
      pairs.map((a) => this.acd.reserve(a.callId, a.agentId, a.via, this.reservationTtlS, this.instanceId)),
    );
    let made = 0;
    const notFirst: string[] = [];
    for (const [i, r] of results.entries()) {
      const a = pairs[i]!;
      if (!r.ok) {
        this.log.debug({ ...a, reason: r.reason }, 'reservation refused');
        this.onRefused?.(r.reason);
        if (r.reason === 'not-first') notFirst.push(a.callId);
        else this.refused(a.callId, a.agentId, r.reason);
        continue;
      }
      made++;
      this.offersMade++;
      this.log.debug({ ...a, owner: r.owner }, 'reserved');
      // '*' marks a call no channel holds (a callback kept in line): whoever reserved it places it.
      await this.send(r.owner === '*' ? this.instanceId : r.owner, {
        type: 'offer',
        callId: a.callId,
        agentId: a.agentId,
        // Save the owner a read before it can ring the phone, and the screen-pop one for the call's queue.
        extension: extensions.get(a.agentId),
        skill: r.skill || undefined,
      });
    }
    if (notFirst.length) this.behindInLine(notFirst);
    else this.refusedSince.clear();
    return made;
  }

  /**
   * Redis refused a later caller because one earlier in its line could take the agent: this replica missed that
   * caller (another router queued it a moment ago), or skipped it on a liveness reading that is out of date, or the
   * round's pairing for it was refused. Another round at once would decide the same; one a moment later has the
   * stream's news and fresh liveness readings. A replica that keeps a caller refused for a second is loaded again.
   */
  private behindInLine(callIds: readonly string[]): void {
    this.replica.staleOwners();
    const now = Date.now();
    const since = new Map<string, number>();
    for (const id of callIds) since.set(id, this.refusedSince.get(id) ?? now);
    // Only callers refused in this round stay noted: one that got through, or left, starts afresh.
    this.refusedSince = since;
    if ([...since.values()].some((t) => now - t >= NOT_FIRST_RELOAD_AFTER_MS)) {
      this.log.warn({ callers: since.size }, 'ACD replica behind the queues; reloading it');
      this.replica.resync();
      this.refusedSince.clear();
    }
    if (this.stopped || this.again || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.request();
    }, NOT_FIRST_RETRY_MS);
    this.retryTimer.unref();
  }

  /**
   * A reservation found the replica behind Redis (another router took the call or the agent a moment ago, or
   * changed them): forget what is out of date (the stream brings its next change) and decide again.
   */
  private refused(callId: string, agentId: string, reason: string): void {
    if (reason === 'owner-gone') {
      // Rare (a router died): worth a line in the log, as a post-mortem of callers served out of order needs it.
      this.log.warn({ callId, agentId }, "reservation refused: the call's router is gone");
      void this.acd
        .getCall(callId)
        .then((c) => c && this.replica.markOwnerGone(c.owner))
        .catch(() => undefined);
      return;
    }
    if (reason === 'call-not-waiting') this.replica.state.forgetCall(callId);
    else if (reason === 'agent-lacks-skill') {
      this.replica.state.forgetAgent(agentId);
      void this.acd.notify('agent', agentId).catch(() => undefined);
    } else this.replica.state.forgetAgent(agentId);
    this.again = true;
  }

  private async send(owner: string, m: Message): Promise<void> {
    if (owner === this.instanceId) this.deliver(m);
    else await this.pub.publish(this.keys.instanceChannel(owner), JSON.stringify(m));
  }

  private deliver(m: Message): void {
    if (m.type === 'offer') this.handlers.onOffer(m.callId, m.agentId, m.extension, m.skill);
    else this.handlers.onFallback(m.callId, m.kind);
  }

  private async sweep(): Promise<void> {
    // During a Redis outage a sweep waits for Redis; the timer's next ones must not queue up behind it.
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      // The agents the replica saw reserved, ringing or in wrap-up; every agent once in a while (those already so
      // when the replica loaded, and any change it missed): reading 20,000 agents every 2 s would cost more than
      // all the routing.
      const full = this.sweeps++ % FULL_SWEEP_EVERY === 0;
      const { released, wrapupsEnded, strays } = await this.acd.sweep(
        Date.now(),
        full ? undefined : this.replica.state.pendingAgents(),
      );
      if (released.length)
        this.log.warn({ agents: released.map((r) => r.agentId) }, 'expired reservations released');
      if (strays.length)
        this.log.warn({ agents: strays }, 'agents freed from calls that had ended without them');
      for (const a of [...wrapupsEnded, ...strays]) this.handlers.onWrapupEnded?.(a);
      for (const r of released) this.handlers.onReservationExpired?.(r.agentId, r.callId);
      if (released.length || wrapupsEnded.length || strays.length) this.request();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'sweep failed');
    } finally {
      this.sweeping = false;
    }
  }
}
