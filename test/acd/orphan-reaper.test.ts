// A call whose router died mid-conversation ends on FreeSWITCH: a surviving instance closes and records it from
// the hangup event, and tells the agent's desktop the call ended (the dead router never will).
import type { Event } from 'modesl';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { AcdConfigStore } from '../../src/acd/config-store.ts';
import { AcdStore } from '../../src/acd/store.ts';
import { OrphanReaper } from '../../src/calls/orphan-reaper.ts';
import { loadConfig } from '../../src/config/env.ts';
import { jsonEvent } from '../../src/esl/guarded-connection.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { CallRecordStore } from '../../src/records/call-records.ts';
import { Keys } from '../../src/redis/keys.ts';
import { callInfo } from '../helpers/acd.ts';
import { cleanup, REDIS_URL, testPrefix } from '../helpers/redis.ts';

const prefix = testPrefix();
const keys = new Keys(prefix);
const redis = new Redis(REDIS_URL);
afterAll(async () => {
  redis.disconnect();
  await cleanup(prefix);
});

describe('orphan reaper', () => {
  it("closes a dead router's conversation when FreeSWITCH reports its end, and tells the agent's desktop", async () => {
    const acd = new AcdStore(redis, keys);
    const acdConfig = new AcdConfigStore(redis, keys);
    await acdConfig.seed(['general']);
    await redis.set(keys.instanceAlive('D'), '1', 'EX', 60);
    await acd.upsertAgent({ id: 'g1', name: 'g1', extension: '1001', skills: { general: 1 } });
    await acd.setAgentState('g1', 'ready');
    await acd.createCall(callInfo('c1', 'D'));
    await acd.enqueue('c1', 'general', [], 'normal');
    expect((await acd.reserve('c1', 'g1', 'general', 30)).ok).toBe(true);
    expect(await acd.connect('c1', 'g1')).toBe(true);
    await redis.del(keys.instanceAlive('D'));
    const told: unknown[][] = [];
    const config = { ...loadConfig({ HOTLINE_INSTANCE_ID: 'S' }) };
    const reaper = new OrphanReaper({
      config,
      acd,
      acdConfig,
      records: new CallRecordStore(redis, keys),
      isLocal: () => false,
      log: createLogger({ level: 'silent' }),
      notifyEnded: async (...a) => told.push(a),
    });
    const hangup = jsonEvent({
      'Event-Name': 'CHANNEL_HANGUP_COMPLETE',
      'Unique-ID': 'u-c1',
      'Hangup-Cause': 'NORMAL_CLEARING',
      variable_bridge_uuid: 'agent-leg',
    }) as Event;
    await reaper.onEvent(hangup);
    expect(told).toEqual([['g1', 'c1', 'answered']]);
    expect((await acd.getCall('c1'))?.state).toBe('ended');
    // Closed with no wrap-up (its router's wrap-up setting died with it): the agent is ready again.
    expect((await acd.getAgent('g1'))?.state).toBe('ready');
    expect(reaper.reaped).toBe(1);
  });

  it("hands a dead router's caller whose channel is still up to adoptUp (a parked caller), and closes nothing", async () => {
    const acd = new AcdStore(redis, keys);
    const acdConfig = new AcdConfigStore(redis, keys);
    await acdConfig.seed(['general']);
    await acd.createCall(callInfo('p1', 'D2'));
    await acd.enqueue('p1', 'general', [], 'normal');
    const reaper = new OrphanReaper({
      config: loadConfig({ HOTLINE_INSTANCE_ID: 'S' }),
      acd,
      acdConfig,
      records: new CallRecordStore(redis, keys),
      isLocal: () => false,
      log: createLogger({ level: 'silent' }),
    });
    const asked: string[][] = [];
    const sweepDeps = {
      waiting: () => [{ id: 'p1', owner: 'D2' }],
      busyAgents: async () => [],
      channelUp: async () => true,
      adoptUp: async (uuid: string, owner: string) => {
        asked.push([uuid, owner]);
        return 'adopted';
      },
    };
    const closed = await reaper.sweep(sweepDeps);
    expect(closed).toBe(0);
    expect(asked).toEqual([['u-p1', 'D2']]);
    // A living owner's call is not touched.
    await redis.set(keys.instanceAlive('D2'), '1', 'EX', 60);
    await reaper.sweep(sweepDeps);
    expect(asked).toHaveLength(1);
    expect((await acd.getCall('p1'))?.state).not.toBe('ended');
  });
});
