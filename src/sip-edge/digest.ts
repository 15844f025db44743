// HTTP digest authentication for SIP REGISTER (RFC 3261 22.4, RFC 2617 with qop=auth, MD5), as the recorded
// registrar answered sipp (../shared/fixtures/drachtio/register_digest.transcript.txt). Nonces are stateless:
// time and an HMAC under a secret every router instance shares, because drachtio-server may hand the
// challenged REGISTER and its retry to two different instances.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');
export const ha1Of = (user: string, realm: string, password: string): string =>
  md5(`${user}:${realm}:${password}`);

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

/** Parses `Digest k="v", k=v, ...`; null when it is not a Digest header or misses a required field. */
export function parseDigest(header: string | undefined): DigestCredentials | null {
  if (!header) return null;
  const m = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!m) return null;
  const out: Record<string, string> = {};
  const re = /([A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (const p of m[1]!.matchAll(re)) out[p[1]!.toLowerCase()] = p[2] ?? p[3] ?? '';
  if (!out.username || !out.realm || !out.nonce || !out.uri || !out.response) return null;
  return out as unknown as DigestCredentials;
}

export class NonceIssuer {
  constructor(
    private readonly secret: string,
    private readonly lifetimeMs = 300_000,
  ) {}

  issue(now = Date.now()): string {
    const ts = now.toString(16);
    const salt = randomBytes(4).toString('hex');
    return `${ts}${salt}${this.sign(ts + salt)}`;
  }

  /** 'ok', 'stale' (a nonce of ours that has expired: re-challenge with stale=true) or 'bad'. */
  check(nonce: string, now = Date.now()): 'ok' | 'stale' | 'bad' {
    const m = /^([0-9a-f]{1,12})([0-9a-f]{8})([0-9a-f]{16})$/.exec(nonce);
    if (!m) return 'bad';
    const expect = Buffer.from(this.sign(m[1]! + m[2]!));
    const got = Buffer.from(m[3]!);
    if (expect.length !== got.length || !timingSafeEqual(expect, got)) return 'bad';
    const age = now - parseInt(m[1]!, 16);
    if (age < -5000) return 'bad';
    return age > this.lifetimeMs ? 'stale' : 'ok';
  }

  private sign(s: string): string {
    return createHmac('sha256', this.secret).update(s).digest('hex').slice(0, 16);
  }
}

/** The expected `response` (RFC 2617 3.2.2.1) for a request method, given HA1. */
export function expectedResponse(c: DigestCredentials, method: string, ha1: string): string {
  const ha2 = md5(`${method}:${c.uri}`);
  const qop = (c.qop ?? '').replace(/"/g, '');
  if (qop === 'auth') return md5(`${ha1}:${c.nonce}:${c.nc ?? ''}:${c.cnonce ?? ''}:auth:${ha2}`);
  return md5(`${ha1}:${c.nonce}:${ha2}`);
}

export function verifyResponse(c: DigestCredentials, method: string, ha1: string): boolean {
  const a = Buffer.from(expectedResponse(c, method, ha1));
  const b = Buffer.from(c.response.toLowerCase());
  return a.length === b.length && timingSafeEqual(a, b);
}

export function challenge(realm: string, nonce: string, stale = false): string {
  return `Digest realm="${realm}", nonce="${nonce}", algorithm=MD5, qop="auth"${stale ? ', stale=true' : ''}`;
}
