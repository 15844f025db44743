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

/**
 * The script by its text (EVAL): never refused with NOSCRIPT. After a Redis restart the script cache is empty;
 * EVALSHA's fallback resends a refused command later, and a command issued after it whose script another router
 * had loaded meanwhile runs first. For a call joining a queue that let a later caller be served first.
 */
export function runScriptInOrder(
  redis: Redis,
  script: string,
  numKeys: number,
  ...args: (string | number)[]
): Promise<unknown> {
  return redis.eval(script, numKeys, ...args);
}
