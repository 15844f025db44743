// The SIP edge's settings, read from the same environment as the rest of the router (src/config/env.ts calls
// loadSipEdgeConfig and reports every bad value with its name, like its own). The edge is off unless
// HOTLINE_DRACHTIO_HOST is set.

export interface PoolMember {
  host: string;
  port: number;
}

export interface SipEdgeConfig {
  drachtio: { host: string; port: number; secret: string };
  /** FreeSWITCH carrier-profile addresses calls needing media are handed to. */
  pool: PoolMember[];
  optionsIntervalMs: number;
  optionsTimeoutMs: number;
  /** Consecutive unanswered OPTIONS that take a FreeSWITCH out of the pool. */
  optionsFailures: number;
  /** A FreeSWITCH that has not answered an INVITE in this time is given up for the next one. */
  fsAnswerTimeoutMs: number;
  subcenterTimeoutMs: number;
  /** Default opening hours of sub-centers (a line's own `subcenterHours` wins), e.g. "mon-fri 08:30-17:30". */
  subcenterHours: string;
  timeZone: string;
  realm: string;
  /** Shared agent softphone password (the FreeSWITCH directory's hotline_agent_password); per-extension ones win. */
  agentPassword: string | null;
  nonceSecret: string;
  registerMinExpiresS: number;
  registerMaxExpiresS: number;
  /** reject: unknown dialled numbers get 404; default-line: they go to the default line like the number plan does. */
  unknownNumbers: 'reject' | 'default-line';
  /** The edge's SIP address as FreeSWITCH reaches it, for agent legs (default: what drachtio-server reports). */
  agentLegTarget: string | null;
  /**
   * Where agents' softphones register: 'edge' (here, digest against HOTLINE_AGENT_SIP_PASSWORD; only
   * registered agents are offered calls, rung at their registered contact) or 'freeswitch' (on its
   * agents profile; the router rings user/<extension>).
   */
  agentRegistrar: 'edge' | 'freeswitch';
}

type Env = Record<string, string | undefined>;

