// Every call that reached FreeSWITCH on a hotline number gets a record, whoever served it. Calls that no router
// took (every router unreachable or overloaded: the dialplan played the apology and rang the fallback group, or
// the caller hung up first) are known only to FreeSWITCH: its hangup event, heard on the inbound event socket by
// every router instance, is turned into a record by exactly one of them.
import { randomUUID } from 'node:crypto';
import type { Event } from 'modesl';
import { isHangupEvent } from '../esl/hangup-event.ts';
import type { Redis } from 'ioredis';
import type { AcdStore } from '../acd/store.ts';
import type { Config } from '../config/env.ts';
import type { Logger } from '../logging/logger.ts';
import { normalizeCaller } from '../number-plan/normalize.ts';
import { resolveDialled, type NumberPlan } from '../number-plan/resolve.ts';
import type { CallRecordStore, Outcome } from '../records/call-records.ts';

/** A router writes its call's mapping within milliseconds of the socket connecting; this leaves ample margin. */
const SETTLE_MS = 3000;

export class SwitchReconciler {
  reconciled = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly deps: {
      config: Config;
      redis: Redis;
      acd: AcdStore;
      records: CallRecordStore;
      plan: () => Promise<NumberPlan>;
      log: Logger;
      settleMs?: number;
    },
  ) {}

  onEvent(e: Event): void {
    if (!isHangupEvent(e)) return;
    // Only the citizen's leg that entered the hotline dialplan (agents' and fallback legs carry no ingress).
    if (e.getHeader('variable_hotline_ingress') !== 'carrier') return;
    if (e.getHeader('Call-Direction') === 'outbound') return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.check(e).catch((err: Error) =>
        this.deps.log.warn({ err: err.message }, 'switch reconciliation failed'),
      );
    }, this.deps.settleMs ?? SETTLE_MS);
    t.unref();
    this.timers.add(t);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private async check(e: Event): Promise<void> {
    const { acd, config, redis, records, log } = this.deps;
    const uuid = e.getHeader('Unique-ID');
    if (!uuid) return;
    // A router took this channel: its own session, or the orphan reaper, writes the record.
    if (await acd.callIdByUuid(uuid)) return;
    const once = `${config.redis.prefix}reconciled:${uuid}`;
    if ((await redis.set(once, config.instanceId, 'EX', 86400, 'NX')) !== 'OK') return;
    const micros = (h: string) => Math.floor(Number(e.getHeader(h) ?? 0) / 1000);
    const epoch = (h: string) => Number(e.getHeader(h) ?? 0) * 1000;
    const arrivedAt = micros('Caller-Channel-Created-Time') || Date.now();
    const bridgedAt = epoch('variable_bridge_epoch');
    const bridged = !!(bridgedAt || e.getHeader('variable_last_bridge_to'));
    const failover = e.getHeader('variable_hotline_router_failover') ?? '';
    const plan = await this.deps.plan();
    const dialled = e.getHeader('variable_hotline_dialed') ?? e.getHeader('Caller-Destination-Number') ?? '';
    const line = resolveDialled(plan, dialled).line;
    const outcome: Outcome = bridged ? 'answered' : 'abandoned';
    await records.write({
      id: randomUUID(),
      uuid,
      line: line.number,
      mergeMode: line.mergeMode,
      skill: line.skill,
      caller: normalizeCaller(e.getHeader('Caller-Caller-ID-Number') ?? ''),
      dialled,
      priority: 'normal',
      ivrPath: [failover === 'fallback_group' ? '路由不可用，转备用坐席组' : '未进入路由'],
      arrivedAt,
      answeredAt: bridged ? bridgedAt || undefined : undefined,
      endedAt: micros('Caller-Channel-Hangup-Time') || Date.now(),
      agent: bridged ? 'fallback-group' : undefined,
      outcome,
      hangupCause: e.getHeader('Hangup-Cause') ?? 'NORMAL_CLEARING',
      noAnswerAgents: [],
      servedBy: failover === 'fallback_group' ? 'fallback-group' : 'switch',
      instance: `${config.instanceId} (from FreeSWITCH's hangup event)`,
    });
    this.reconciled++;
    log.warn(
      { uuid, line: line.number, outcome, failover: failover || undefined },
      'recorded a call no router served',
    );
  }
}
