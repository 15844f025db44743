// Per-agent bearer tokens for the desktop WebSocket: HMAC-signed, expiring, stateless to verify.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface TokenClaims {
  agentId: string;
  expiresAt: number;
  nonce: string;
}

function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

export function issueAgentToken(secret: string, agentId: string, ttlS: number, now = Date.now()): string {
  const expiresAt = Math.floor(now / 1000) + ttlS;
  const payload = `v1.${Buffer.from(agentId).toString('base64url')}.${expiresAt}.${randomBytes(6).toString('base64url')}`;
  return `${payload}.${sign(secret, payload)}`;
}

export function verifyAgentToken(
  secret: string,
  token: string,
  now = Date.now(),
): { ok: true; claims: TokenClaims } | { ok: false; reason: string } {
  const parts = token.split('.');
  if (parts.length !== 5 || parts[0] !== 'v1') return { ok: false, reason: 'malformed token' };
  const [, idB64, exp, nonce, sig] = parts as [string, string, string, string, string];
  const expected = Buffer.from(sign(secret, parts.slice(0, 4).join('.')));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: 'bad signature' };
  }
  const expiresAt = Number(exp);
  if (!Number.isFinite(expiresAt) || expiresAt * 1000 <= now) return { ok: false, reason: 'token expired' };
  return { ok: true, claims: { agentId: Buffer.from(idB64, 'base64url').toString(), expiresAt, nonce } };
}
