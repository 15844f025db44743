// Router configuration, read from environment variables and validated once at start.
// Every bad value is reported at once, each with the variable's name, so operators fix them in one pass.
import { isIP } from 'node:net';
import { isRole, type Role, ROLES } from '../accounts/roles.ts';
import os from 'node:os';
import { isSipTarget, PUBLIC_URL } from '../esl/dial-string.ts';
import { loadSipEdgeConfig, type SipEdgeConfig } from '../sip-edge/config.ts'; // SIP edge (issue 7)

export interface Config {
  instanceId: string;
  http: { host: string; port: number };
  eslListen: { host: string; port: number };
  freeswitch: { host: string; port: number; password: string };
  /**
   * Callers the dialplan parks (hotline_call_control=park) are driven over this many inbound command sockets plus
   * one event socket (src/esl/parked-calls.ts); 0: only callers that come by the dialplan's socket.
   */
  parkedCallSockets: number;
  redis: { url: string; prefix: string };
  adminToken: string;
  /** What the shared admin token (automation) may do; revocable in Redis (POST /admin/api-tokens/shared/revoke). */
  adminTokenRoles: Role[];
  /** How long a console or desktop login lasts. */
  sessionTtlS: number;
  /** The router's address as agents' desktops and phones reach it (the pop's URL in an agent INVITE's Call-Info). */
  publicUrl: string;
  /** Where one-key transfers to the emergency and police lines go (110, 119, 120, 122): SIP addresses. */
  emergencyLines: Partial<Record<EmergencyService, string>>;
  /**
   * Where the emergency lines' transfers to 12345 come from: the SIP source addresses of each line's trunk. A call
   * from one of them is taken as transferred in by that line, with its X-Referral-* context (src/calls/referral.ts).
   */
  referralTrunks: Partial<Record<EmergencyService, string[]>>;
  /** The sofia profile calls to the public network leave by (sub-centers, emergency lines): freeswitch-conf's. */
  carrierProfile: string;
  agentTokenSecret: string;
  agentTokenTtlS: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  ringTimeoutS: number;
  /**
   * How an agent is rung: `originate` (a FreeSWITCH thread starts the agent's leg at once, joined with uuid_bridge
   * on answer) or `bridge` (the bridge application, which waits for the caller's channel to take its turn, up to
   * a media frame). See src/esl/README.md.
   */
  agentOffer: 'originate' | 'bridge';
  /** The directory domain agents' phones register in (FreeSWITCH's hotline_agents_domain). */
  agentsDomain: string;
  /** Above this many calls in hand, or this much event-loop lag, new calls are passed on (load shedding). */
  shed: { maxCalls: number; lagMs: number; connectMs: number; parkMs: number; joinMs: number };
  defaultLine: string;
  holdMusic: string;
  /**
   * What a caller not yet answered hears (as early media) while an agent's phone rings; empty (HOTLINE_RINGBACK=phone):
   * 180 Ringing only (the phone's own ringback), the caller answered when the agent answers.
   */
  ringback: string;
  reservationTtlS: number;
  wrapupS: number;
  defaultAhtS: number;
  callbackDial: string;
  /** When set, /metrics wants it as a bearer token (scrapers outside the host); empty: open, as is usual. */
  metricsToken: string;
  /** Missed-call callback (calls/missed-callbacks.ts). */
  missedCallback: { enabled: boolean; fromMin: number; toMin: number; windowS: number; maxAgeS: number };
  usingDefaultSecrets: boolean;
  /** SIP edge (drachtio-srf app); null unless HOTLINE_DRACHTIO_HOST is set. Issue 7. */
  sipEdge: SipEdgeConfig | null;
  /** The desktop page's WebRTC softphone (issue 14); null unless HOTLINE_SOFTPHONE_WS_URL is set. */
  softphone: SoftphoneConfig | null;
}

