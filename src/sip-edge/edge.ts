// The SIP edge: the router's drachtio-srf application. Carriers deliver 12345 and the legacy numbers to
// drachtio-server; for each INVITE the edge decides at the SIP level where the call goes, as a B2BUA (the way
// drachtio-fsmrf and jambonz drive FreeSWITCH):
//   - a sub-center line (设分中心) during its hours -> the sub-center's SIP address; busy, unreachable, failing or
//     not answering in time -> 12345's own seats, so a caller is never lost between the two;
//   - everything else -> one FreeSWITCH of the pool (health by OPTIONS, load by calls up), with X- headers naming
//     line, merge mode, skill and priority class, which the dialplan's socket connection carries to the router
//     as sip_h_X-... channel variables;
//   - REFER from the far leg (an agent's transfer through FreeSWITCH's uuid_deflect, or a sub-center sending the
//     caller back) -> a new leg to the sub-center or to the pool, the caller re-INVITEd onto it;
//   - INVITEs from a pool FreeSWITCH that carry X-Hotline-Agent-Leg -> the agent's registered softphone contact;
//   - REGISTER -> registrar.ts (digest, Redis).
// Unknown numbers and malformed INVITEs get a final response and a log line, never silence.
import { caseIdOf, noteOf, trunkOf } from '../calls/referral.ts';
import type { EmergencyService } from '../config/env.ts';
import dns from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.ts';
import type { ServiceLine } from '../number-plan/lines.ts';
import { uriUser } from '../number-plan/normalize.ts';
import { resolveDialled, type NumberPlan } from '../number-plan/resolve.ts';
import type { SipEdgeConfig } from './config.ts';
import { SipCredentials } from './credentials.ts';
import { NonceIssuer } from './digest.ts';
import { FreeSwitchPool, type MemberState } from './fs-pool.ts';
import { isOpen, parseHours } from './hours.ts';
import { classifyInvite, nameAddr, type IntakeResult } from './intake.ts';
import { SipKeys } from './keys.ts';
import { Registrar } from './registrar.ts';
import { AgentRegistrations } from './registrations.ts';
import {
  createSrf,
  shutdownSrf,
  type SrfClient,
  type SrfDialog,
  type SrfRequest,
  type SrfResponse,
  type SrfSipError,
} from './srf.ts';

export interface SipEdgeDeps {
  redis: Redis;
  prefix: string;
  log: Logger;
  plan: () => Promise<NumberPlan>;
  /** Whether a caller is on the care list (关爱名单): their calls carry priority class "care". */
  careListed?: (caller: string) => Promise<boolean>;
  /** The emergency lines' trunks (source addresses): their calls are passed on as transferred in. */
  referralTrunks?: Partial<Record<EmergencyService, readonly string[]>>;
  now?: () => Date;
}

export type LegKind = 'pool' | 'subcenter' | 'agent';

export interface EdgeCallInfo {
  id: string;
  callId: string;
  line: string;
  caller: string;
  kind: LegKind;
  member?: string;
  startedAt: number;
  transfers: number;
}

interface EdgeCall extends EdgeCallInfo {
  a: SrfDialog;
  b: SrfDialog;
  memberState?: MemberState;
  lineInfo?: ServiceLine;
  headers: Record<string, string>;
  ended: boolean;
  log: Logger;
}

export interface SipEdgeEvents {
  connected: [string];
  disconnected: [];
  call: [EdgeCallInfo];
  'call-ended': [EdgeCallInfo, string];
  rejected: [{ status: number; why: string; callId: string }];
}

type Attempt =
  | { ok: true; uas: SrfDialog; uac: SrfDialog }
  | { ok: false; status: number; reason: string; timedOut: boolean };

