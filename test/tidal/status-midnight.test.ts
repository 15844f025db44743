// The tidal status after midnight (China Standard Time): seats an emergency moved late yesterday stay on the
// front until their return, and the status must say so, not only today's plan.
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { TidalService } from '../../src/tidal/service.ts';
import { localMidnight } from '../../src/tidal/time.ts';
import { cleanup, REDIS_URL, testPrefix } from '../helpers/redis.ts';

const redis = new Redis(REDIS_URL);
const prefix = testPrefix();
afterAll(async () => {
  await cleanup(prefix);
  redis.disconnect();
});

it('an emergency move made at 23:50 is still on the front at 00:05', async () => {
  const service = new TidalService(redis, prefix);
  const midnight = localMidnight('2026-12-05');
  const at = midnight - 10 * 60_000;
  await service.putRosterAgent(
    { id: 'b1', homePool: 'back', frontSkills: { general: 1 }, backSkills: { workorder: 1 } },
    'test',
    at,
  );
  const em = await service.emergency({ agentIds: ['b1'], durationMin: 60, ignoreCap: true }, 'test', at);
  expect(em.plan.date).toBe('2026-12-04');
  // What the scheduler's leader writes when it has carried the move out.
  const token = await service.store.acquire('test', 60_000);
  const moved = await service.store.claim('test', token, em.plan.date, `${em.moves[0]!.id}:move`, {
    at,
    by: 'test',
    fence: token,
    outcome: 'done',
  });
  expect(moved).toBe(1);

  const after = await service.status(midnight + 5 * 60_000);
  expect(after.date).toBe('2026-12-05');
  expect(after.plan).toBeNull();
  expect(after.onFront).toEqual(['b1']);
  expect((await service.status(at)).onFront).toEqual(['b1']);
});
