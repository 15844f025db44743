// Test helpers for the real Redis that scripts/setup.sh starts: each test file gets its own prefix
// and removes its keys afterwards.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.HOTLINE_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

export function testPrefix(): string {
  return `hltest-${randomBytes(4).toString('hex')}:`;
}

export async function cleanup(prefix: string, url: string = REDIS_URL): Promise<void> {
  const r = new Redis(url);
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) await r.del(...keys);
  } while (cursor !== '0');
  r.disconnect();
}
