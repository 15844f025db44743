// Runs the ACD: reads waiting calls and ready agents, lets policy.ts pair them, reserves each pair
// atomically, and hands the offer to the router instance that owns the caller's channel. Calls past
// their queue's maximum wait are sent to its fallback.
import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.ts';
import type { Keys } from '../redis/keys.ts';
import type { AcdConfigStore } from './config-store.ts';
import { assign, overdue } from './policy.ts';
import type { AcdStore } from './store.ts';

export interface DispatchHandlers {
  /** The agent is reserved for the call; the call's owner rings the agent. */
  onOffer(callId: string, agentId: string, extension?: string): void;
  /** The call waited its queue's maximum; its owner plays the fallback (callback offer, message). */
  onFallback(callId: string, kind: 'callback' | 'message'): void;
  /** An agent's wrap-up time ran out and the agent is ready again. */
  onWrapupEnded?(agentId: string): void;
}

type Message =
  | { type: 'offer'; callId: string; agentId: string; extension?: string }
  | { type: 'fallback'; callId: string; kind: 'callback' | 'message' };

export class Dispatcher {
  private running = false;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly waiters: Array<() => void> = [];
  offersMade = 0;
  rounds = 0;

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
  ) {}

  async start(): Promise<void> {
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

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
  }

  /** Asks for a round; requests during a round coalesce into one more. */
  request(): void {
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
            await this.round();
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
    const { queues, settings } = await this.config.load();
    const { calls, agents } = await this.acd.snapshot(queues.keys());
    if (!calls.length) return 0;
    for (const c of overdue(calls, now, queues)) {
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
    if (!agents.length) return 0;
    let made = 0;
    const extensions = new Map(agents.map((x) => [x.id, x.extension]));
    for (const a of assign(calls, agents, now, queues, settings)) {
      const r = await this.acd.reserve(a.callId, a.agentId, a.via, this.reservationTtlS);
      if (!r.ok) {
        this.log.debug({ ...a, reason: r.reason }, 'reservation refused');
        if (r.reason !== 'owner-gone') this.again = true;
        continue;
      }
      made++;
      this.offersMade++;
      // '*' marks a call no channel holds (a callback kept in line): whoever reserved it places it.
      await this.send(r.owner === '*' ? this.instanceId : r.owner, {
        type: 'offer',
        callId: a.callId,
        agentId: a.agentId,
        // Saves the owner a read before it can ring the phone.
        extension: extensions.get(a.agentId),
      });
    }
    return made;
  }

  private async send(owner: string, m: Message): Promise<void> {
    if (owner === this.instanceId) this.deliver(m);
    else await this.pub.publish(this.keys.instanceChannel(owner), JSON.stringify(m));
  }

  private deliver(m: Message): void {
    if (m.type === 'offer') this.handlers.onOffer(m.callId, m.agentId, m.extension);
    else this.handlers.onFallback(m.callId, m.kind);
  }

  private async sweep(): Promise<void> {
    try {
      const { released, wrapupsEnded } = await this.acd.sweep();
      if (released.length) this.log.warn({ agents: released }, 'expired reservations released');
      for (const a of wrapupsEnded) this.handlers.onWrapupEnded?.(a);
      if (released.length || wrapupsEnded.length) this.request();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'sweep failed');
    }
  }
}
