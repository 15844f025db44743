// Every call traceable even when its router dies: when FreeSWITCH reports a channel gone whose call
// belonged to a router that is no longer alive, one surviving instance (the first to adopt it,
// atomically) closes the call in Redis and writes its record.
import type { Event } from 'modesl';
import { isHangupEvent } from '../esl/hangup-event.ts';
import type { AcdConfigStore } from '../acd/config-store.ts';
import type { AcdStore, StoredCall } from '../acd/store.ts';
import type { Config } from '../config/env.ts';
import type { Logger } from '../logging/logger.ts';
import { type CallRecordStore, type Outcome, recordBase } from '../records/call-records.ts';

/** How long an instance's heartbeat key lives (router.ts renews it every 1.5 s). */
const OWNER_HEARTBEAT_TTL_MS = 5000;

/**
 * A dead router's call whose channel is gone is closed by the sweep only if it is still open this long after the
 * sweep first saw it so: longer than onEvent's last look (two heartbeat lifetimes after the hangup).
 */
const SWEEP_GRACE_MS = 2 * (OWNER_HEARTBEAT_TTL_MS + 1000) + 1000;

export class OrphanReaper {
  reaped = 0;
  /** Until then, no router is judged dead: see holdFor. */
  private holdUntil = 0;
  /** When a sweep first found a dead router's call with its channel gone. */
  private readonly goneSince = new Map<string, number>();

  constructor(
    private readonly deps: {
      config: Config;
      acd: AcdStore;
      acdConfig: AcdConfigStore;
      records: CallRecordStore;
      isLocal: (callId: string) => boolean;
      log: Logger;
      /** Tells the agent's desktop the call ended (its router, which would have, is dead). */
      notifyEnded?: (agentId: string, callId: string, outcome: Outcome) => Promise<unknown>;
    },
  ) {}

  /**
   * Judges no router dead for a while: after a Redis restart every router's heartbeat key may have expired
   * while all of them were alive, and each writes it again only once its own connection is back.
   */
  holdFor(ms: number): void {
    this.holdUntil = Math.max(this.holdUntil, Date.now() + ms);
  }

  async onEvent(e: Event, attempt = 0): Promise<void> {
    if (!isHangupEvent(e)) return;
    const wait = this.holdUntil - Date.now();
    if (wait > 0) {
      setTimeout(() => void this.onEvent(e, attempt).catch(() => undefined), wait).unref();
      return;
    }
    const uuid = e.getHeader('Unique-ID');
    if (!uuid) return;
    const { acd, config } = this.deps;
    const callId = await acd.callIdByUuid(uuid);
    if (!callId || this.deps.isLocal(callId)) return;
    const call = await acd.getCall(callId);
    if (!call || call.state === 'ended' || call.state === 'lost' || call.mode === 'callback') return;
    const adopted = await acd.adopt(callId, config.instanceId);
    if (!adopted.ok) {
      // Its router may have died a moment ago: its heartbeat lives a few seconds more. Look again
      // once the heartbeat must have expired; a living router closes the call itself meanwhile.
      if (adopted.reason === 'owner-alive' && attempt < 2) {
        setTimeout(
          () => void this.onEvent(e, attempt + 1).catch(() => undefined),
          OWNER_HEARTBEAT_TTL_MS + 1000,
        ).unref();
      }
      return;
    }
    const bridged = !!(e.getHeader('variable_bridge_uuid') || e.getHeader('variable_last_bridge_to'));
    await this.close(callId, call, {
      uuid,
      outcome: call.state === 'talking' || bridged ? 'answered' : 'abandoned',
      hangupCause: e.getHeader('Hangup-Cause') ?? 'NORMAL_CLEARING',
    });
  }

