// Nobody overtakes a caller earlier in their own line, whatever a deciding router's replica missed: Redis refuses
// the later caller's reservation while an earlier one could take the agent, and the dispatcher decides again once
// its replica has caught up (CI once saw a router offer its own later caller while another router's waited).
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
const log = createLogger({ level: 'silent' });
afterAll(async () => {
  redis.disconnect();
  sub.disconnect();
  await cleanup(prefix);
});

async function arrive(acd: AcdStore, id: string, owner: string, skill: string): Promise<void> {
  await acd.createCall(callInfo(id, owner, skill));
  await acd.enqueue(id, skill, [], 'normal');
  // Queue times in ms: the next caller is queued later.
  await new Promise((r) => setTimeout(r, 3));
}

describe('the order of a line', () => {
  it('refuses a later caller an agent an earlier one could take, and passes over only those the policy does', async () => {
    const acd = new AcdStore(redis, keys);
    await redis.set(keys.instanceAlive('A'), '1', 'EX', 60);
    for (const id of ['q1', 'q2', 'q3']) {
      await acd.upsertAgent({ id, name: id, extension: `10${id.slice(1)}`, skills: { order: 1 } });
      await acd.setAgentState(id, 'ready');
    }
    await arrive(acd, 'e1', 'A', 'order');
    await arrive(acd, 'e2', 'A', 'order');
    expect(await acd.reserve('e2', 'q1', 'order', 30)).toEqual({ ok: false, reason: 'not-first' });
    // Another line's caller is not held up by this one.
    await arrive(acd, 'x1', 'A', 'other');
    expect((await acd.reserve('x1', 'q3', 'order', 30)).ok).toBe(true);
    await acd.release('x1', 'q3');
    await acd.finish('x1', 0);
    // An earlier caller who already missed this agent may be passed over (the policy offers them others first).
    expect((await acd.reserve('e1', 'q1', 'order', 30)).ok).toBe(true);
    expect(await acd.noAnswer('e1', 'q1', 3)).toBe('ready');
    expect((await acd.reserve('e2', 'q1', 'order', 30)).ok).toBe(true);
    // But not for an agent they have not tried.
    await arrive(acd, 'e3', 'A', 'order');
    expect(await acd.reserve('e3', 'q2', 'order', 30)).toEqual({ ok: false, reason: 'not-first' });
    // A transfer to a named agent is no queue decision: the line does not hold it.
    expect((await acd.reserve('e3', 'q2', 'order', 30, '', true)).ok).toBe(true);
    await acd.release('e3', 'q2');
    expect((await acd.reserve('e1', 'q2', 'order', 30)).ok).toBe(true);
    // An earlier caller whose router is gone may be passed over: a survivor adopts them.
    await arrive(acd, 'e4', 'dead-router', 'order');
    await arrive(acd, 'e5', 'A', 'order');
    expect((await acd.reserve('e3', 'q3', 'order', 30)).ok).toBe(true);
    await acd.release('e3', 'q3');
    expect(await acd.reserve('e5', 'q3', 'order', 30)).toEqual({ ok: false, reason: 'not-first' });
    await acd.finish('e3', 0);
    expect((await acd.reserve('e5', 'q3', 'order', 30)).ok).toBe(true);
    for (const id of ['e1', 'e2', 'e4', 'e5']) await acd.finish(id, 0);
    for (const id of ['q1', 'q2', 'q3']) await acd.setAgentState(id, 'logged_out', '', '', true);
  });

  it('a dispatcher whose replica missed the head of a line offers nobody behind it, and the head once caught up', async () => {
    const acd = new AcdStore(redis, keys);
    await acd.upsertAgent({ id: 'g1', name: 'g1', extension: '1001', skills: { general: 1 } });
    await arrive(acd, 'h1', 'S', 'general');
    await arrive(acd, 'h2', 'S', 'general');
    const config = new AcdConfigStore(redis, keys);
    await config.seed(['general']);
    const offers: string[] = [];
    const refusals: string[] = [];
    // The dispatcher's own store: the agent's change below comes as another router's would, by the stream.
    const mine = new AcdStore(redis, keys);
    const replica = new AcdReplica(mine, keys, async () => ['general'], log);
    const d = testDispatcher({
      acd: mine,
      config,
      redis,
      sub,
      keys,
      instance: 'S',
      handlers: { onOffer: (callId, agentId) => offers.push(`${callId}>${agentId}`) },
      log,
      replica,
    });
    d.onRefused = (reason) => refusals.push(reason);
    await d.start();
    try {
      // The stream entry of h1's queueing lost to this router (a stall, a bug): its replica has h2 alone.
      replica.state.forgetCall('h1');
      // Another router makes the agent ready.
      await acd.setAgentState('g1', 'ready');
      await waitFor(() => offers.length > 0, 8000, 'an offer');
      expect(offers).toEqual(['h1>g1']);
      expect(refusals).toContain('not-first');
    } finally {
      d.stop();
      await acd.finish('h1', 0);
      await acd.finish('h2', 0);
    }
  }, 15_000);
});
