// Runs the ACD: reads waiting calls and ready agents, lets policy.ts pair them, reserves each pair
// atomically, and hands the offer to the router instance that owns the caller's channel.
import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.ts';
import type { Keys } from '../redis/keys.ts';
import { assign } from './policy.ts';
import type { AcdStore } from './store.ts';

export type OfferHandler = (callId: string, agentId: string) => void;

export class Dispatcher {
  private readonly running = new Map<string, boolean>();
  private timer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  offersMade = 0;

  constructor(
    private readonly acd: AcdStore,
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly keys: Keys,
    private readonly instanceId: string,
    private readonly reservationTtlS: number,
    private readonly skills: () => Promise<string[]>,
    private readonly onOffer: OfferHandler,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const mine = this.keys.instanceChannel(this.instanceId);
    await this.sub.subscribe(mine);
    this.sub.on('message', (channel: string, text: string) => {
      if (channel !== mine) return;
      const m = JSON.parse(text) as { type: string; callId: string; agentId: string };
      if (m.type === 'offer') this.onOffer(m.callId, m.agentId);
    });
    // A safety net: events trigger dispatch, the tick catches anything an event missed.
    this.timer = setInterval(() => void this.runAll(), 1000);
    this.sweepTimer = setInterval(() => void this.sweep(), 2000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
  }

  async runAll(): Promise<void> {
    for (const s of await this.skills().catch(() => [])) await this.run(s);
  }

  /** Dispatches one skill's queue; concurrent requests for the same skill coalesce into a rerun. */
  async run(skill: string): Promise<void> {
    if (this.running.has(skill)) {
      this.running.set(skill, true);
      return;
    }
    this.running.set(skill, false);
    try {
      do {
        this.running.set(skill, false);
        await this.once(skill);
      } while (this.running.get(skill));
    } catch (err) {
      this.log.warn({ skill, err: (err as Error).message }, 'dispatch failed');
    } finally {
      this.running.delete(skill);
    }
  }

  private async once(skill: string): Promise<void> {
    const calls = await this.acd.waiting(skill);
    if (!calls.length) return;
    const agents = await this.acd.readyAgents(skill);
    if (!agents.length) return;
    for (const a of assign(calls, agents)) {
      const r = await this.acd.reserve(a.callId, a.agentId, this.reservationTtlS);
      if (!r.ok) {
        this.log.debug({ ...a, reason: r.reason }, 'reservation refused');
        this.running.set(skill, true);
        continue;
      }
      this.offersMade++;
      if (r.owner === this.instanceId) this.onOffer(a.callId, a.agentId);
      else
        await this.pub.publish(this.keys.instanceChannel(r.owner), JSON.stringify({ type: 'offer', ...a }));
    }
  }

  private async sweep(): Promise<void> {
    try {
      const freed = await this.acd.sweepExpiredReservations();
      if (freed.length) this.log.warn({ agents: freed }, 'expired reservations released');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'reservation sweep failed');
    }
  }
}
