// Which calls the missed-call callback takes up: every caller who never reached a human, whatever ended the call,
// and none who did. Straight on the real Redis, without the tick (which would place the callback at once).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcdStore } from '../../src/acd/store.ts';
import { MissedCallbacks } from '../../src/calls/missed-callbacks.ts';
import { createLogger } from '../../src/logging/logger.ts';
import type { CallRecord, Outcome } from '../../src/records/call-records.ts';
import { Keys } from '../../src/redis/keys.ts';
import { cleanup, REDIS_URL, testPrefix } from '../helpers/redis.ts';

const prefix = testPrefix();
let redis: Redis;
beforeAll(() => {
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  redis.disconnect();
  await cleanup(prefix);
});

function record(caller: string, outcome: Outcome): CallRecord {
  const now = Date.now();
  return {
    id: `id-${caller}`,
    uuid: `uuid-${caller}`,
    line: '12345',
    mergeMode: 'hub',
    skill: 'general',
    caller,
    dialled: '12345',
    priority: 'normal',
    ivrPath: [],
    arrivedAt: now - 30_000,
    endedAt: now,
    outcome,
    hangupCause: 'NORMAL_CLEARING',
    noAnswerAgents: [],
    instance: 'test',
  } as CallRecord;
}

describe('missed-call callback outcomes', () => {
  it('notes callers who never reached a human, including those let go as failed, and no one served', async () => {
    const missed = new MissedCallbacks(
      redis,
      new Keys(prefix),
      {} as AcdStore,
      { enabled: true, fromMin: 0, toMin: 24 * 60, windowS: 3600, maxAgeS: 86_400 },
      createLogger({ level: 'silent' }),
      () => false,
    );
    const outcomes: Array<[string, Outcome]> = [
      ['13800007001', 'abandoned'],
      ['13800007002', 'ended-in-ivr'],
      // Two agents' legs gone before the join (phones dropping as they answer, an overloaded switch).
      ['13800007003', 'failed'],
      ['13800007004', 'answered'],
      ['13800007005', 'transferred'],
      ['13800007006', 'message'],
    ];
    for (const [caller, outcome] of outcomes) await missed.onRecord(record(caller, outcome));
    const pending = await redis.zrange(`${prefix}missedcb:pending`, '0', '-1');
    expect(pending.sort()).toEqual(['13800007001', '13800007002', '13800007003']);
  });
});
