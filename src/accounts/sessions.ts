// Login sessions: an opaque random token given to the browser; Redis keeps only its SHA-256 (a copy of the
// database cannot be replayed), with the user's roles and an expiry. Revoked one by one or all of a user's.
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import { isRole, type Principal, type Role } from './roles.ts';

export interface SessionInfo {
  id: string;
  username: string;
  roles: Role[];
  agentId?: string;
  createdAt: number;
  expiresAt: number;
}

const PREFIX = 'hs_';

export const sessionId = (token: string) => createHash('sha256').update(token).digest('hex').slice(0, 32);

export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    readonly ttlS: number,
  ) {}

  async open(user: {
    username: string;
    roles: Role[];
    agentId?: string;
  }): Promise<{ token: string; session: SessionInfo }> {
    const token = PREFIX + randomBytes(32).toString('base64url');
    const now = Date.now();
    const s: SessionInfo = {
      id: sessionId(token),
      username: user.username,
      roles: user.roles,
      ...(user.agentId ? { agentId: user.agentId } : {}),
      createdAt: now,
      expiresAt: now + this.ttlS * 1000,
    };
    await this.redis
      .multi()
      .hset(this.keys.session(s.id), {
        username: s.username,
        roles: s.roles.join(','),
        agentId: s.agentId ?? '',
        createdAt: s.createdAt,
        expiresAt: s.expiresAt,
      })
      .expire(this.keys.session(s.id), this.ttlS)
      .sadd(this.keys.userSessions(s.username), s.id)
      .expire(this.keys.userSessions(s.username), this.ttlS)
      .exec();
    return { token, session: s };
  }

  static looksLike(token: string): boolean {
    return token.startsWith(PREFIX) && token.length < 100;
  }

  async principal(token: string): Promise<Principal | null> {
    if (!SessionStore.looksLike(token)) return null;
    const id = sessionId(token);
    const h = await this.redis.hgetall(this.keys.session(id));
    if (!h.username || Number(h.expiresAt) <= Date.now()) return null;
    return {
      kind: 'session',
      name: h.username,
      roles: (h.roles ?? '').split(',').filter(isRole),
      ...(h.agentId ? { agentId: h.agentId } : {}),
      id,
    };
  }

  async list(username: string): Promise<SessionInfo[]> {
    const out: SessionInfo[] = [];
    for (const id of await this.redis.smembers(this.keys.userSessions(username))) {
      const h = await this.redis.hgetall(this.keys.session(id));
      if (!h.username) {
        await this.redis.srem(this.keys.userSessions(username), id);
        continue;
      }
      out.push({
        id,
        username: h.username,
        roles: (h.roles ?? '').split(',').filter(isRole),
        ...(h.agentId ? { agentId: h.agentId } : {}),
        createdAt: Number(h.createdAt),
        expiresAt: Number(h.expiresAt),
      });
    }
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  async revoke(username: string, id: string): Promise<boolean> {
    const owner = await this.redis.hget(this.keys.session(id), 'username');
    if (owner !== username) return false;
    await this.redis.multi().del(this.keys.session(id)).srem(this.keys.userSessions(username), id).exec();
    return true;
  }

  /** Ends every session of the user (disabled, roles changed, password reset); returns how many. */
  async revokeAll(username: string, except?: string): Promise<number> {
    const ids = (await this.redis.smembers(this.keys.userSessions(username))).filter((x) => x !== except);
    if (!ids.length) return 0;
    const m = this.redis.multi();
    for (const id of ids) m.del(this.keys.session(id)).srem(this.keys.userSessions(username), id);
    await m.exec();
    return ids.length;
  }
}
