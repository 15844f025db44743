// Users of the console and the desktop: one Redis hash each (name, display name, roles, the ACD agent an agent
// user is, password hash, disabled flag). Passwords never leave this module unhashed.
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import { hashPassword, passwordProblem, verifyPassword, DUMMY_HASH } from './password.ts';
import { isRole, type Role } from './roles.ts';

export const USERNAME_PATTERN = '^[a-z0-9][a-z0-9._-]{1,31}$';
const USERNAME = new RegExp(USERNAME_PATTERN);

export interface User {
  username: string;
  displayName: string;
  roles: Role[];
  agentId?: string;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
  passwordChangedAt: number;
}

export class AccountError extends Error {
  constructor(
    readonly code: 'bad_request' | 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
  }
}

/** Failed logins per user name within the window before further attempts are refused. */
const MAX_FAILURES = 5;
const FAILURE_WINDOW_S = 300;

export class UserStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async get(username: string): Promise<User | null> {
    if (!USERNAME.test(username)) return null;
    const h = await this.redis.hgetall(this.keys.user(username));
    return h.username ? toUser(h) : null;
  }

  async list(): Promise<User[]> {
    const names = (await this.redis.smembers(this.keys.users())).sort();
    const out: User[] = [];
    for (const n of names) {
      const u = await this.get(n);
      if (u) out.push(u);
    }
    return out;
  }

  async create(input: {
    username: string;
    displayName: string;
    roles: Role[];
    agentId?: string;
    password: string;
  }): Promise<User> {
    check(input.username, input.roles, input.agentId);
    const why = passwordProblem(input.password, input.username);
    if (why) throw new AccountError('bad_request', why);
    const now = Date.now();
    const hash = await hashPassword(input.password);
    const created = await this.redis.hsetnx(this.keys.user(input.username), 'username', input.username);
    if (!created) throw new AccountError('conflict', `user ${input.username} exists`);
    await this.redis
      .multi()
      .hset(this.keys.user(input.username), {
        displayName: input.displayName,
        roles: input.roles.join(','),
        agentId: input.agentId ?? '',
        disabled: '0',
        createdAt: now,
        updatedAt: now,
        passwordChangedAt: now,
        passwordHash: hash,
      })
      .sadd(this.keys.users(), input.username)
      .exec();
    return (await this.get(input.username))!;
  }

  async update(
    username: string,
    patch: { displayName?: string; roles?: Role[]; agentId?: string; disabled?: boolean },
  ): Promise<User> {
    const u = await this.get(username);
    if (!u) throw new AccountError('not_found', `no user ${username}`);
    const roles = patch.roles ?? u.roles;
    const agentId = patch.agentId ?? u.agentId;
    check(username, roles, agentId);
    const h: Record<string, string | number> = { updatedAt: Date.now(), roles: roles.join(',') };
    if (patch.displayName !== undefined) h.displayName = patch.displayName;
    if (patch.agentId !== undefined) h.agentId = patch.agentId;
    if (patch.disabled !== undefined) h.disabled = patch.disabled ? '1' : '0';
    await this.redis.hset(this.keys.user(username), h);
    return (await this.get(username))!;
  }

  async setPassword(username: string, password: string): Promise<void> {
    if (!(await this.get(username))) throw new AccountError('not_found', `no user ${username}`);
    const why = passwordProblem(password, username);
    if (why) throw new AccountError('bad_request', why);
    const now = Date.now();
    await this.redis.hset(this.keys.user(username), {
      passwordHash: await hashPassword(password),
      passwordChangedAt: now,
      updatedAt: now,
    });
  }

  async remove(username: string): Promise<boolean> {
    const [[, n]] = (await this.redis
      .multi()
      .del(this.keys.user(username))
      .srem(this.keys.users(), username)
      .exec()) as [[Error | null, number]];
    return n > 0;
  }

  /**
   * Checks a name and password. Refuses (without checking) after too many failures for that name in the window,
   * so that guessing one account's password is slow whatever the guesser's address.
   */
  async authenticate(
    username: string,
    password: string,
  ): Promise<{ ok: true; user: User } | { ok: false; reason: 'invalid' | 'locked' | 'disabled' }> {
    const fk = this.keys.loginFailures(USERNAME.test(username) ? username : '_invalid');
    const failures = Number((await this.redis.get(fk)) ?? 0);
    if (failures >= MAX_FAILURES) return { ok: false, reason: 'locked' };
    const h = USERNAME.test(username) ? await this.redis.hgetall(this.keys.user(username)) : {};
    const good = await verifyPassword(password, h.passwordHash ?? DUMMY_HASH);
    if (!good || !h.username) {
      await this.redis.multi().incr(fk).expire(fk, FAILURE_WINDOW_S).exec();
      return { ok: false, reason: 'invalid' };
    }
    await this.redis.del(fk);
    const user = toUser(h);
    if (user.disabled) return { ok: false, reason: 'disabled' };
    return { ok: true, user };
  }
}

function check(username: string, roles: Role[], agentId: string | undefined): void {
  if (!USERNAME.test(username))
    throw new AccountError(
      'bad_request',
      'a user name is 2-32 lower-case letters, digits, dot, dash or underscore',
    );
  if (!roles.length || !roles.every(isRole))
    throw new AccountError('bad_request', 'give at least one known role');
  if (roles.includes('agent') && !agentId)
    throw new AccountError('bad_request', 'an agent user needs the agentId of their seat');
  if (agentId !== undefined && agentId !== '' && !/^[A-Za-z0-9_-]{1,32}$/.test(agentId))
    throw new AccountError('bad_request', 'agentId: letters, digits, dash or underscore, at most 32');
}

function toUser(h: Record<string, string>): User {
  return {
    username: h.username!,
    displayName: h.displayName ?? h.username!,
    roles: (h.roles ?? '').split(',').filter(isRole),
    ...(h.agentId ? { agentId: h.agentId } : {}),
    disabled: h.disabled === '1',
    createdAt: Number(h.createdAt ?? 0),
    updatedAt: Number(h.updatedAt ?? 0),
    passwordChangedAt: Number(h.passwordChangedAt ?? 0),
  };
}