  /**
   * Calls of dead routers whose hangup no router heard (the event socket was down when it came, or every router
   * was): a caller waiting in a dead router's queue, or an agent shown talking on a dead router's call. Each
   * whose channel is gone on the switch is closed and recorded, and its agent freed; a channel still up is left
   * to the dialplan (the next router's socket, or the fallback group) and to its hangup.
   */
  async sweep(deps: {
    waiting: () => Iterable<{ id: string; owner: string }>;
    busyAgents: () => Promise<Array<{ callId?: string }>>;
    channelUp: (uuid: string) => Promise<boolean>;
    /**
     * A dead router's call whose channel is still up: a parked caller has no dialplan to move it on, and is taken
     * here (ParkedCalls.adopt). Absent, or 'skipped': left to the dialplan and its hangup, as a socket's caller.
     */
    adoptUp?: (uuid: string, owner: string) => Promise<string>;
  }): Promise<number> {
    if (Date.now() < this.holdUntil) return 0;
    const { acd, config } = this.deps;
    const ids = new Set<string>();
    for (const c of deps.waiting()) ids.add(c.id);
    for (const a of await deps.busyAgents()) if (a.callId) ids.add(a.callId);
    let closed = 0;
    // Forget what no sweep has closed in a long while (closed by another router, or by its hangup).
    for (const [id, t] of this.goneSince) if (Date.now() - t > 10 * 60_000) this.goneSince.delete(id);
    for (const callId of ids) {
      if (this.deps.isLocal(callId)) continue;
      const call = await acd.getCall(callId);
      if (!call || call.state === 'ended' || call.state === 'lost' || call.mode === 'callback') continue;
      if (!call.uuid || call.owner === config.instanceId || call.owner === '*') continue;
      if (await acd.ownerAlive(call.owner)) continue;
      let up: boolean;
      try {
        up = await deps.channelUp(call.uuid);
      } catch {
        continue; // the switch cannot be asked now: the next sweep will
      }
      if (up) {
        this.goneSince.delete(callId);
        const done = await deps.adoptUp?.(call.uuid, call.owner).catch(() => 'skipped');
        if (done && done !== 'skipped')
          this.deps.log.warn(
            { callId, previousOwner: call.owner, done },
            'took a parked caller whose router died',
          );
        continue;
      }
      // The hangup event path (onEvent, which knows whether the caller was bridged) gets the first chance; it
      // looks again until the dead router's heartbeat has expired. Only what it never heard of is closed here.
      const since = this.goneSince.get(callId);
      if (since === undefined) this.goneSince.set(callId, Date.now());
      if (since === undefined || Date.now() - since < SWEEP_GRACE_MS) continue;
      this.goneSince.delete(callId);
      const adopted = await acd.adopt(callId, config.instanceId);
      if (!adopted.ok) continue;
      await this.close(callId, call, {
        uuid: call.uuid,
        outcome: call.state === 'talking' ? 'answered' : 'abandoned',
        hangupCause: 'UNKNOWN',
      });
      closed++;
    }
    return closed;
  }

  /**
   * A call of this instance's own whose channel is gone while nobody drove it (its parked caller hung up while the
   * parked-call sockets were down, ParkedCalls 'regained'): no hangup event will come for it. Closed and recorded
   * like a dead router's. Returns whether it was.
   */
  async closeLost(uuid: string): Promise<boolean> {
    const { acd, config } = this.deps;
    const callId = await acd.callIdByUuid(uuid);
    if (!callId || this.deps.isLocal(callId)) return false;
    const call = await acd.getCall(callId);
    if (!call || call.state === 'ended' || call.state === 'lost' || call.mode === 'callback') return false;
    if (call.owner !== config.instanceId) return false;
    const adopted = await acd.adopt(callId, config.instanceId);
    if (!adopted.ok) return false;
    await this.close(callId, call, {
      uuid,
      outcome: call.state === 'talking' ? 'answered' : 'abandoned',
      hangupCause: 'UNKNOWN',
    });
    return true;
  }

  private async close(
    callId: string,
    call: StoredCall,
    how: { uuid: string; outcome: Outcome; hangupCause: string },
  ): Promise<void> {
    const { acd, config, records, log } = this.deps;
    const { outcome } = how;
    const { queues } = await this.deps.acdConfig.load();
    await acd.finish(callId, 0);
    await records.write(
      {
        ...recordBase(call),
        uuid: how.uuid,
        answeredAt: call.answeredAt,
        endedAt: Date.now(),
        agent: call.agent || undefined,
        outcome,
        hangupCause: how.hangupCause,
        instance:
          call.owner === config.instanceId
            ? config.instanceId
            : `${config.instanceId} (for ${call.owner}, which died)`,
      },
      queues.get(call.skill)?.serviceLevelS,
    );
    this.reaped++;
    if (call.agent) await this.deps.notifyEnded?.(call.agent, callId, outcome).catch(() => undefined);
    log.warn(
      { callId, previousOwner: call.owner, outcome },
      call.owner === config.instanceId
        ? 'closed a call whose channel went while nobody drove it'
        : 'closed a call whose router died',
    );
  }
}
