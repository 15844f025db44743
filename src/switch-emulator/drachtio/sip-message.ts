// A small SIP message model (RFC 3261 section 7) for the drachtio-server emulator and the emulated FreeSWITCH SIP
// side: parse what arrives on the wire keeping its exact text, build what they send, and read the few structured
// headers a transaction layer needs (Via, From/To, CSeq, Contact, URIs). No wire code here.

export interface SipHeader {
  name: string;
  value: string;
}

export class SipParseError extends Error {
  constructor(
    message: string,
    /** Set when enough of a request was read to answer it (sofia answers 400 then). */
    readonly partial?: SipMessage,
  ) {
    super(message);
    this.name = 'SipParseError';
  }
}

/** RFC 3261 7.3.3 compact forms, plus the ones sofia knows. */
const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  r: 'refer-to',
  b: 'referred-by',
  u: 'allow-events',
  x: 'session-expires',
};

export const headerKey = (name: string): string => {
  const l = name.trim().toLowerCase();
  return COMPACT[l] ?? l;
};

export class SipMessage {
  method = '';
  uri = '';
  status = 0;
  reason = '';
  headers: SipHeader[] = [];
  body = '';
  /** The text as received (for messages that came off the wire). */
  raw = '';

  get isRequest(): boolean {
    return this.method !== '';
  }

  get(name: string): string | undefined {
    const k = headerKey(name);
    return this.headers.find((h) => headerKey(h.name) === k)?.value;
  }

