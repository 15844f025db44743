// Lua scripts by SHA1 (EVALSHA), loaded on first use: sending a script's text with every call costs Redis a
// hash and a cache lookup and the router the bytes, on paths that run several times per call.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Script text -> SHA1 (the scripts are module constants). */
const SHAS = new Map<string, string>();

export async function runScript(
  redis: Redis,
  script: string,
  numKeys: number,
  ...args: (string | number)[]
): Promise<unknown> {
  let sha = SHAS.get(script);
  if (!sha) {
    sha = createHash('sha1').update(script).digest('hex');
    SHAS.set(script, sha);
  }
  try {
    return await redis.evalsha(sha, numKeys, ...args);
  } catch (err) {
    if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
    return redis.eval(script, numKeys, ...args);
  }
}
