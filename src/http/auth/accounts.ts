// The accounts a router's HTTP side needs, built once per app from its Redis.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ApiTokenStore } from '../../accounts/api-tokens.ts';
import { AuditLog } from '../../accounts/audit-log.ts';
import { SessionStore } from '../../accounts/sessions.ts';
import { UserStore } from '../../accounts/users.ts';
import type { Keys } from '../../redis/keys.ts';

export interface Accounts {
  users: UserStore;
  sessions: SessionStore;
  apiTokens: ApiTokenStore;
  audit: AuditLog;
  /**
   * A token that never leaves this process: the audit's own reads of a resource before and after a change
   * (app.inject) use it.
   */
  internalToken: string;
}

export function buildAccounts(redis: Redis, keys: Keys, sessionTtlS: number): Accounts {
  return {
    users: new UserStore(redis, keys),
    sessions: new SessionStore(redis, keys, sessionTtlS),
    apiTokens: new ApiTokenStore(redis, keys),
    audit: new AuditLog(redis, keys),
    internalToken: `hi_${randomBytes(32).toString('base64url')}`,
  };
}