/** Characters a dialled number may keep in the FreeSWITCH Request-URI; anything else goes as the line number. */
const SAFE_USER = /^[0-9+*#-]{1,32}$/;

export class SipEdge extends EventEmitter<SipEdgeEvents> {
  readonly keys: SipKeys;
  readonly pool: FreeSwitchPool;
  readonly registrations: AgentRegistrations;
  readonly credentials: SipCredentials;
  readonly registrar: Registrar;
  private srf: SrfClient | null = null;
  private readonly log: Logger;
  private readonly calls = new Map<string, EdgeCall>();
  private readonly hours;
  private poolIps = new Set<string>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private lastConnectError = 0;
  state: 'idle' | 'connecting' | 'connected' | 'disconnected' = 'idle';
  hostport = '';
  readonly stats = {
    invites: 0,
    rejected: 0,
    toPool: 0,
    toSubcenter: 0,
    fallbacks: 0,
    transfers: 0,
    agentLegs: 0,
  };

  constructor(
    readonly config: SipEdgeConfig,
    private readonly deps: SipEdgeDeps,
  ) {
    super();
    this.log = deps.log;
    this.keys = new SipKeys(deps.prefix);
    this.registrations = new AgentRegistrations(deps.redis, this.keys);
    this.credentials = new SipCredentials(deps.redis, this.keys, config.realm, config.agentPassword);
    this.registrar = new Registrar({
      registrations: this.registrations,
      credentials: this.credentials,
      nonces: new NonceIssuer(config.nonceSecret),
      realm: config.realm,
      minExpiresS: config.registerMinExpiresS,
      maxExpiresS: config.registerMaxExpiresS,
      log: deps.log.child({ part: 'registrar' }),
    });
    this.hours = parseHours(config.subcenterHours);
    this.pool = new FreeSwitchPool(
      config.pool,
      {
        intervalMs: config.optionsIntervalMs,
        timeoutMs: config.optionsTimeoutMs,
        failuresToDown: config.optionsFailures,
        // Without drachtio nothing can be learnt about FreeSWITCH: health stays as it was.
        canPing: () => this.state === 'connected',
      },
      (m, timeoutMs) => this.ping(`sip:${m.host}:${m.port}`, timeoutMs),
    );
    this.pool.on('down', (m) => {
      this.log.error({ freeswitch: m.address, status: m.lastStatus }, 'FreeSWITCH out of the pool');
      void this.deps.redis.publish(
        this.keys.poolEvents(),
        JSON.stringify({ address: m.address, healthy: false }),
      );
    });
    this.pool.on('up', (m) => {
      this.log.info({ freeswitch: m.address }, 'FreeSWITCH back in the pool');
      void this.deps.redis.publish(
        this.keys.poolEvents(),
        JSON.stringify({ address: m.address, healthy: true }),
      );
    });
  }

  /** Connects to drachtio-server (retrying in the background: the router starts without it) and starts pinging. */
  start(): void {
    if (this.srf) return;
    this.stopped = false;
    this.state = 'connecting';
    const srf = createSrf();
    this.srf = srf;
    srf.on('connect', (err: Error | null, hostport: string) => {
      if (this.stopped) return shutdownSrf(srf);
      if (err) {
        if (Date.now() - this.lastConnectError > 30_000) {
          this.lastConnectError = Date.now();
          this.log.error(
            { err: err.message, drachtio: this.drachtioAddress },
            'drachtio-server refused the edge',
          );
        }
        return;
      }
      this.state = 'connected';
      this.hostport = hostport;
      this.log.info(
        { drachtio: this.drachtioAddress, sip: hostport },
        'SIP edge connected to drachtio-server',
      );
      this.emit('connected', hostport);
      // Health is only learnt through drachtio: ask every FreeSWITCH now rather than at the next tick.
      void this.pool.pingAll();
    });
    srf.on('close', () => {
      if (this.state === 'connected') {
        this.log.warn({ drachtio: this.drachtioAddress }, 'lost drachtio-server, reconnecting');
        this.dropCalls();
        this.emit('disconnected');
      }
      if (!this.stopped) this.state = 'disconnected';
    });
    srf.on('error', (err: Error) => {
      if (this.stopped) return;
      if (Date.now() - this.lastConnectError > 30_000) {
        this.lastConnectError = Date.now();
        this.log.warn({ err: err.message, drachtio: this.drachtioAddress }, 'drachtio connection error');
      }
    });
    srf.invite((req, res) => void this.onInvite(req, res));
    srf.register((req, res) => {
      this.registrar.handle(req, res).catch((err: Error) => {
        this.log.error({ err: err.message }, 'REGISTER failed');
        if (!res.finalResponseSent) res.send(500);
      });
    });
    srf.options((_req, res) =>
      res.send(200, { headers: { Allow: 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER, NOTIFY' } }),
    );
    srf.connect(this.config.drachtio);
    void this.resolvePool();
    this.pool.start();
    this.sweepTimer = setInterval(() => {
      this.registrations
        .sweep()
        .then((gone) => {
          for (const ext of gone) this.log.info({ extension: ext }, 'softphone registration expired');
        })
        .catch(() => undefined);
    }, 5000);
  }

  get drachtioAddress(): string {
    return `${this.config.drachtio.host}:${this.config.drachtio.port}`;
  }

  /** Resolves once connected to drachtio-server (or rejects after `timeoutMs`). */
  ready(timeoutMs = 5000): Promise<void> {
    if (this.state === 'connected') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.off('connected', ok);
        reject(new Error(`no drachtio-server at ${this.drachtioAddress} within ${timeoutMs} ms`));
      }, timeoutMs);
      const ok = () => {
        clearTimeout(t);
        resolve();
      };
      this.once('connected', ok);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pool.stop();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    const ends: Array<Promise<unknown>> = [];
    for (const c of this.calls.values()) {
      c.ended = true;
      ends.push(
        c.a.destroy().catch(() => undefined),
        c.b.destroy().catch(() => undefined),
      );
    }
    await Promise.race([Promise.all(ends), new Promise((r) => setTimeout(r, 500))]);
    this.calls.clear();
    if (this.srf) shutdownSrf(this.srf);
    this.srf = null;
    this.state = 'idle';
  }

  status(): {
    state: string;
    drachtio: string;
    sip: string;
    calls: number;
    pool: ReturnType<FreeSwitchPool['snapshot']>;
    stats: SipEdge['stats'];
  } {
    return {
      state: this.state,
      drachtio: this.drachtioAddress,
      sip: this.hostport,
      calls: this.calls.size,
      pool: this.pool.snapshot(),
      stats: { ...this.stats },
    };
  }

  /**
   * The dial string FreeSWITCH should bridge to for an agent: through this edge to the softphone's registered
   * contact; null when the softphone is not registered (the agent must not be offered the call then).
   * HOTLINE_SIP_AGENT_LEG_TARGET names the edge's SIP address as FreeSWITCH reaches it; by default the UDP
   * address drachtio-server reported when the edge connected.
   */
  async agentDialString(extension: string): Promise<string | null> {
    const udp = /(?:^|,)udp\/([^,]+)/.exec(this.hostport)?.[1];
    const target = this.config.agentLegTarget ?? udp;
    if (!target) return null;
    return this.registrations.dialString(extension, target);
  }

  activeCalls(): EdgeCallInfo[] {
    return [...this.calls.values()].map(
      ({ id, callId, line, caller, kind, member, startedAt, transfers }) => ({
        id,
        callId,
        line,
        caller,
        kind,
        member,
        startedAt,
        transfers,
      }),
    );
  }

  // ---------------------------------------------------------------------------------------------- pool

  private async resolvePool(): Promise<void> {
    const ips = new Set<string>();
    for (const m of this.config.pool) {
      if (net.isIP(m.host)) ips.add(m.host);
      else {
        try {
          for (const a of await dns.lookup(m.host, { all: true })) ips.add(a.address);
        } catch {
          // not resolvable now; pings will mark it down
        }
      }
    }
    this.poolIps = ips;
  }

  /** One OPTIONS through drachtio; 'error' when not connected (health is then left as it is). */
  private ping(uri: string, timeoutMs: number): Promise<number | 'timeout' | 'error'> {
    const srf = this.srf;
    if (!srf || this.state !== 'connected') return Promise.resolve('error');
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve('timeout'), timeoutMs);
      try {
        srf.request(uri, { method: 'OPTIONS', headers: { 'User-Agent': 'hotline-sip-edge' } }, (err, req) => {
          if (err) {
            clearTimeout(t);
            return resolve('error');
          }
          req.on('response', (res: { status: number }) => {
            clearTimeout(t);
            resolve(res.status);
          });
        });
      } catch {
        clearTimeout(t);
        resolve('error');
      }
    });
  }

  // ---------------------------------------------------------------------------------------------- intake

  private reject(
    req: SrfRequest,
    res: SrfResponse,
    status: number,
    reason: string,
    why: string,
    extra = {},
  ): void {
    this.stats.rejected++;
    const callId = req.get('call-id') ?? '';
    this.log.warn(
      { status, why, callId, uri: req.uri, from: `${req.source_address}:${req.source_port}`, ...extra },
      'INVITE rejected',
    );
    if (!res.finalResponseSent) res.send(status, reason);
    this.emit('rejected', { status, why, callId });
  }

  private async onInvite(req: SrfRequest, res: SrfResponse): Promise<void> {
    this.stats.invites++;
    let canceled = false;
    req.on('cancel', () => (canceled = true));
    try {
      if (req.get('x-hotline-agent-leg') !== undefined) return await this.agentLeg(req, res, () => canceled);
      const maxForwards = req.get('max-forwards');
      if (maxForwards !== undefined && Number(maxForwards) <= 0)
        return this.reject(req, res, 483, 'Too Many Hops', 'max-forwards');
      if (!req.has('contact')) return this.reject(req, res, 400, 'Missing Contact', 'no Contact header');
      const ctype = (req.get('content-type') ?? '').toLowerCase();
      if (req.body && ctype && !ctype.includes('application/sdp'))
        return this.reject(req, res, 415, 'Unsupported Media Type', `body ${ctype}`);
      const plan = await this.deps.plan();
      const intake = classifyInvite(plan, req, { unknown: this.config.unknownNumbers });
      if (!intake.ok) return this.reject(req, res, intake.status, intake.reason, intake.why);
      if (canceled) return;
      const line = intake.dialled.resolution.line;
      const care = (await this.deps.careListed?.(intake.caller.number).catch(() => false)) ?? false;
      const headers = this.lineHeaders(line, intake, care ? 'care' : 'normal');
      Object.assign(headers, this.referralHeaders(req));
      const log = this.log.child({ edgeCall: headers['X-Hotline-Edge-Call'], line: line.number });
      log.info(
        {
          dialled: intake.dialled.raw,
          from: intake.dialled.source,
          caller: intake.caller.number,
          mode: line.mergeMode,
          priority: headers['X-Hotline-Priority'],
        },
        'carrier call',
      );
      if (line.mergeMode === 'subcenter' && line.subcenterUri && this.subcenterOpen(line)) {
        const r = await this.toSubcenter(req, res, line, intake, headers, log, () => canceled);
        if (r === 'done') return;
        headers['X-Hotline-Fallback'] = `subcenter-${r}`;
        this.stats.fallbacks++;
      }
      await this.toPool(req, res, intake, headers, log, () => canceled);
    } catch (err) {
      this.log.error({ err: (err as Error).message, callId: req.get('call-id') }, 'INVITE handling failed');
      if (!res.finalResponseSent && !canceled) res.send(500);
    }
  }

  /**
   * A call from an emergency line's trunk: FreeSWITCH sees the edge as the source, so the edge says which line it
   * came from, with that line's context checked (src/calls/referral.ts); headers from other sources are dropped.
   */
  private referralHeaders(req: SrfRequest): Record<string, string> {
    const from = trunkOf(req.source_address, this.deps.referralTrunks ?? {});
    if (!from) return {};
    const caseId = caseIdOf(req.get('x-referral-case'));
    const note = noteOf(req.get('x-referral-note'));
    return {
      'X-Hotline-Referral': from,
      ...(caseId ? { 'X-Hotline-Referral-Case': caseId } : {}),
      ...(note ? { 'X-Hotline-Referral-Note': encodeURIComponent(note) } : {}),
    };
  }

  private lineHeaders(line: ServiceLine, intake: IntakeResult, priority: string): Record<string, string> {
    return {
      'X-Hotline-Edge-Call': randomUUID(),
      'X-Hotline-Line': line.number,
      'X-Hotline-Merge-Mode': line.mergeMode,
      'X-Hotline-Skill': line.skill,
      'X-Hotline-Priority': priority,
      'X-Hotline-Dialled': intake.dialled.raw,
      'X-Hotline-Dialled-Source': intake.dialled.source,
      'X-Hotline-Caller': intake.caller.number,
      ...(intake.dialled.resolution.known ? {} : { 'X-Hotline-Unknown-Number': 'true' }),
    };
  }

  private subcenterOpen(line: ServiceLine): boolean {
    const own = (line as ServiceLine & { subcenterHours?: string }).subcenterHours;
    const hours = own ? parseHours(own) : this.hours;
    if (!hours) return true;
    return isOpen(hours, this.deps.now?.() ?? new Date(), this.config.timeZone);
  }

  /** What FreeSWITCH gets as the called number: the number as dialled when it is plain, else the line. */
  private destination(intake: IntakeResult): string {
    return SAFE_USER.test(intake.dialled.raw) ? intake.dialled.raw : intake.dialled.resolution.line.number;
  }

  // ---------------------------------------------------------------------------------------------- legs

  /**
   * One B2BUA attempt; never answers the caller itself (passFailure false). After timeoutMs without a final
   * answer the B leg is CANCELled; if it does not end promptly (a target that never sent even a provisional
   * response leaves the INVITE to run into timer B, 32 s) the attempt is abandoned so the caller can move on.
   */
  private async attempt(
    req: SrfRequest,
    res: SrfResponse,
    uri: string,
    opts: { headers: Record<string, string>; timeoutMs: number; callingNumber?: string; proxy?: string },
  ): Promise<Attempt> {
    const srf = this.srf;
    if (!srf) return { ok: false, status: 503, reason: 'edge stopped', timedOut: false };
    let uacReq: SrfRequest | undefined;
    let timedOut = false;
    let abandoned = false;
    const cancel = () => {
      try {
        uacReq?.cancel();
      } catch {
        // already final
      }
    };
    let giveUp: (a: Attempt) => void = () => undefined;
    const gaveUp = new Promise<Attempt>((resolve) => (giveUp = resolve));
    const grace: NodeJS.Timeout[] = [];
    const timer = setTimeout(() => {
      timedOut = true;
      cancel();
      grace.push(
        setTimeout(() => {
          abandoned = true;
          giveUp({ ok: false, status: 408, reason: 'no answer', timedOut: true });
        }, 1000),
      );
    }, opts.timeoutMs);
    const b2b = srf
      .createB2BUA(
        req,
        res,
        uri,
        {
          headers: opts.headers,
          localSdpB: req.body || undefined,
          passFailure: false,
          callingNumber: opts.callingNumber,
          proxy: opts.proxy,
        },
        {
          cbRequest: (err, r) => {
            if (err) return;
            uacReq = r;
            if (timedOut) cancel();
          },
        },
      )
      .then(
        ({ uas, uac }): Attempt => {
          if (abandoned) {
            // Answered after all, but the caller has moved on: release it.
            uac.destroy().catch(() => undefined);
            return { ok: false, status: 408, reason: 'late answer', timedOut: true };
          }
          return { ok: true, uas, uac };
        },
        (err): Attempt => {
          const e = err as SrfSipError;
          return { ok: false, status: e.status ?? 500, reason: e.reason ?? e.message, timedOut };
        },
      );
    try {
      return await Promise.race([b2b, gaveUp]);
    } finally {
      clearTimeout(timer);
      for (const t of grace) clearTimeout(t);
    }
  }

  private async toSubcenter(
    req: SrfRequest,
    res: SrfResponse,
    line: ServiceLine,
    intake: IntakeResult,
    headers: Record<string, string>,
    log: Logger,
    canceled: () => boolean,
  ): Promise<'done' | 'busy' | 'unreachable' | 'timeout' | 'rejected'> {
    const uri = line.subcenterUri!;
    log.info({ subcenter: uri }, 'to the sub-center');
    const r = await this.attempt(req, res, uri, {
      headers,
      timeoutMs: this.config.subcenterTimeoutMs,
      callingNumber: intake.caller.number,
    });
    if (r.ok) {
      this.stats.toSubcenter++;
      this.bind(req, r.uas, r.uac, 'subcenter', line, intake.caller.number, headers, log);
      return 'done';
    }
    if (canceled() || res.finalResponseSent) return 'done';
    const why = r.timedOut
      ? 'timeout'
      : r.status === 486 || r.status === 600
        ? 'busy'
        : r.status === 408 || r.status >= 500
          ? 'unreachable'
          : 'rejected';
    log.warn(
      { subcenter: uri, status: r.status, why },
      "the sub-center did not take the call: to 12345's seats with the line's skill",
    );
    return why;
  }

  private async toPool(
    req: SrfRequest,
    res: SrfResponse,
    intake: IntakeResult,
    headers: Record<string, string>,
    log: Logger,
    canceled: () => boolean,
  ): Promise<void> {
    const tried = new Set<string>();
    const dest = this.destination(intake);
    for (;;) {
      if (canceled() || res.finalResponseSent) return;
      const m = this.pool.pick(tried);
      if (!m) {
        log.error({ tried: [...tried] }, 'no FreeSWITCH left to take the call');
        res.send(503, 'Service Unavailable', { headers: { 'Retry-After': '10' } });
        this.emit('rejected', { status: 503, why: 'no FreeSWITCH', callId: req.get('call-id') ?? '' });
        return;
      }
      tried.add(m.address);
      m.activeCalls++;
      m.totalCalls++;
      const r = await this.attempt(req, res, `sip:${dest}@${m.host}:${m.port}`, {
        headers,
        timeoutMs: this.config.fsAnswerTimeoutMs,
        callingNumber: intake.caller.number,
      });
      if (r.ok) {
        this.stats.toPool++;
        this.bind(
          req,
          r.uas,
          r.uac,
          'pool',
          intake.dialled.resolution.line,
          intake.caller.number,
          headers,
          log,
          m,
        );
        return;
      }
      m.activeCalls--;
      if (canceled() || res.finalResponseSent) return;
      log.warn(
        { freeswitch: m.address, status: r.status, timedOut: r.timedOut },
        'FreeSWITCH did not take the call',
      );
      if (r.timedOut || r.status === 408 || r.status >= 500) this.pool.markFailure(m, true);
    }
  }

  /** FreeSWITCH rings an agent through the edge: forward to the registered contact, NAT-safe via where it registered. */
  private async agentLeg(req: SrfRequest, res: SrfResponse, canceled: () => boolean): Promise<void> {
    const ext = req.get('x-hotline-agent-leg')!.trim() || uriUser(req.uri);
    if (!this.poolIps.has(req.source_address) && !this.pool.isMember(req.source_address)) {
      return this.reject(req, res, 403, 'Forbidden', 'agent leg from outside the FreeSWITCH pool', {
        extension: ext,
      });
    }
    const reg = await this.registrations.get(ext);
    if (!reg)
      return this.reject(req, res, 480, 'Temporarily Unavailable', 'agent softphone not registered', {
        extension: ext,
      });
    if (canceled()) return;
    this.stats.agentLegs++;
    const log = this.log.child({ agent: ext });
    const r = await this.attempt(req, res, reg.contact, {
      headers: {},
      timeoutMs: 120_000,
      proxy: `sip:${reg.received.address}:${reg.received.port}`,
    });
    if (r.ok) {
      this.bind(req, r.uas, r.uac, 'agent', undefined, ext, {}, log);
      return;
    }
    if (!res.finalResponseSent && !canceled()) res.send(r.status >= 300 ? r.status : 480);
  }

  // ---------------------------------------------------------------------------------------------- calls

  private bind(
    req: SrfRequest,
    a: SrfDialog,
    b: SrfDialog,
    kind: LegKind,
    line: ServiceLine | undefined,
    caller: string,
    headers: Record<string, string>,
    log: Logger,
    member?: MemberState,
  ): void {
    const call: EdgeCall = {
      id: headers['X-Hotline-Edge-Call'] ?? randomUUID(),
      callId: req.get('call-id') ?? '',
      line: line?.number ?? '',
      caller,
      kind,
      member: member?.address,
      memberState: member,
      lineInfo: line,
      startedAt: Date.now(),
      transfers: 0,
      a,
      b,
      headers,
      ended: false,
      log,
    };
    this.calls.set(call.id, call);
    log.info({ kind, member: call.member }, 'call connected');
    this.emit('call', this.info(call));
    a.on('destroy', () => this.end(call, 'caller', call.b));
    a.on('info', (rq, rs) => void this.relay(call.b, rq, rs));
    // Callers may not transfer themselves anywhere.
    a.on('refer', (_rq, rs) => rs.send(403, 'Forbidden'));
    this.wireB(call, b);
  }

  private wireB(call: EdgeCall, b: SrfDialog): void {
    b.on('destroy', () => {
      if (call.b === b) this.end(call, 'far end', call.a);
    });
    b.on('info', (rq, rs) => void this.relay(call.a, rq, rs));
    b.on('refer', (rq, rs) => void this.onRefer(call, b, rq, rs));
  }

  private info(c: EdgeCall): EdgeCallInfo {
    const { id, callId, line, caller, kind, member, startedAt, transfers } = c;
    return { id, callId, line, caller, kind, member, startedAt, transfers };
  }

  /**
   * The dialogs lived in the drachtio-server connection that is gone (a restarted server knows none of them, and
   * this connection's dialog objects will never hear of them again): the calls are no longer the edge's to count,
   * and the pool members they were on are no longer busy with them. FreeSWITCH ends its legs by media timeout.
   */
  private dropCalls(): void {
    for (const call of [...this.calls.values()]) {
      if (call.ended) continue;
      call.ended = true;
      this.calls.delete(call.id);
      if (call.memberState) call.memberState.activeCalls = Math.max(0, call.memberState.activeCalls - 1);
      call.log.warn(
        { durationMs: Date.now() - call.startedAt },
        'call dropped from the edge: drachtio-server lost',
      );
      this.emit('call-ended', this.info(call), 'drachtio-server lost');
    }
  }

  private end(call: EdgeCall, by: string, other: SrfDialog): void {
    if (call.ended) return;
    call.ended = true;
    this.calls.delete(call.id);
    if (call.memberState) call.memberState.activeCalls = Math.max(0, call.memberState.activeCalls - 1);
    call.log.info({ by, durationMs: Date.now() - call.startedAt }, 'call ended');
    this.emit('call-ended', this.info(call), by);
    if (other.connected) other.destroy().catch(() => undefined);
  }

  private async relay(to: SrfDialog, rq: SrfRequest, rs: SrfResponse): Promise<void> {
    try {
      const headers: Record<string, string> = {};
      const ct = rq.get('content-type');
      if (ct) headers['Content-Type'] = ct;
      const r = await to.request({ method: 'INFO', headers, body: rq.body });
      rs.send(r.status ?? 200);
    } catch {
      rs.send(481);
    }
  }

  // ---------------------------------------------------------------------------------------------- transfers

  /**
   * REFER from the far leg: to a sub-center (Refer-To the sub-center line's number or its SIP address), or - from
   * a sub-center - back to 12345's seats (Refer-To any hotline number). A new leg is set up first; only when it
   * answers is the caller moved onto it (re-INVITE) and the referrer released. If it fails, the caller stays.
   */
  private async onRefer(call: EdgeCall, from: SrfDialog, rq: SrfRequest, rs: SrfResponse): Promise<void> {
    const referTo = nameAddr(rq.get('refer-to') ?? '').uri.replace(/\?.*$/, '');
    const plan = await this.deps.plan();
    const target = this.transferTarget(call, referTo, plan);
    if (!target) {
      call.log.warn({ referTo }, 'REFER to somewhere the edge does not transfer to');
      return rs.send(403, 'Forbidden');
    }
    rs.send(202, 'Accepted');
    this.stats.transfers++;
    const notify = (frag: string, final: boolean) =>
      from
        .request({
          method: 'NOTIFY',
          headers: {
            Event: 'refer',
            'Subscription-State': final ? 'terminated;reason=noresource' : 'active;expires=60',
            'Content-Type': 'message/sipfrag;version=2.0',
          },
          body: `SIP/2.0 ${frag}\r\n`,
        })
        .catch(() => undefined);
    await notify('100 Trying', false);
    call.log.info({ referTo, to: target.kind, uri: target.uri }, 'transfer');
    const leg = await this.newLeg(call, target);
    if (!leg.ok) {
      call.log.warn({ referTo, status: leg.status }, 'transfer failed: the caller stays where they were');
      await notify(`${leg.status} ${leg.reason || 'Failed'}`, true);
      return;
    }
    try {
      if (leg.dialog.remote.sdp) await call.a.modify(leg.dialog.remote.sdp);
    } catch (err) {
      call.log.warn({ err: (err as Error).message }, 're-INVITE of the caller failed');
    }
    const old = call.b;
    if (call.memberState) call.memberState.activeCalls = Math.max(0, call.memberState.activeCalls - 1);
    call.b = leg.dialog;
    call.kind = target.kind;
    call.lineInfo = target.line;
    call.line = target.line.number;
    call.member = leg.member?.address;
    call.memberState = leg.member;
    call.transfers++;
    this.wireB(call, leg.dialog);
    await notify('200 OK', true);
    if (old.connected) await old.destroy().catch(() => undefined);
    call.log.info({ to: target.kind, member: call.member }, 'transfer done');
  }

  private transferTarget(
    call: EdgeCall,
    referTo: string,
    plan: NumberPlan,
  ): { kind: LegKind; uri: string; line: ServiceLine } | null {
    if (!/^sips?:/i.test(referTo)) return null;
    const host = /@([^;:>]+)/.exec(referTo)?.[1]?.toLowerCase();
    const bySubcenterAddress = plan.lines.find(
      (l) =>
        l.subcenterUri &&
        (l.subcenterUri === referTo || /@([^;:>]+)/.exec(l.subcenterUri)?.[1]?.toLowerCase() === host),
    );
    const r = resolveDialled(plan, referTo);
    const line = bySubcenterAddress ?? (r.known ? r.line : undefined);
    if (!line) return null;
    if (call.kind === 'subcenter') {
      // Back from the sub-center: 12345's seats, keeping the line the caller came in on.
      const own = call.lineInfo ?? line;
      return { kind: 'pool', uri: own.number, line: own };
    }
    if (line.mergeMode === 'subcenter' && line.subcenterUri)
      return { kind: 'subcenter', uri: line.subcenterUri, line };
    return { kind: 'pool', uri: line.number, line };
  }

  private async newLeg(
    call: EdgeCall,
    target: { kind: LegKind; uri: string; line: ServiceLine },
  ): Promise<
    { ok: true; dialog: SrfDialog; member?: MemberState } | { ok: false; status: number; reason: string }
  > {
    const srf = this.srf;
    if (!srf) return { ok: false, status: 503, reason: 'edge stopped' };
    const headers = {
      ...call.headers,
      'X-Hotline-Line': target.line.number,
      'X-Hotline-Merge-Mode': target.line.mergeMode,
      'X-Hotline-Skill': target.line.skill,
      'X-Hotline-Transfer': call.kind === 'subcenter' ? 'from-subcenter' : 'to-subcenter',
    };
    const tried = new Set<string>();
    for (;;) {
      const member = target.kind === 'pool' ? (this.pool.pick(tried) ?? undefined) : undefined;
      if (target.kind === 'pool' && !member) return { ok: false, status: 503, reason: 'Service Unavailable' };
      if (member) {
        tried.add(member.address);
        member.activeCalls++;
        member.totalCalls++;
      }
      const uri = member ? `sip:${target.uri}@${member.host}:${member.port}` : target.uri;
      const timeoutMs =
        target.kind === 'subcenter' ? this.config.subcenterTimeoutMs : this.config.fsAnswerTimeoutMs;
      let uacReq: SrfRequest | undefined;
      const timer = setTimeout(() => {
        try {
          uacReq?.cancel();
        } catch {
          // already final
        }
      }, timeoutMs);
      try {
        const dialog = await srf.createUAC(
          uri,
          { localSdp: call.a.remote.sdp, headers, callingNumber: call.caller },
          {
            cbRequest: (_e, r) => {
              uacReq = r;
            },
          },
        );
        return { ok: true, dialog, member };
      } catch (err) {
        const e = err as SrfSipError;
        if (member) {
          member.activeCalls--;
          if ((e.status ?? 500) >= 500 || e.status === 408 || e.status === 487)
            this.pool.markFailure(member, true);
        }
        if (!member) return { ok: false, status: e.status ?? 500, reason: e.reason ?? e.message };
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