  /** Every value of a header, one per header line (comma-joined lines are not split). */
  getAll(name: string): string[] {
    const k = headerKey(name);
    return this.headers.filter((h) => headerKey(h.name) === k).map((h) => h.value);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  set(name: string, value: string): this {
    const k = headerKey(name);
    const i = this.headers.findIndex((h) => headerKey(h.name) === k);
    if (i >= 0) this.headers[i] = { name: this.headers[i]!.name, value };
    else this.headers.push({ name, value });
    return this;
  }

  remove(name: string): this {
    const k = headerKey(name);
    this.headers = this.headers.filter((h) => headerKey(h.name) !== k);
    return this;
  }

  get callId(): string {
    return this.get('call-id') ?? '';
  }

  get cseq(): { seq: number; method: string } {
    const m = /^\s*(\d+)\s+([A-Za-z]+)/.exec(this.get('cseq') ?? '');
    return { seq: m ? Number(m[1]) : 0, method: m?.[2]?.toUpperCase() ?? '' };
  }

  /** The top Via (first value of the first Via header). */
  get topVia(): Via | undefined {
    const v = this.get('via');
    return v === undefined ? undefined : parseVia(splitList(v)[0] ?? '');
  }

  get from(): NameAddr {
    return parseNameAddr(this.get('from') ?? '');
  }

  get to(): NameAddr {
    return parseNameAddr(this.get('to') ?? '');
  }

  /** Serialises start line, headers in their current order, Content-Length fixed to the body. */
  toString(): string {
    const start = this.isRequest
      ? `${this.method} ${this.uri} SIP/2.0`
      : `SIP/2.0 ${this.status} ${this.reason}`;
    const lines = [start];
    let hasLength = false;
    for (const h of this.headers) {
      if (headerKey(h.name) === 'content-length') {
        hasLength = true;
        lines.push(`${h.name}: ${Buffer.byteLength(this.body)}`);
      } else lines.push(`${h.name}: ${h.value}`);
    }
    if (!hasLength) lines.push(`Content-Length: ${Buffer.byteLength(this.body)}`);
    return `${lines.join('\r\n')}\r\n\r\n${this.body}`;
  }
}

/** sofia's sip_sanity_check: the headers without which a request cannot be answered statefully. */
export const MANDATORY = ['via', 'from', 'to', 'call-id', 'cseq'] as const;

/**
 * Parses one SIP message. Throws SipParseError for text that is not SIP at all (no partial) or a request
 * that lacks a mandatory header or has a broken CSeq (partial set, so the caller can answer 400).
 */
export function parseSip(text: string, opts: { lenient?: boolean } = {}): SipMessage {
  let sep = text.indexOf('\r\n\r\n');
  let sepLen = 4;
  if (sep < 0) {
    sep = text.indexOf('\n\n');
    sepLen = 2;
  }
  const head = sep < 0 ? text : text.slice(0, sep);
  const rest = sep < 0 ? '' : text.slice(sep + sepLen);
  const lines = head.split(/\r?\n/);
  const startLine = lines.shift() ?? '';
  const m = new SipMessage();
  m.raw = text;
  const req = /^([A-Za-z]+) +(\S+) +SIP\/2\.0$/.exec(startLine);
  const res = /^SIP\/2\.0 +(\d{3})(?: +(.*))?$/.exec(startLine);
  if (req) {
    m.method = req[1]!.toUpperCase();
    m.uri = req[2]!;
  } else if (res) {
    m.status = Number(res[1]);
    m.reason = res[2] ?? '';
  } else throw new SipParseError('not a SIP start line');
  for (const line of lines) {
    if (/^[ \t]/.test(line) && m.headers.length) {
      const last = m.headers[m.headers.length - 1]!;
      last.value += ` ${line.trim()}`;
      continue;
    }
    if (line === '') continue;
    const c = line.indexOf(':');
    if (c <= 0 || !/^[A-Za-z0-9!%'*+.^_`{|}~-]+$/.test(line.slice(0, c).trim())) {
      throw new SipParseError(`bad header line: ${JSON.stringify(line.slice(0, 40))}`);
    }
    m.headers.push({ name: line.slice(0, c).trim(), value: line.slice(c + 1).trim() });
  }
  const len = m.get('content-length');
  if (len !== undefined && /^\d+$/.test(len)) {
    m.body = Buffer.from(rest, 'utf8').subarray(0, Number(len)).toString('utf8');
  } else m.body = rest;
  if (opts.lenient) return m;
  for (const h of MANDATORY) {
    if (!m.has(h)) throw new SipParseError(`missing ${h}`, m);
  }
  const cs = /^\s*(\d+)\s+([A-Za-z]+)\s*$/.exec(m.get('cseq') ?? '');
  if (!cs || (m.isRequest && cs[2]!.toUpperCase() !== m.method)) throw new SipParseError('bad CSeq', m);
  return m;
}

/** Splits a header value on commas that are not inside quotes or angle brackets. */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && ch === '<') depth++;
    else if (!quoted && ch === '>') depth = Math.max(0, depth - 1);
    if (ch === ',' && !quoted && depth === 0) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

export interface NameAddr {
  display: string;
  uri: string;
  params: Record<string, string | null>;
}

/** `"Name" <sip:u@h;p>;tag=x` or `sip:u@h;tag=x` (header params follow the URI when there are no brackets). */
export function parseNameAddr(value: string): NameAddr {
  const v = value.trim();
  const lt = v.indexOf('<');
  let display = '';
  let uri: string;
  let tail: string;
  if (lt >= 0) {
    const gt = v.indexOf('>', lt);
    display = v
      .slice(0, lt)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    uri = v.slice(lt + 1, gt < 0 ? undefined : gt);
    tail = gt < 0 ? '' : v.slice(gt + 1);
  } else {
    const semi = v.indexOf(';');
    uri = semi < 0 ? v : v.slice(0, semi);
    tail = semi < 0 ? '' : v.slice(semi);
  }
  return { display, uri: uri.trim(), params: parseParams(tail) };
}

function parseParams(tail: string): Record<string, string | null> {
  const params: Record<string, string | null> = {};
  for (const p of tail.split(';')) {
    const t = p.trim();
    if (!t) continue;
    const eq = t.indexOf('=');
    if (eq < 0) params[t.toLowerCase()] = null;
    else params[t.slice(0, eq).trim().toLowerCase()] = t.slice(eq + 1).trim();
  }
  return params;
}

export interface SipUri {
  scheme: string;
  user: string;
  host: string;
  port?: number;
  params: Record<string, string | null>;
}

export function parseUri(uri: string): SipUri | null {
  const m = /^(sips?|tel):(?:([^@;?]*)@)?(\[[^\]]+\]|[^:;?>]+)(?::(\d+))?([^?]*)/i.exec(uri.trim());
  if (!m) return null;
  const tel = m[1]!.toLowerCase() === 'tel';
  return {
    scheme: m[1]!.toLowerCase(),
    user: tel ? m[3]! : decodeURIComponentSafe(m[2] ?? '').split(':')[0]!,
    host: tel ? '' : m[3]!,
    port: m[4] ? Number(m[4]) : undefined,
    params: parseParams(m[5] ?? ''),
  };
}