export interface SoftphoneConfig {
  /** FreeSWITCH's agents profile over SIP WebSocket as browsers reach it: wss://host:7443 (ws:// for tests). */
  wsUrl: string;
  /** STUN servers for the browser (none on a LAN, where host candidates meet). */
  iceServers: string[];
  /** The agents' SIP password (FreeSWITCH's hotline_agent_password); not enumerable, never printed or logged. */
  readonly password: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const DEFAULT_ADMIN_TOKEN = 'dev-admin-token-change-me';
const DEFAULT_AGENT_SECRET = 'dev-agent-secret-change-me';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  str(name: string, def: string, check?: (v: string) => string | null): string {
    const raw = this.env[name];
    const v = raw === undefined || raw === '' ? def : raw;
    const why = check?.(v);
    if (why) this.problems.push(`${name}=${JSON.stringify(v)}: ${why}`);
    return v;
  }

  int(name: string, def: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return def;
    if (!/^\d+$/.test(raw.trim())) {
      this.problems.push(`${name}=${JSON.stringify(raw)}: must be a whole number between ${min} and ${max}`);
      return def;
    }
    const n = Number(raw);
    if (n < min || n > max) {
      this.problems.push(`${name}=${raw}: must be between ${min} and ${max}`);
      return def;
    }
    return n;
  }
}

const host = (v: string) => (/^[A-Za-z0-9.:_-]+$/.test(v) ? null : 'must be a host name or IP address');
const port = (r: Reader, name: string, def: number) => r.int(name, def, 0, 65535);

