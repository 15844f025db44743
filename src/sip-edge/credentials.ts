// Agents' softphone credentials: a per-extension HA1 in Redis (set by operators with setPassword, never the
// password itself), else the shared agent password of the FreeSWITCH directory (HOTLINE_AGENT_SIP_PASSWORD).
import type { Redis } from 'ioredis';
import { ha1Of } from './digest.ts';
import type { SipKeys } from './keys.ts';

export const EXTENSION = /^\d{3,8}$/;

export class SipCredentials {
  constructor(
    private readonly redis: Redis,
    private readonly keys: SipKeys,
    private readonly realm: string,
    private readonly sharedPassword: string | null,
  ) {}

  /** HA1 for the extension in this realm, or null when it may not register at all. */
  async ha1(extension: string): Promise<string | null> {
    if (!EXTENSION.test(extension)) return null;
    const own = await this.redis.hget(this.keys.credentials(), extension);
    if (own) return own;
    return this.sharedPassword ? ha1Of(extension, this.realm, this.sharedPassword) : null;
  }

  async setPassword(extension: string, password: string): Promise<void> {
    if (!EXTENSION.test(extension)) throw new Error(`not an extension: ${extension}`);
    await this.redis.hset(this.keys.credentials(), extension, ha1Of(extension, this.realm, password));
  }

  async remove(extension: string): Promise<void> {
    await this.redis.hdel(this.keys.credentials(), extension);
  }
}