const decodeURIComponentSafe = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

export interface Via {
  protocol: string;
  transport: string;
  host: string;
  port?: number;
  /** Parameters in order; value null for a flag such as a bare `rport`. */
  params: Array<[string, string | null]>;
}

export function parseVia(value: string): Via | undefined {
  const m = /^\s*(SIP\s*\/\s*2\.0)\s*\/\s*([A-Za-z]+)\s+(\[[^\]]+\]|[^:;\s]+)(?::(\d+))?\s*(.*)$/.exec(value);
  if (!m) return undefined;
  const params: Array<[string, string | null]> = [];
  for (const p of (m[5] ?? '').split(';')) {
    const t = p.trim();
    if (!t) continue;
    const eq = t.indexOf('=');
    params.push(eq < 0 ? [t, null] : [t.slice(0, eq), t.slice(eq + 1)]);
  }
  return {
    protocol: 'SIP/2.0',
    transport: m[2]!.toUpperCase(),
    host: m[3]!,
    port: m[4] ? Number(m[4]) : undefined,
    params,
  };
}

export function viaParam(v: Via, name: string): string | null | undefined {
  const p = v.params.find(([k]) => k.toLowerCase() === name);
  return p ? p[1] : undefined;
}

export function formatVia(v: Via): string {
  const hp = v.port !== undefined ? `${v.host}:${v.port}` : v.host;
  const params = v.params.map(([k, val]) => (val === null ? `;${k}` : `;${k}=${val}`)).join('');
  return `${v.protocol}/${v.transport} ${hp}${params}`;
}

/**
 * RFC 3581 / RFC 3261 18.2.1 as sofia's nta does it with server rport on: fill (or add) `rport` with the
 * source port and add `received` when the sent-by host is not the source address.
 */
export function stampVia(value: string, address: string, port: number): string {
  const v = parseVia(value);
  if (!v) return value;
  if (v.host !== address && !v.params.some(([k]) => k.toLowerCase() === 'received')) {
    const i = v.params.findIndex(([k]) => k.toLowerCase() === 'rport');
    const rec: [string, string] = ['received', address];
    if (i >= 0) v.params.splice(i, 0, rec);
    else v.params.push(rec);
  }
  const i = v.params.findIndex(([k]) => k.toLowerCase() === 'rport');
  if (i >= 0) v.params[i] = [v.params[i]![0], String(port)];
  else v.params.push(['rport', String(port)]);
  return formatVia(v);
}

/**
 * The received text with its top Via stamped (what drachtio hands the application), every other byte kept.
 */
export function stampTopViaInText(raw: string, address: string, port: number): string {
  const lines = raw.split('\r\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') break;
    const m = /^(via|v)(\s*:\s*)(.*)$/i.exec(line);
    if (!m) continue;
    const values = splitList(m[3]!);
    const first = values[0] ?? '';
    const rest = m[3]!.slice(m[3]!.indexOf(first) + first.length);
    lines[i] = `${m[1]}${m[2]}${stampVia(first, address, port)}${rest}`;
    break;
  }
  return lines.join('\r\n');
}
