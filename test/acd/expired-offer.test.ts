// A router that dies while an agent's phone rings never confirms the reservation: when it expires, the sweep frees
// the agent, the call keeps its place, and the dispatcher reports the void offer (the router tells the desktop).
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { AcdConfigStore } from '../../src/acd/config-store.ts';
import { AcdReplica } from '../../src/acd/replica.ts';
import { AcdStore } from '../../src/acd/store.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { Keys } from '../../src/redis/keys.ts';
import { callInfo, testDispatcher } from '../helpers/acd.ts';
import { waitFor } from '../helpers/stack.ts';
import { cleanup, REDIS_URL, testPrefix } from '../helpers/redis.ts';

const prefix = testPrefix();
const keys = new Keys(prefix);
const redis = new Redis(REDIS_URL);
const sub = new Redis(REDIS_URL);
afterAll(async () => {
  redis.disconnect();
  sub.disconnect();
  await cleanup(prefix);
});

describe('an offer whose router died', () => {
  it('is reported void when its reservation expires, and the agent is ready again', async () => {
    const log = createLogger({ level: 'silent' });
    const acd = new AcdStore(redis, keys);
    await redis.set(keys.instanceAlive('D'), '1', 'EX', 60);
    await acd.upsertAgent({ id: 'g1', name: 'g1', extension: '1001', skills: { general: 1 } });
    await acd.setAgentState('g1', 'ready');
    await acd.createCall(callInfo('c1', 'D'));
    await acd.enqueue('c1', 'general', [], 'normal');
    // Router D reserved g1 for its call, rang the phone, and died.
    expect((await acd.reserve('c1', 'g1', 'general', 1)).ok).toBe(true);
    await acd.setRinging('g1', 'c1');
    await redis.del(keys.instanceAlive('D'));
    const expired: Array<[string, string]> = [];
    const config = new AcdConfigStore(redis, keys);
    await config.seed(['general']);
    const d = testDispatcher({
      acd,
      config,
      redis,
      sub,
      keys,
      instance: 'S',
      handlers: { onReservationExpired: (a, c) => expired.push([a, c]) },
      log,
      replica: new AcdReplica(acd, keys, async () => ['general'], log),
    });
    await d.start();
    try {
      await waitFor(() => expired.length > 0, 8000, 'the expired offer');
      expect(expired).toEqual([['g1', 'c1']]);
      expect((await acd.getAgent('g1'))?.state).toBe('ready');
      expect((await acd.getCall('c1'))?.state).toBe('queued');
    } finally {
      d.stop();
    }
  }, 15_000);
});
