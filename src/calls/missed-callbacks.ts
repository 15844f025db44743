// Missed-call callback (漏接电话回拨, 国办函〔2025〕66号): every caller who hung up before reaching a human (in the
// IVR, in the queue, or during an outage, as the switch reconciler records them) is called back when agents are
// free and within the callback hours: once per number per window, never a number on the do-not-call list. Distinct
// from virtual hold, which keeps a caller's place; a missed-call callback never takes an agent from a live caller:
// it joins the queue only when nobody is waiting and an agent is free, and then rides the virtual-hold machinery
// (a call kept in line with no channel, placed by CallbackPlacer when the ACD reserves an agent for it).
import { newCallId } from './call-id.ts';
import type { Redis } from 'ioredis';
import type { AcdStore } from '../acd/store.ts';
import { dialNumber } from '../esl/dial-string.ts';
import type { Logger } from '../logging/logger.ts';
import type { Keys } from '../redis/keys.ts';
import type { CallRecord } from '../records/call-records.ts';
import { minuteOfDay } from '../history/local-time.ts';
import { CST_OFFSET_MS } from '../tidal/time.ts';

export interface MissedCallbackOptions {
  enabled: boolean;
  /** Local hours callbacks are placed in, minutes from midnight [from, to). */
  fromMin: number;
  toMin: number;
  /** A number is called back at most once per this many seconds. */
  windowS: number;
  /** Callers older than this are not called back any more (s). */
  maxAgeS: number;
}

/** What a missed caller's callback needs from their call (kept with the pending number). */
interface MissedInfo {
  line: string;
  lineName: string;
  mergeMode: string;
  skill: string;
  dialled: string;
  missedAt: number;
}

// 'failed': a caller let go because they could not be put through (two agents' legs gone before the join); 'busy':
// one turned away by an overloaded switch.
const MISSED_OUTCOMES = new Set(['abandoned', 'ended-in-ivr', 'failed', 'busy']);
export const MISSED_CALLBACK_PATH = '漏接回拨';

export class MissedCallbacks {
  placed = 0;
  skipped = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly acd: AcdStore,
    private readonly opts: MissedCallbackOptions,
    private readonly log: Logger,
    /** True when a human is free and no live caller waits (the replica's view). */
    private readonly agentsIdle: () => boolean,
  ) {}

  private k(name: string): string {
    return `${this.keys.prefix}missedcb:${name}`;
  }

  /** A record was written: a caller who never reached a human is noted for a callback. */
  async onRecord(rec: CallRecord): Promise<void> {
    if (!this.opts.enabled || !MISSED_OUTCOMES.has(rec.outcome) || rec.callback) return;
    let number: string;
    try {
      number = dialNumber(rec.caller, 'caller');
    } catch {
      return; // withheld or not a number that can be dialled
    }
    if (await this.redis.sismember(this.k('dnc'), number)) return;
    // Called back within the window already: not again (tick checks too, for a callback placed meanwhile).
    if (await this.redis.exists(this.k(`recent:${number}`))) return;
    const info: MissedInfo = {
      line: rec.line,
      lineName: rec.line,
      mergeMode: rec.mergeMode,
      skill: rec.skill || 'general',
      dialled: rec.dialled,
      missedAt: rec.endedAt,
    };
    await this.redis
      .multi()
      .zadd(this.k('pending'), 'NX', rec.endedAt, number)
      .hset(this.k('info'), number, JSON.stringify(info))
      .exec();
  }

  async doNotCall(number: string, on: boolean): Promise<void> {
    const n = dialNumber(number, 'number');
    if (on) await this.redis.multi().sadd(this.k('dnc'), n).zrem(this.k('pending'), n).exec();
    else await this.redis.srem(this.k('dnc'), n);
  }

  async doNotCallList(): Promise<string[]> {
    return (await this.redis.smembers(this.k('dnc'))).sort();
  }

  async pending(): Promise<number> {
    return this.redis.zcard(this.k('pending'));
  }

  private inHours(now: number): boolean {
    // The hotline's hours are China time, whatever the server's zone (history times are local times kept as UTC).
    const min = minuteOfDay(now + CST_OFFSET_MS);
    return min >= this.opts.fromMin && min < this.opts.toMin;
  }

  /**
   * One step (every few seconds, on every router; a short lock makes one of them act): when agents are idle and
   * it is callback time, the oldest pending number becomes a callback kept in line. Returns its call id.
   */
  async tick(now = Date.now()): Promise<string | null> {
    if (!this.opts.enabled || !this.inHours(now) || !this.agentsIdle()) return null;
    if (!(await this.redis.set(this.k('lock'), '1', 'PX', 2000, 'NX'))) return null;
    for (;;) {
      const [number, score] = await this.redis.zpopmin(this.k('pending'));
      if (!number) return null;
      const raw = await this.redis.hget(this.k('info'), number);
      await this.redis.hdel(this.k('info'), number);
      if (now - Number(score) > this.opts.maxAgeS * 1000) {
        this.skipped++;
        continue;
      }
      if (await this.redis.sismember(this.k('dnc'), number)) {
        this.skipped++;
        continue;
      }
      // Once per number per window: the window starts when the callback is placed.
      if (!(await this.redis.set(this.k(`recent:${number}`), String(now), 'EX', this.opts.windowS, 'NX'))) {
        this.skipped++;
        continue;
      }
      const info = raw ? (JSON.parse(raw) as MissedInfo) : null;
      const id = newCallId();
      await this.acd.createCall({
        id,
        uuid: id,
        owner: '*',
        line: info?.line ?? '12345',
        lineName: info?.lineName ?? '12345',
        mergeMode: info?.mergeMode ?? 'hub',
        skill: info?.skill ?? 'general',
        caller: number,
        dialled: info?.dialled ?? info?.line ?? '12345',
        priority: 'normal',
        ivrPath: [MISSED_CALLBACK_PATH],
        arrivedAt: now,
      });
      await this.redis.hset(this.keys.call(id), { callbackKind: 'missed' });
      await this.acd.markCallback(id, number);
      await this.acd.enqueue(id, info?.skill ?? 'general', [MISSED_CALLBACK_PATH], 'normal');
      this.placed++;
      this.log.info({ callId: id, caller: number }, 'missed caller queued for a callback');
      return id;
    }
  }
}
