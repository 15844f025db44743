// Per-agent bearer tokens for the desktop WebSocket: HMAC-signed and expiring (stateless to verify),
// revocable through one Redis key per agent: every token issued up to the revocation instant is refused.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';

export interface TokenClaims {
  agentId: string;
  expiresAt: number;
  /** Epoch ms of issue; 0 for v1 tokens, which any revocation refuses. */
  issuedAt: number;
  nonce: string;
}

/** The longest a token may live (the admin route's maximum); revocation marks are kept this long. */
export const MAX_TOKEN_TTL_S = 7 * 86400;

function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

export function issueAgentToken(secret: string, agentId: string, ttlS: number, now = Date.now()): string {
  const expiresAt = Math.floor(now / 1000) + ttlS;
  const payload = `v2.${Buffer.from(agentId).toString('base64url')}.${expiresAt}.${now.toString(36)}.${randomBytes(6).toString('base64url')}`;
  return `${payload}.${sign(secret, payload)}`;
}

export function verifyAgentToken(
  secret: string,
  token: string,
  now = Date.now(),
): { ok: true; claims: TokenClaims } | { ok: false; reason: string } {
  const parts = token.split('.');
  const v2 = parts[0] === 'v2' && parts.length === 6;
  if (!v2 && !(parts[0] === 'v1' && parts.length === 5)) return { ok: false, reason: 'malformed token' };
  const sig = parts[parts.length - 1]!;
  const expected = Buffer.from(sign(secret, parts.slice(0, -1).join('.')));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: 'bad signature' };
  }
  const idB64 = parts[1]!;
  const expiresAt = Number(parts[2]);
  const issuedAt = v2 ? parseInt(parts[3]!, 36) : 0;
  const nonce = parts[v2 ? 4 : 3]!;
  if (!Number.isFinite(expiresAt) || expiresAt * 1000 <= now) return { ok: false, reason: 'token expired' };
  if (!Number.isFinite(issuedAt)) return { ok: false, reason: 'malformed token' };
  return {
    ok: true,
    claims: { agentId: Buffer.from(idB64, 'base64url').toString(), expiresAt, issuedAt, nonce },
  };
}

export function revocationKey(keys: Keys, agentId: string): string {
  return `${keys.prefix}sp:revoked:${agentId}`;
}

/** Refuses every token of the agent issued up to now (tokens issued afterwards work). */
export async function revokeAgentTokens(
  redis: Redis,
  keys: Keys,
  agentId: string,
  now = Date.now(),
): Promise<number> {
  await redis.set(revocationKey(keys, agentId), String(now), 'EX', MAX_TOKEN_TTL_S);
  return now;
}

/** The instant up to which the agent's tokens are revoked (0: none). */
export async function revokedUntil(redis: Redis, keys: Keys, agentId: string): Promise<number> {
  return Number((await redis.get(revocationKey(keys, agentId))) ?? 0);
}

/** Signature, expiry and revocation: the whole check a desktop's token goes through. */
export async function checkAgentToken(
  redis: Redis,
  keys: Keys,
  secret: string,
  token: string,
  now = Date.now(),
): Promise<{ ok: true; claims: TokenClaims } | { ok: false; reason: string }> {
  const v = verifyAgentToken(secret, token, now);
  if (!v.ok) return v;
  if (v.claims.issuedAt <= (await revokedUntil(redis, keys, v.claims.agentId))) {
    return { ok: false, reason: 'token revoked' };
  }
  // A well-signed token names an agent that may have been removed since (or never existed): no access.
  if (!(await redis.exists(keys.agent(v.claims.agentId)))) return { ok: false, reason: 'unknown agent' };
  return v;
}