export function loadSipEdgeConfig(env: Env, problems: string[]): SipEdgeConfig | null {
  const str = (name: string, def: string): string => {
    const v = env[name];
    return v === undefined || v === '' ? def : v;
  };
  const int = (name: string, def: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return def;
    if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name}=${JSON.stringify(raw)}: must be a whole number between ${min} and ${max}`);
      return def;
    }
    return Number(raw);
  };
  const host = str('HOTLINE_DRACHTIO_HOST', '');
  if (!host) return null;
  if (!/^[A-Za-z0-9.:_-]+$/.test(host))
    problems.push(`HOTLINE_DRACHTIO_HOST=${JSON.stringify(host)}: must be a host name or IP address`);
  const secret = str('HOTLINE_DRACHTIO_SECRET', '');
  if (!secret || /[|\r\n]/.test(secret))
    problems.push(
      'HOTLINE_DRACHTIO_SECRET: required when HOTLINE_DRACHTIO_HOST is set (no "|" or line breaks)',
    );
  const pool: PoolMember[] = [];
  for (const item of str('HOTLINE_SIP_FS_POOL', '127.0.0.1:5080').split(',')) {
    const m = /^\s*([A-Za-z0-9._-]+)(?::(\d{1,5}))?\s*$/.exec(item);
    if (!m || Number(m[2] ?? 5060) > 65535) {
      problems.push(`HOTLINE_SIP_FS_POOL: ${JSON.stringify(item)} is not host[:port]`);
      continue;
    }
    pool.push({ host: m[1]!, port: Number(m[2] ?? 5060) });
  }
  if (!pool.length) problems.push('HOTLINE_SIP_FS_POOL: needs at least one FreeSWITCH host[:port]');
  const hours = str('HOTLINE_SIP_SUBCENTER_HOURS', 'mon-fri 08:30-17:30');
  if (
    !/^(?:(?:mon|tue|wed|thu|fri|sat|sun)(?:-(?:mon|tue|wed|thu|fri|sat|sun))?\s+)?\d\d:\d\d-\d\d:\d\d(?:\s*,\s*\d\d:\d\d-\d\d:\d\d)*$/i.test(
      hours.trim(),
    )
  )
    problems.push(
      `HOTLINE_SIP_SUBCENTER_HOURS=${JSON.stringify(hours)}: e.g. "mon-fri 08:30-12:00,13:30-17:30" or "00:00-24:00"`,
    );
  const timeZone = str('HOTLINE_SIP_TIMEZONE', 'Asia/Shanghai');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    problems.push(`HOTLINE_SIP_TIMEZONE=${JSON.stringify(timeZone)}: not a time zone`);
  }
  const realm = str('HOTLINE_SIP_REALM', 'hotline');
  if (!/^[A-Za-z0-9._-]+$/.test(realm))
    problems.push(`HOTLINE_SIP_REALM=${JSON.stringify(realm)}: letters, digits, dot, dash or underscore`);
  const unknown = str('HOTLINE_SIP_UNKNOWN_NUMBERS', 'reject');
  if (unknown !== 'reject' && unknown !== 'default-line')
    problems.push(`HOTLINE_SIP_UNKNOWN_NUMBERS=${JSON.stringify(unknown)}: must be reject or default-line`);
  const agentRegistrar = str('HOTLINE_SIP_AGENT_REGISTRAR', 'edge');
  if (agentRegistrar !== 'edge' && agentRegistrar !== 'freeswitch')
    problems.push(
      `HOTLINE_SIP_AGENT_REGISTRAR=${JSON.stringify(agentRegistrar)}: must be edge or freeswitch`,
    );
  const agentLegTarget = str('HOTLINE_SIP_AGENT_LEG_TARGET', '');
  if (agentLegTarget && !/^[A-Za-z0-9._-]+(?::\d{1,5})?$/.test(agentLegTarget))
    problems.push(`HOTLINE_SIP_AGENT_LEG_TARGET=${JSON.stringify(agentLegTarget)}: must be host[:port]`);
  const minExp = int('HOTLINE_SIP_REGISTER_MIN_EXPIRES_S', 60, 1, 3600);
  const maxExp = int('HOTLINE_SIP_REGISTER_MAX_EXPIRES_S', 3600, 60, 86400);
  if (minExp > maxExp)
    problems.push('HOTLINE_SIP_REGISTER_MIN_EXPIRES_S: must not exceed HOTLINE_SIP_REGISTER_MAX_EXPIRES_S');
  const cfg: SipEdgeConfig = {
    drachtio: { host, port: int('HOTLINE_DRACHTIO_PORT', 9022, 1, 65535), secret },
    pool,
    optionsIntervalMs: int('HOTLINE_SIP_OPTIONS_INTERVAL_MS', 5000, 100, 600_000),
    optionsTimeoutMs: int('HOTLINE_SIP_OPTIONS_TIMEOUT_MS', 2000, 50, 60_000),
    optionsFailures: int('HOTLINE_SIP_OPTIONS_FAILURES', 2, 1, 100),
    fsAnswerTimeoutMs: int('HOTLINE_SIP_FS_ANSWER_TIMEOUT_MS', 10_000, 200, 120_000),
    subcenterTimeoutMs: int('HOTLINE_SIP_SUBCENTER_TIMEOUT_S', 20, 1, 300) * 1000,
    subcenterHours: hours.trim(),
    timeZone,
    realm,
    agentPassword: str('HOTLINE_AGENT_SIP_PASSWORD', '') || null,
    nonceSecret: str('HOTLINE_SIP_NONCE_SECRET', secret || 'hotline'),
    registerMinExpiresS: minExp,
    registerMaxExpiresS: maxExp,
    unknownNumbers: unknown === 'default-line' ? 'default-line' : 'reject',
    agentLegTarget: agentLegTarget || null,
    agentRegistrar: agentRegistrar === 'freeswitch' ? 'freeswitch' : 'edge',
  };
  // Secrets are not enumerable: printing the configuration (`hotline config`, a log line) never shows them.
  hide(cfg.drachtio, 'secret');
  hide(cfg, 'agentPassword');
  hide(cfg, 'nonceSecret');
  return cfg;
}

function hide<T extends object>(o: T, key: keyof T): void {
  Object.defineProperty(o, key, { value: o[key], enumerable: false, writable: false });
}
