// What the real tier's tests with router processes share: the admin API of a process, a greeting-less 12345, and
// the day's call records read straight from Redis.
import type { Redis } from 'ioredis';
import type { RouterProcess } from '../helpers/router-process.ts';
import { waitFor } from '../helpers/stack.ts';
import { recentDays } from '../helpers/recent-records.ts';

const ADMIN = 'dev-admin-token-change-me';

/** 12345 without its spoken greeting or survey: these tests are about where the caller goes, not what they hear. */
export const QUICK_12345 = {
  line: '12345',
  mode: 'direct',
  human: { skill: 'general', label: '转人工服务' },
  nodes: {},
};

/** The admin API of a router process, with the development admin token. */
export async function admin(r: RouterProcess, path: string, method = 'GET', body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${r.httpPort}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of many shapes, asserted per test
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}

/** The recent days' call records under a key prefix, read straight from Redis (the admin API pages them). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- record shape asserted per test
export async function recordsIn(redis: Redis, prefix: string): Promise<any[]> {
  const out = [];
  for (const day of recentDays())
    for (const id of await redis.zrange(`${prefix}records:${day}`, '0', '-1')) {
      const v = await redis.get(`${prefix}record:${id}`);
      if (v) out.push(JSON.parse(v));
    }
  return out;
}

export const recordIn = (redis: Redis, prefix: string, caller: string, timeoutMs: number) =>
  waitFor(
    async () => (await recordsIn(redis, prefix)).find((r) => r.caller === caller),
    timeoutMs,
    `record of ${caller}`,
  );