export function loadConfig(env: Env = process.env): Config {
  const r = new Reader(env);
  const adminToken = r.str('HOTLINE_ADMIN_TOKEN', DEFAULT_ADMIN_TOKEN, (v) =>
    v.length < 16 ? 'must be at least 16 characters' : null,
  );
  const agentTokenSecret = r.str('HOTLINE_AGENT_TOKEN_SECRET', DEFAULT_AGENT_SECRET, (v) =>
    v.length < 16 ? 'must be at least 16 characters' : null,
  );
  const cfg: Config = {
    instanceId: r.str('HOTLINE_INSTANCE_ID', `${os.hostname()}-${process.pid}`, (v) =>
      /^[A-Za-z0-9._-]{1,64}$/.test(v) ? null : 'letters, digits, dot, dash or underscore, at most 64',
    ),
    http: { host: r.str('HOTLINE_HTTP_HOST', '127.0.0.1', host), port: port(r, 'HOTLINE_HTTP_PORT', 8080) },
    eslListen: {
      host: r.str('HOTLINE_ESL_LISTEN_HOST', '127.0.0.1', host),
      port: port(r, 'HOTLINE_ESL_LISTEN_PORT', 8084),
    },
    freeswitch: {
      host: r.str('HOTLINE_FS_HOST', '127.0.0.1', host),
      port: port(r, 'HOTLINE_FS_PORT', 8021),
      password: r.str('HOTLINE_FS_PASSWORD', 'ClueCon', (v) =>
        /[\r\n]/.test(v) ? 'must not contain line breaks' : null,
      ),
    },
    parkedCallSockets: r.int('HOTLINE_PARKED_CALL_SOCKETS', 0, 0, 64),
    redis: {
      url: r.str('HOTLINE_REDIS_URL', 'redis://127.0.0.1:6379/0', (v) =>
        /^rediss?:\/\/[^\s]+$/.test(v) ? null : 'must be a redis:// or rediss:// URL',
      ),
      prefix: r.str('HOTLINE_REDIS_PREFIX', 'hl:', (v) =>
        /^[A-Za-z0-9:_-]{1,32}$/.test(v) ? null : 'letters, digits, colon, dash or underscore',
      ),
    },
    adminToken,
    adminTokenRoles: r
      .str('HOTLINE_ADMIN_TOKEN_ROLES', 'operator,supervisor', (v) =>
        v.split(',').every(isRole) ? null : `comma-separated roles among ${ROLES.join(', ')}`,
      )
      .split(',')
      .filter(isRole),
    sessionTtlS: r.int('HOTLINE_SESSION_TTL_S', 12 * 3600, 300, 7 * 24 * 3600),
    publicUrl: '',
    emergencyLines: emergencyLinesConfig(env.HOTLINE_EMERGENCY_LINES ?? '', r.problems),
    referralTrunks: referralTrunksConfig(env.HOTLINE_REFERRAL_TRUNKS ?? '', r.problems),
    agentTokenSecret,
    agentTokenTtlS: r.int('HOTLINE_AGENT_TOKEN_TTL_S', 12 * 3600, 60, 7 * 24 * 3600),
    logLevel: r.str('HOTLINE_LOG_LEVEL', 'info', (v) =>
      (LOG_LEVELS as readonly string[]).includes(v) ? null : `must be one of ${LOG_LEVELS.join(', ')}`,
    ) as Config['logLevel'],
    ringTimeoutS: r.int('HOTLINE_RING_TIMEOUT_S', 15, 3, 120),
    agentOffer: r.str('HOTLINE_AGENT_OFFER', 'originate', (v) =>
      v === 'originate' || v === 'bridge' ? null : 'must be originate or bridge',
    ) as Config['agentOffer'],
    // user/<ext> without a domain resolves in FreeSWITCH's global "domain" (the stock vars.xml sets it to the
    // machine's IP), not where the phones register: every agent leg must name this domain.
    shed: {
      maxCalls: r.int('HOTLINE_SHED_MAX_CALLS', 5000, 1, 1_000_000),
      lagMs: r.int('HOTLINE_SHED_LAG_MS', 1000, 50, 600_000),
      // FreeSWITCH's mean connect time over which a share of new callers is told the line is busy (0: never).
      connectMs: r.int('HOTLINE_SHED_CONNECT_MS', 30, 0, 60_000),
      // The same for parked callers: the mean time from a caller's CHANNEL_PARK to its claim here.
      parkMs: r.int('HOTLINE_SHED_PARK_MS', 250, 0, 60_000),
      // The same for callers offered by originate (the default), socket or parked: the mean time from an agent's
      // answer to the caller put through (the join).
      joinMs: r.int('HOTLINE_SHED_JOIN_MS', 250, 0, 60_000),
    },
    agentsDomain: r.str('HOTLINE_AGENTS_DOMAIN', 'hotline.local', (v) =>
      /^[A-Za-z0-9.-]{1,253}$/.test(v) ? null : 'must be a domain name such as hotline.local',
    ),
    defaultLine: r.str('HOTLINE_DEFAULT_LINE', '12345', (v) =>
      /^\d{3,8}$/.test(v) ? null : 'must be a hotline number such as 12345',
    ),
    holdMusic: r.str('HOTLINE_HOLD_MUSIC', 'local_stream://moh'),
    // China's ringback: 450 Hz, 1 s on, 4 s off (freeswitch-conf's hotline_ringback).
    // `phone`: 180 Ringing only.
    ringback: ((v) => (v === 'phone' ? '' : v))(
      r.str('HOTLINE_RINGBACK', 'tone_stream://%(1000,4000,450);loops=-1'),
    ),
    reservationTtlS: r.int('HOTLINE_RESERVATION_TTL_S', 30, 5, 600),
    wrapupS: r.int('HOTLINE_WRAPUP_S', 5, 0, 600),
    defaultAhtS: r.int('HOTLINE_DEFAULT_AHT_S', 180, 10, 3600),
    // The gateway freeswitch-conf ships (sip_profiles/hotline_carrier/carrier_gateways.xml): a name FreeSWITCH does
    // not know is INVALID_GATEWAY at once, and no citizen is ever called back.
    callbackDial: r.str('HOTLINE_CALLBACK_DIAL', 'sofia/gateway/carrier_telecom/{number}', (v) =>
      v.includes('{number}') ? null : 'must contain {number}, e.g. sofia/gateway/carrier_telecom/{number}',
    ),
    carrierProfile: r.str('HOTLINE_CARRIER_PROFILE', 'hotline_carrier', (v) =>
      /^[A-Za-z0-9_-]{1,40}$/.test(v) ? null : 'a sofia profile name such as hotline_carrier',
    ),
    metricsToken: env.HOTLINE_METRICS_TOKEN ?? '',
    missedCallback: missedCallbackConfig(env, r.problems),
    usingDefaultSecrets: false,
    sipEdge: loadSipEdgeConfig(env, r.problems), // SIP edge (issue 7): HOTLINE_DRACHTIO_*, HOTLINE_SIP_*
    softphone: null,
  };
  cfg.softphone = softphoneConfig(env, cfg.sipEdge, r.problems);
  const reachable = /^[A-Za-z0-9.-]+$/.test(cfg.http.host) ? cfg.http.host : '127.0.0.1';
  cfg.publicUrl = r.str('HOTLINE_PUBLIC_URL', `http://${reachable}:${cfg.http.port}`, (v) =>
    PUBLIC_URL.test(v) ? null : 'must be http(s)://host[:port], no path',
  );
  cfg.usingDefaultSecrets = adminToken === DEFAULT_ADMIN_TOKEN || agentTokenSecret === DEFAULT_AGENT_SECRET;
  const loopback = (h: string) => h === '127.0.0.1' || h === '::1' || h === 'localhost';
  if (cfg.usingDefaultSecrets && !loopback(cfg.http.host)) {
    r.problems.push(
      `HOTLINE_HTTP_HOST=${cfg.http.host}: the default admin token and agent secret are only allowed on loopback; set HOTLINE_ADMIN_TOKEN and HOTLINE_AGENT_TOKEN_SECRET`,
    );
  }
  if (r.problems.length) throw new ConfigError(r.problems);
  return cfg;
}

