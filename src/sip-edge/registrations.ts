// Agents' softphone registrations in Redis, shared by every router instance: one binding per extension (the
// contact the phone registered and the address its REGISTER came from, for phones behind NAT), a sorted set of
// registered extensions scored by expiry (what the ACD checks before it offers a call), and a pub/sub channel
// of changes for agents' desktops. Expiry is honoured on read, so a phone that stops refreshing stops being
// offered calls at its expiry even before the sweep removes it.
import type { Redis } from 'ioredis';
import type { SipKeys } from './keys.ts';

export interface Registration {
  extension: string;
  /** The Contact URI the phone registered, e.g. sip:1001@192.168.1.20:5062;transport=udp */
  contact: string;
  /** Where the REGISTER came from (what to send to when the contact is behind NAT). */
  received: { address: string; port: number; protocol: string };
  expiresAt: number;
  registeredAt: number;
  callId: string;
  userAgent?: string;
}

export interface RegistrationEvent {
  type: 'sip-registration';
  extension: string;
  registered: boolean;
  contact?: string;
  expiresAt?: number;
  reason: 'register' | 'refresh' | 'unregister' | 'expired';
}

// Stores the binding and its index entry together; publishes only when something changed for desktops.
const REGISTER = `
local prev = redis.call('ZSCORE', KEYS[2], ARGV[1])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
if (not prev) or tonumber(prev) <= tonumber(ARGV[5]) then
  redis.call('PUBLISH', KEYS[3], ARGV[6])
  return 1
end
return 0`;

// Removes an expired entry only if it is still expired (a refresh may have raced), once across instances.
const EXPIRE = `
local s = redis.call('ZSCORE', KEYS[2], ARGV[1])
if s and tonumber(s) <= tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', KEYS[3], ARGV[3])
  return 1
end
return 0`;

export class AgentRegistrations {
  constructor(
    private readonly redis: Redis,
    private readonly keys: SipKeys,
  ) {}

  async register(r: Registration, now = Date.now()): Promise<'new' | 'refresh'> {
    const ev: RegistrationEvent = {
      type: 'sip-registration',
      extension: r.extension,
      registered: true,
      contact: r.contact,
      expiresAt: r.expiresAt,
      reason: 'register',
    };
    const changed = (await this.redis.eval(
      REGISTER,
      3,
      this.keys.registration(r.extension),
      this.keys.registered(),
      this.keys.registrationEvents(),
      r.extension,
      JSON.stringify(r),
      String(r.expiresAt),
      String(Math.max(1, r.expiresAt - now)),
      String(now),
      JSON.stringify(ev),
    )) as number;
    return changed ? 'new' : 'refresh';
  }

  async unregister(extension: string, reason: 'unregister' | 'expired' = 'unregister'): Promise<boolean> {
    const removed = await this.redis
      .multi()
      .zrem(this.keys.registered(), extension)
      .del(this.keys.registration(extension))
      .exec();
    const did = Number(removed?.[0]?.[1] ?? 0) > 0;
    if (did) {
      const ev: RegistrationEvent = { type: 'sip-registration', extension, registered: false, reason };
      await this.redis.publish(this.keys.registrationEvents(), JSON.stringify(ev));
    }
    return did;
  }

  /** True while the extension's softphone holds an unexpired registration: the ACD offers calls only then. */
  async isRegistered(extension: string, now = Date.now()): Promise<boolean> {
    const s = await this.redis.zscore(this.keys.registered(), extension);
    return s !== null && Number(s) > now;
  }

  async get(extension: string, now = Date.now()): Promise<Registration | null> {
    const raw = await this.redis.get(this.keys.registration(extension));
    if (!raw) return null;
    const r = JSON.parse(raw) as Registration;
    return r.expiresAt > now ? r : null;
  }

  /** Registered extensions (unexpired), e.g. to filter a list of candidate agents in one round trip. */
  async registeredExtensions(now = Date.now()): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.registered(), `(${now}`, '+inf');
  }

  /**
   * Where FreeSWITCH should ring the agent: through the SIP edge, which forwards to the registered contact over
   * the connection the phone keeps open (NAT). Null when the phone is not registered.
   */
  async dialString(extension: string, edge: string, profile = 'hotline_carrier'): Promise<string | null> {
    if (!(await this.isRegistered(extension))) return null;
    return `{sip_h_X-Hotline-Agent-Leg=${extension}}sofia/${profile}/${extension}@${edge}`;
  }

  /** Removes registrations whose expiry has passed (run by every instance; each entry goes once). */
  async sweep(now = Date.now()): Promise<string[]> {
    const due = await this.redis.zrangebyscore(this.keys.registered(), '-inf', String(now));
    const gone: string[] = [];
    for (const ext of due) {
      const ev: RegistrationEvent = {
        type: 'sip-registration',
        extension: ext,
        registered: false,
        reason: 'expired',
      };
      const did = (await this.redis.eval(
        EXPIRE,
        3,
        this.keys.registration(ext),
        this.keys.registered(),
        this.keys.registrationEvents(),
        ext,
        String(now),
        JSON.stringify(ev),
      )) as number;
      if (did) gone.push(ext);
    }
    return gone;
  }
}
