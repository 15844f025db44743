// The record's write and the caller-history lookup run as one Lua script each (one command per call where a MULTI
// sent twenty): what they leave in Redis and what they read back, on the real server.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CallRecord, CallRecordStore, dayOf } from '../../src/records/call-records.ts';
import { Keys } from '../../src/redis/keys.ts';
import { callerIndexKey, lookupHistory } from '../../src/screen-pop/caller-history.ts';
import { cleanup, REDIS_URL, testPrefix } from '../helpers/redis.ts';

const prefix = testPrefix();
const keys = new Keys(prefix);
let redis: Redis;

beforeAll(() => {
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  redis.disconnect();
  await cleanup(prefix);
});

function record(over: Partial<CallRecord>): CallRecord {
  const at = Date.now() - 60_000;
  return {
    id: 'r1',
    uuid: 'u1',
    caller: '13700001111',
    dialled: '12345',
    line: '12345',
    skill: 'general',
    priority: 'normal',
    ivrPath: [],
    arrivedAt: at,
    queuedAt: at + 1000,
    answeredAt: at + 5000,
    endedAt: at + 65_000,
    outcome: 'answered',
    agent: 'a1',
    instance: 'test',
    ...over,
  } as CallRecord;
}

describe('the record script', () => {
  it('writes the record, its day index, the counters, the interval measures and the caller index', async () => {
    const store = new CallRecordStore(redis, keys);
    const rec = record({ id: 'w1' });
    await store.write(rec, 15);
    const day = dayOf(rec.arrivedAt);
    expect(await store.get('w1')).toEqual(rec);
    expect(await redis.zscore(keys.recordsByDay(day), 'w1')).toBe(String(rec.arrivedAt));
    expect(await redis.hgetall(keys.counters(day))).toMatchObject({
      offered: '1',
      answered: '1',
      'offered:12345': '1',
      'answered:12345': '1',
      missedCalledBack: '0',
      missedReached: '0',
    });
    const rows = await store.stats.rows(day);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ line: '12345', offered: 1, answered: 1, answeredInSL: 1, asaS: 4 });
    const index = callerIndexKey(keys, '13700001111');
    expect(await redis.zscore(index, 'w1')).toBe(String(rec.arrivedAt));
    expect(await redis.ttl(index)).toBeGreaterThan(30 * 86400);
    expect(await redis.ttl(keys.counters(day))).toBeGreaterThan(399 * 86400);
  });

  it('leaves an anonymous caller out of the history index and still counts the call', async () => {
    const store = new CallRecordStore(redis, keys);
    const rec = record({ id: 'anon', caller: '', outcome: 'abandoned', answeredAt: undefined });
    await store.write(rec, 15);
    expect(await store.get('anon')).toMatchObject({ outcome: 'abandoned' });
    expect(await redis.hget(keys.counters(dayOf(rec.arrivedAt)), 'abandoned')).toBe('1');
    expect(await redis.exists(callerIndexKey(keys, ''))).toBe(0);
  });
});

describe('the history lookup script', () => {
  it('counts the window without the offered call, returns at most ten records, newest first', async () => {
    const store = new CallRecordStore(redis, keys);
    const caller = '13700002222';
    const now = Date.now();
    for (let i = 0; i < 12; i++)
      await store.write(record({ id: `h${i}`, caller, arrivedAt: now - (i + 1) * 3600_000 }), 15);
    // The offered call is already in the index (a callback of a caller seen today): it is not their history.
    await redis.zadd(callerIndexKey(keys, caller), now - 10, 'offered');
    const h = await lookupHistory(redis, keys, caller, 'offered', now);
    expect(h.count).toBe(12);
    expect(h.repeat).toBe(true);
    expect(h.calls.map((c) => c.callId)).toEqual([
      'h0',
      'h1',
      'h2',
      'h3',
      'h4',
      'h5',
      'h6',
      'h7',
      'h8',
      'h9',
    ]);
  });

  it('skips an index entry whose record is gone and reports a caller never seen as new', async () => {
    const store = new CallRecordStore(redis, keys);
    const caller = '13700003333';
    const now = Date.now();
    await store.write(record({ id: 'kept', caller, arrivedAt: now - 7200_000 }), 15);
    await store.write(record({ id: 'gone', caller, arrivedAt: now - 3600_000 }), 15);
    await redis.del(keys.record('gone'));
    const h = await lookupHistory(redis, keys, caller, 'x', now);
    expect(h.count).toBe(2);
    expect(h.calls.map((c) => c.callId)).toEqual(['kept']);
    expect(await lookupHistory(redis, keys, '13700009999', 'x', now)).toMatchObject({
      count: 0,
      repeat: false,
      calls: [],
    });
  });
});