/** HOTLINE_MISSED_CALLBACK (on/off, default off), _HOURS (HH:MM-HH:MM, China time), _WINDOW_H, _MAX_AGE_H. */
function missedCallbackConfig(
  env: Record<string, string | undefined>,
  problems: string[],
): Config['missedCallback'] {
  const on = (env.HOTLINE_MISSED_CALLBACK ?? 'off').toLowerCase();
  if (!['on', 'off'].includes(on)) problems.push('HOTLINE_MISSED_CALLBACK must be on or off');
  const hours = env.HOTLINE_MISSED_CALLBACK_HOURS ?? '08:00-21:00';
  const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/.exec(hours);
  const fromMin = m ? Number(m[1]) * 60 + Number(m[2]) : 480;
  const toMin = m ? Number(m[3]) * 60 + Number(m[4]) : 1260;
  if (!m || toMin <= fromMin)
    problems.push('HOTLINE_MISSED_CALLBACK_HOURS must be HH:MM-HH:MM, e.g. 08:00-21:00');
  const hoursOf = (name: string, def: number) => {
    const v = Number(env[name] ?? def);
    if (!(Number.isFinite(v) && v > 0 && v <= 24 * 31))
      problems.push(`${name} must be hours between 0 and 744`);
    return Math.round(v * 3600);
  };
  return {
    enabled: on === 'on',
    fromMin,
    toMin,
    windowS: hoursOf('HOTLINE_MISSED_CALLBACK_WINDOW_H', 24),
    maxAgeS: hoursOf('HOTLINE_MISSED_CALLBACK_MAX_AGE_H', 24),
  };
}

/**
 * HOTLINE_SOFTPHONE_WS_URL (the agents profile's ws-binding/wss-binding as browsers reach it), the password from
 * HOTLINE_AGENT_SIP_PASSWORD (the one the SIP edge checks, FreeSWITCH's hotline_agent_password), optional
 * HOTLINE_SOFTPHONE_ICE_SERVERS (comma-separated stun:host[:port]).
 */
