// Tokens for automation (scripts, the CLI, monitoring): named, limited to the roles they were given, revocable,
// shown once. Redis keeps the secret's SHA-256 only.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import { isRole, type Principal, type Role } from './roles.ts';

export interface ApiTokenInfo {
  id: string;
  name: string;
  roles: Role[];
  createdAt: number;
  createdBy: string;
  lastUsedAt?: number;
}

const PREFIX = 'hat_';
const digest = (secret: string) => createHash('sha256').update(secret).digest();

export class ApiTokenStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async create(
    name: string,
    roles: Role[],
    createdBy: string,
  ): Promise<{ token: string; info: ApiTokenInfo }> {
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const info: ApiTokenInfo = { id, name, roles, createdAt: Date.now(), createdBy };
    await this.redis
      .multi()
      .hset(this.keys.apiToken(id), {
        id,
        name,
        roles: roles.join(','),
        createdAt: info.createdAt,
        createdBy,
        hash: digest(secret).toString('base64'),
      })
      .sadd(this.keys.apiTokens(), id)
      .exec();
    return { token: `${PREFIX}${id}_${secret}`, info };
  }

  static looksLike(token: string): boolean {
    return token.startsWith(PREFIX);
  }

  async principal(token: string): Promise<Principal | null> {
    const m = /^hat_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return null;
    const h = await this.redis.hgetall(this.keys.apiToken(m[1]!));
    if (!h.hash) return null;
    const want = Buffer.from(h.hash, 'base64');
    const got = digest(m[2]!);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
    void this.redis.hset(this.keys.apiToken(m[1]!), 'lastUsedAt', Date.now()).catch(() => undefined);
    return {
      kind: 'api-token',
      name: h.name ?? m[1]!,
      roles: (h.roles ?? '').split(',').filter(isRole),
      id: m[1]!,
    };
  }

  async list(): Promise<ApiTokenInfo[]> {
    const out: ApiTokenInfo[] = [];
    for (const id of await this.redis.smembers(this.keys.apiTokens())) {
      const h = await this.redis.hgetall(this.keys.apiToken(id));
      if (!h.id) continue;
      out.push({
        id,
        name: h.name ?? '',
        roles: (h.roles ?? '').split(',').filter(isRole),
        createdAt: Number(h.createdAt),
        createdBy: h.createdBy ?? '',
        ...(h.lastUsedAt ? { lastUsedAt: Number(h.lastUsedAt) } : {}),
      });
    }
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  async revoke(id: string): Promise<boolean> {
    const [[, n]] = (await this.redis
      .multi()
      .del(this.keys.apiToken(id))
      .srem(this.keys.apiTokens(), id)
      .exec()) as [[Error | null, number]];
    return n > 0;
  }
}
