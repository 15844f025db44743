// Who is calling: a bearer token resolved to a principal. Login sessions (hs_), automation tokens (hat_), the
// desktop's signed agent tokens (v2.), the shared admin token from the environment (unless revoked in Redis),
// and the process's internal token (the audit's own reads).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ApiTokenStore } from '../../accounts/api-tokens.ts';
import { ROLES, type Principal, type Role } from '../../accounts/roles.ts';
import { SessionStore } from '../../accounts/sessions.ts';
import type { Keys } from '../../redis/keys.ts';
import { checkAgentToken } from '../../screen-pop/agent-token.ts';
import type { Accounts } from './accounts.ts';

export interface AuthenticateDeps {
  redis: Redis;
  keys: Keys;
  accounts: Accounts;
  adminToken: string;
  adminTokenRoles: readonly Role[];
  agentTokenSecret: string;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function bearer(header: string | undefined): string {
  const h = header ?? '';
  return h.startsWith('Bearer ') ? h.slice(7).trim() : '';
}

export class Authenticator {
  /** The shared token's revocation mark, read at most once a second. */
  private revoked: { at: number; hash: string | null } = { at: 0, hash: null };

  constructor(private readonly d: AuthenticateDeps) {}

  async principal(token: string): Promise<Principal | null> {
    if (!token || token.length > 512) return null;
    const a = this.d.accounts;
    if (same(token, a.internalToken)) return { kind: 'internal', name: 'audit', roles: ROLES };
    if (SessionStore.looksLike(token)) return a.sessions.principal(token);
    if (ApiTokenStore.looksLike(token)) return a.apiTokens.principal(token);
    if (/^v[12]\./.test(token)) {
      const c = await checkAgentToken(this.d.redis, this.d.keys, this.d.agentTokenSecret, token);
      return c.ok
        ? { kind: 'agent-token', name: c.claims.agentId, roles: ['agent'], agentId: c.claims.agentId }
        : null;
    }
    if (same(token, this.d.adminToken) && !(await this.sharedRevoked())) {
      return { kind: 'shared-token', name: 'shared-admin-token', roles: this.d.adminTokenRoles };
    }
    return null;
  }

  /** Refuses the shared admin token on every router until the environment gives another one. */
  async revokeShared(): Promise<void> {
    await this.d.redis.set(this.d.keys.sharedTokenRevoked(), sha(this.d.adminToken));
    this.revoked = { at: 0, hash: null };
  }

  private async sharedRevoked(): Promise<boolean> {
    const now = Date.now();
    if (now - this.revoked.at > 1000) {
      this.revoked = { at: now, hash: await this.d.redis.get(this.d.keys.sharedTokenRevoked()) };
    }
    return this.revoked.hash === sha(this.d.adminToken);
  }
}
