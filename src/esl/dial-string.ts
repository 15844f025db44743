// The one place where values from outside (caller ids, dialled numbers, extensions, call ids) become parts of a
// FreeSWITCH dial string or api command. FreeSWITCH parses `{a=b,c=d}endpoint` itself: a comma, brace, bracket,
// quote, space or line break inside a value would end the variable and let the rest be read as new variables or a
// new endpoint (toll fraud). So values are checked against what they may be and refused otherwise, never "cleaned".
export class DialStringError extends Error {
  constructor(
    readonly what: string,
    readonly value: string,
  ) {
    super(`refused ${what} in a dial string: ${JSON.stringify(value.slice(0, 40))}`);
    this.name = 'DialStringError';
  }
}

const NAME = /^[a-z][a-z0-9_]{0,63}$/i;
/** Safe in a `{...}` value and an api argument: no separators FreeSWITCH would act on. */
const TOKEN = /^[A-Za-z0-9._:@+-]{1,128}$/;
const NUMBER = /^\+?[0-9]{1,32}$/;
const EXTENSION = /^[0-9]{2,16}$/;
const DOMAIN = /^[A-Za-z0-9.-]{1,253}$/;
const UUID = /^[A-Za-z0-9-]{8,64}$/;

/** A telephone number: digits with an optional leading +. */
export function dialNumber(v: string, what = 'number'): string {
  if (!NUMBER.test(v)) throw new DialStringError(what, v);
  return v;
}

/** A caller id for origination_caller_id_number: a number, else "anonymous" (never the raw text). */
export function callerIdForDial(v: string): string {
  return NUMBER.test(v) ? v : 'anonymous';
}

export function dialToken(v: string, what = 'value'): string {
  if (!TOKEN.test(v)) throw new DialStringError(what, v);
  return v;
}

export function channelUuid(v: string): string {
  if (!UUID.test(v)) throw new DialStringError('channel uuid', v);
  return v;
}

/** `{name=value,...}` with every name and value checked; `sip` adds SIP headers (sip_h_*) and a display name. */
export function channelVars(
  vars: Record<string, string | number | boolean>,
  sip: { headers?: Record<string, string>; displayName?: string } = {},
): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(vars)) {
    if (!NAME.test(k)) throw new DialStringError('variable name', k);
    parts.push(`${k}=${dialToken(String(v), k)}`);
  }
  for (const [h, v] of Object.entries(sip.headers ?? {})) {
    if (!HEADER_NAME.test(h)) throw new DialStringError('SIP header name', h);
    if (!HEADER_VALUE.test(v)) throw new DialStringError(`SIP header ${h}`, v);
    parts.push(`sip_h_${h}=${v}`);
  }
  if (sip.displayName !== undefined) {
    if (!DISPLAY_NAME.test(sip.displayName)) throw new DialStringError('display name', sip.displayName);
    parts.push(`origination_caller_id_name=${sip.displayName}`);
  }
  return `{${parts.join(',')}}`;
}

const HEADER_NAME = /^[A-Za-z][A-Za-z0-9-]{0,40}$/;
/** A header value without what would end the variable (comma, brace, bracket), a quote or white space. */
const HEADER_VALUE = /^[A-Za-z0-9._:@+/<>;=?&%~-]{1,256}$/;
/** Letters of any script (Chinese line names), digits and a few marks: no separator, quote or space. */
const DISPLAY_NAME = /^[\p{L}\p{N}._+-]{1,48}$/u;

/** http(s)://host[:port], no path: the router's public address (config, Call-Info). */
export const PUBLIC_URL = /^https?:\/\/[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$/;

/** Whether text may be a display name as it is (else the caller picks something plainer). */
export function isDisplayName(v: string): boolean {
  return DISPLAY_NAME.test(v);
}

/**
 * `Call-Info: <https://host/agent/?call=ID>;purpose=info` for an agent's INVITE: SIP phones and softphones that
 * show a URL on ringing open the call's screen-pop. The base URL is the router's public address (config).
 */
export function popCallInfo(publicUrl: string, callId: string): string {
  if (!PUBLIC_URL.test(publicUrl)) throw new DialStringError('public URL', publicUrl);
  if (!UUID.test(callId)) throw new DialStringError('call id', callId);
  return `<${publicUrl}/agent/?call=${callId}>;purpose=info`;
}

/** An agent's phone registered on FreeSWITCH's agents profile, in the agents' directory domain. */
export function agentUserEndpoint(extension: string, domain: string): string {
  if (!EXTENSION.test(extension)) throw new DialStringError('extension', extension);
  if (!DOMAIN.test(domain)) throw new DialStringError('domain', domain);
  return `user/${extension}@${domain}`;
}

/** Whether a SIP URI is one sipTarget takes (config checks it at start, not at the first transfer). */
export function isSipTarget(uri: string): boolean {
  try {
    sipTarget(uri);
    return true;
  } catch {
    return false;
  }
}

/** A SIP URI (sub-center, transfer target) for sofia/<profile>/<target>: user@host[:port] only. */
export function sipTarget(uri: string): string {
  const t = uri.replace(/^sips?:/, '');
  if (!/^[A-Za-z0-9._+-]{1,64}@[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$/.test(t))
    throw new DialStringError('SIP target', uri);
  return t;
}
