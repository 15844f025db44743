// The routers' replicas of waiting calls and ready agents, on the real Redis: two routers see each other's
// changes through the stream, each sees its own at once, a gap reloads, and a decision round reaches a call
// behind any number it cannot offer.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcdConfigStore } from '../../src/acd/config-store.ts';
import { AcdReplica } from '../../src/acd/replica.ts';
import { AcdStore } from '../../src/acd/store.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { Keys } from '../../src/redis/keys.ts';
import { callInfo as call, testDispatcher } from '../helpers/acd.ts';
import { cleanup, REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { waitFor as until } from '../helpers/stack.ts';

const log = createLogger({ level: 'silent' });
const prefix = testPrefix();
const keys = new Keys(prefix);
let ra: Redis;
let rb: Redis;
let acdA: AcdStore;
let acdB: AcdStore;
let repA: AcdReplica;
let repB: AcdReplica;
const skills = async () => ['general', 'legal'];

beforeAll(async () => {
  ra = new Redis(REDIS_URL);
  rb = new Redis(REDIS_URL);
  await ra.set(keys.instanceAlive('A'), '1', 'EX', 120);
  await ra.set(keys.instanceAlive('B'), '1', 'EX', 120);
  acdA = new AcdStore(ra, keys);
  acdB = new AcdStore(rb, keys);
  for (const [i, id] of ['g1', 'g2'].entries())
    await acdA.upsertAgent({ id, name: id, extension: `100${i}`, skills: { general: 1 } });
  repA = new AcdReplica(acdA, keys, skills, log);
  repB = new AcdReplica(acdB, keys, skills, log);
  await Promise.all([repA.start(), repB.start()]);
});

afterAll(async () => {
  repA.stop();
  repB.stop();
  ra.disconnect();
  rb.disconnect();
  await cleanup(prefix);
});

describe('ACD replica', () => {
  it("applies a router's own changes at once and the other router's through the stream", async () => {
    await acdA.createCall(call('c1'));
    await acdA.enqueue('c1', 'general', [], 'normal');
    // No wait: A applied its script's changes from the reply.
    expect(repA.state.position('c1')).toBe(1);
    await until(() => repB.state.position('c1') === 1);
    await acdB.setAgentState('g1', 'ready');
    expect(repB.state.getAgent('g1')?.state).toBe('ready');
    await until(() => repA.state.getAgent('g1'));
    // A reservation by B takes the call out of both replicas, and the agent with it.
    expect((await acdB.reserve('c1', 'g1', 'general', 30)).ok).toBe(true);
    expect(repB.state.position('c1')).toBe(0);
    await until(() => repA.state.position('c1') === 0 && !repA.state.getAgent('g1'));
    // Given back: both see the call in its old place and the agent ready.
    await acdA.release('c1', 'g1');
    await until(() => repB.state.position('c1') === 1 && repB.state.getAgent('g1'));
    await acdA.finish('c1', 0);
    await until(() => repA.state.position('c1') === 0 && repB.state.position('c1') === 0);
  });

  it('reloads the whole state when the stream has lost entries it had not read', async () => {
    const loads = repB.loads;
    // Entries trimmed before B read them: the next one it reads is not the one after its last.
    repB.stop();
    await acdA.createCall(call('c2'));
    await acdA.enqueue('c2', 'general', [], 'normal');
    await ra.xtrim(keys.acdChanges(), 'MAXLEN', 0);
    await acdA.createCall(call('c3'));
    await acdA.enqueue('c3', 'general', [], 'normal');
    void repB.start();
    await until(
      () => repB.loads > loads && repB.state.position('c2') === 1 && repB.state.position('c3') === 2,
    );
    await acdA.finish('c2', 0);
    await acdA.finish('c3', 0);
    await until(() => repB.state.position('c3') === 0);
  });

  it('offers a call that waits behind 50 no agent can take and 50 from a dead router', async () => {
    await ra.set(keys.instanceAlive('D'), '1', 'EX', 1);
    const base = Date.now() - 100_000;
    // 50 care calls for a desk no ready agent has (and no overflow), 50 of router D, then one that can go.
    for (let i = 0; i < 50; i++) {
      await acdA.createCall({ ...call(`l${i}`, 'A', 'legal'), priority: 'care' });
      await ra.hset(keys.call(`l${i}`), 'queuedAt', base + i);
      await acdA.enqueue(`l${i}`, 'legal', [], 'care');
      await acdA.createCall({ ...call(`d${i}`, 'D'), priority: 'care' });
      await acdA.enqueue(`d${i}`, 'general', [], 'care');
    }
    await acdA.createCall(call('ok'));
    await acdA.enqueue('ok', 'general', [], 'normal');
    await new Promise((r) => setTimeout(r, 1100)); // router D's heartbeat expires
    const config = new AcdConfigStore(ra, keys);
    await config.seed(['general', 'legal']);
    const q = (await config.load()).queues.get('legal')!;
    await config.putQueue({ ...q, overflowAfterS: 0 });
    const offers: Array<[string, string]> = [];
    const sub = new Redis(REDIS_URL);
    const d = testDispatcher({
      acd: acdA,
      config,
      redis: ra,
      sub,
      keys,
      instance: 'A',
      handlers: { onOffer: (c, a) => offers.push([c, a]) },
      log,
      replica: repA,
    });
    try {
      await acdA.setAgentState('g2', 'ready');
      await repA.refresh(Date.now(), true);
      expect(await d.round()).toBe(1);
      expect(offers).toEqual([['ok', expect.stringMatching(/^g[12]$/)]]);
      // The calls it could not offer are all still waiting, in their places.
      expect(repA.state.position('l49')).toBe(50);
      expect(repA.state.position('d0')).toBe(1);
    } finally {
      sub.disconnect();
    }
  });
});