function softphoneConfig(env: Env, edge: SipEdgeConfig | null, problems: string[]): SoftphoneConfig | null {
  const wsUrl = (env.HOTLINE_SOFTPHONE_WS_URL ?? '').trim();
  if (!wsUrl) return null;
  if (!/^wss?:\/\/[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?(\/[A-Za-z0-9._~/-]*)?$/.test(wsUrl))
    problems.push(`HOTLINE_SOFTPHONE_WS_URL=${JSON.stringify(wsUrl)}: must be ws(s)://host[:port][/path]`);
  const password = env.HOTLINE_AGENT_SIP_PASSWORD ?? '';
  if (!password)
    problems.push(
      "HOTLINE_SOFTPHONE_WS_URL needs HOTLINE_AGENT_SIP_PASSWORD (FreeSWITCH's hotline_agent_password)",
    );
  if (edge && edge.agentRegistrar === 'edge')
    problems.push(
      'HOTLINE_SOFTPHONE_WS_URL: the softphone registers with FreeSWITCH, but the SIP edge rings agents where they registered with it; set HOTLINE_SIP_AGENT_REGISTRAR=freeswitch',
    );
  const iceServers = (env.HOTLINE_SOFTPHONE_ICE_SERVERS ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  for (const u of iceServers)
    if (!/^stun:[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$/.test(u))
      problems.push(`HOTLINE_SOFTPHONE_ICE_SERVERS: ${JSON.stringify(u)} is not stun:host[:port]`);
  const cfg = { wsUrl, iceServers } as SoftphoneConfig;
  Object.defineProperty(cfg, 'password', { value: password, enumerable: false, writable: false });
  return cfg;
}

export const EMERGENCY_SERVICES = ['110', '119', '120', '122'] as const;
export type EmergencyService = (typeof EMERGENCY_SERVICES)[number];

export function isEmergencyService(v: string | undefined): v is EmergencyService {
  return !!v && (EMERGENCY_SERVICES as readonly string[]).includes(v);
}

/** HOTLINE_REFERRAL_TRUNKS: `110=10.1.0.5|10.1.0.6,122=10.1.0.9` (the IP addresses each line's calls come from). */
function referralTrunksConfig(raw: string, problems: string[]): Config['referralTrunks'] {
  const out: Config['referralTrunks'] = {};
  const seen = new Set<string>();
  for (const part of raw
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const [k, v = ''] = part.split('=', 2) as [string, string | undefined];
    const addrs = v.split('|').map((a) => a.trim());
    if (!isEmergencyService(k) || !v)
      problems.push(
        `HOTLINE_REFERRAL_TRUNKS: ${JSON.stringify(part)} must be one of ${EMERGENCY_SERVICES.join(', ')}=ip[|ip...]`,
      );
    else if (addrs.some((a) => isIP(a) === 0))
      problems.push(`HOTLINE_REFERRAL_TRUNKS: ${k}=${JSON.stringify(v)} must be IP addresses separated by |`);
    else if (addrs.some((a) => seen.has(a)))
      problems.push(`HOTLINE_REFERRAL_TRUNKS: an address is given for two lines (${JSON.stringify(v)})`);
    else {
      for (const a of addrs) seen.add(a);
      out[k as EmergencyService] = addrs;
    }
  }
  return out;
}

/** HOTLINE_EMERGENCY_LINES: `110=sip:110@gw.example,120=sip:120@gw.example:5060` (user@host[:port] each). */
function emergencyLinesConfig(raw: string, problems: string[]): Config['emergencyLines'] {
  const out: Config['emergencyLines'] = {};
  for (const part of raw
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const [k, v] = part.split('=', 2) as [string, string | undefined];
    if (!isEmergencyService(k) || !v)
      problems.push(
        `HOTLINE_EMERGENCY_LINES: ${JSON.stringify(part)} must be one of ${EMERGENCY_SERVICES.join(', ')}=sip:user@host[:port]`,
      );
    else if (!isSipTarget(v))
      problems.push(`HOTLINE_EMERGENCY_LINES: ${k}=${JSON.stringify(v)} is not sip:user@host[:port]`);
    else out[k as EmergencyService] = v;
  }
  return out;
}
