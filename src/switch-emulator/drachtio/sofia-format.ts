// How sofia-sip (the SIP stack inside drachtio-server and FreeSWITCH) writes the messages it builds: canonical
// header names, and headers in the order of sofia's `sip_t` structure (sofia-sip/sip.h), with headers it does not
// know (X-..., Diversion, ...) after Content-Length. The recorded transcripts show exactly this order, e.g.
// "Via From To Call-ID CSeq Contact User-Agent Accept Allow Supported Allow-Events Content-Type
// Content-Disposition Content-Length Remote-Party-ID" in FreeSWITCH's 200 OK, and "... Content-Length
// X-Hotline-Line" in drachtio's INVITE (../shared/fixtures/drachtio/b2bua_to_freeswitch.transcript.txt).
import { randomBytes, randomUUID } from 'node:crypto';
import { headerKey, type SipHeader } from './sip-message.ts';

const ORDER = [
  'via',
  'route',
  'record-route',
  'max-forwards',
  'proxy-require',
  'from',
  'to',
  'call-id',
  'cseq',
  'contact',
  'rseq',
  'rack',
  'request-disposition',
  'accept-contact',
  'reject-contact',
  'expires',
  'date',
  'retry-after',
  'timestamp',
  'min-expires',
  'subject',
  'priority',
  'call-info',
  'organization',
  'server',
  'user-agent',
  'in-reply-to',
  'accept',
  'accept-encoding',
  'accept-language',
  'allow',
  'require',
  'supported',
  'unsupported',
  'event',
  'allow-events',
  'subscription-state',
  'proxy-authenticate',
  'proxy-authentication-info',
  'proxy-authorization',
  'authorization',
  'www-authenticate',
  'authentication-info',
  'error-info',
  'warning',
  'refer-to',
  'referred-by',
  'replaces',
  'session-expires',
  'min-se',
  'path',
  'service-route',
  'reason',
  'security-client',
  'security-server',
  'security-verify',
  'privacy',
  'etag',
  'if-match',
  'mime-version',
  'content-type',
  'content-encoding',
  'content-language',
  'content-disposition',
  'content-length',
];
const RANK = new Map(ORDER.map((k, i) => [k, i]));

const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  rseq: 'RSeq',
  rack: 'RAck',
  'min-se': 'Min-SE',
  etag: 'SIP-ETag',
  'if-match': 'SIP-If-Match',
  'mime-version': 'MIME-Version',
};

/** Sofia's spelling of a header it knows; an unknown header keeps the application's spelling. */
export function canonicalName(name: string): string {
  const k = headerKey(name);
  if (!RANK.has(k)) return name;
  return CANONICAL[k] ?? k.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());
}

/** Stable sort into sofia's order; unknown headers keep their relative order after Content-Length. */
export function sofiaOrder(headers: SipHeader[]): SipHeader[] {
  const rank = (h: SipHeader) => RANK.get(headerKey(h.name)) ?? ORDER.length;
  return headers
    .map((h, i) => ({ h: { name: canonicalName(h.name), value: h.value }, i, r: rank(h) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.h);
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** A 13-character token like sofia's tags and branch suffixes ("039BD8e29rUgc"). */
export function sofiaToken(len = 13): string {
  const b = randomBytes(len);
  let s = '';
  for (let i = 0; i < len; i++) s += ALNUM[b[i]! % ALNUM.length];
  return s;
}

export const newTag = (): string => sofiaToken();
export const newBranch = (): string => `z9hG4bK${sofiaToken()}`;
export const newCallId = (): string => randomUUID();
export const newId = (): string => randomUUID();

/** drachtio's time token: HH:MM:SS.microseconds (UTC). */
export function stackTime(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const us = d.getUTCMilliseconds() * 1000 + Math.floor(Math.random() * 1000);
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(us, 6)}`;
}

/** A first CSeq for requests the stack originates (sofia starts from a large per-agent number). */
let cseqBase = 100_000_000 + Math.floor(Math.random() * 800_000_000);
export const nextCSeq = (): number => ++cseqBase;
