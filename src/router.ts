// Composition root: wires the adapters (Redis, ESL inbound and outbound, WebSocket, HTTP) around the
// decision code (number plan, ACD policy) and owns their start and stop.
import type { FastifyInstance } from 'fastify';
import type { Event } from 'modesl';
import type { Redis } from 'ioredis';
import { AcdConfigStore } from './acd/config-store.ts';
import { AcdReplica } from './acd/replica.ts';
import { Dispatcher } from './acd/dispatcher.ts';
import { CallbackPlacer } from './calls/callback-placer.ts';
import { OrphanReaper } from './calls/orphan-reaper.ts';
import type { ChannelControl } from './esl/channel-control.ts';
import { MissedCallbacks } from './calls/missed-callbacks.ts';
import { RouterMetrics } from './metrics/router-metrics.ts';
import { channelUp } from './esl/channel-exists.ts';
import { SwitchReconciler } from './calls/switch-reconciler.ts';
import { AcdStore } from './acd/store.ts';
import { CallSession } from './calls/call-session.ts';
import type { Config } from './config/env.ts';
import { FreeSwitchLink } from './esl/inbound-client.ts';
import { isHangupEvent } from './esl/hangup-event.ts';
import { LoadShedder } from './esl/load-shedder.ts';
import { DEFAULT_SWITCH_PRESSURE, SwitchPressure } from './esl/switch-pressure.ts';
import { OutboundSocketServer } from './esl/outbound-server.ts';
import { ParkedCalls } from './esl/parked-calls.ts';
import { buildHttpApp } from './http/app.ts';
import type { Logger } from './logging/logger.ts';
import { NumberPlanStore } from './number-plan/store.ts';
import { CallRecordStore } from './records/call-records.ts';
import { connectRedis } from './redis/client.ts';
import { Keys } from './redis/keys.ts';
import { ScreenPopHub } from './screen-pop/hub.ts';
import { defaultMenus, DESK_OVERFLOW_AFTER_S, SHIPPED_DESKS } from './ivr/defaults.ts';
import { RedisIvrServices } from './ivr/services.ts';
import { SipEdge } from './sip-edge/edge.ts'; // SIP edge (issue 7)
import { createTidalScheduler, type TidalScheduler } from './tidal/scheduler.ts'; // tidal seats
import { CONFERENCE_LEG_VAR } from './calls/three-way.ts';

export interface RouterParts {
  config: Config;
  redis: Redis;
  acd: AcdStore;
  acdConfig: AcdConfigStore;
  records: CallRecordStore;
  numberPlan: NumberPlanStore;
  hub: ScreenPopHub;
  fsLink: FreeSwitchLink;
  outbound: OutboundSocketServer;
  sessions: Map<string, CallSession>;
  ivr: RedisIvrServices;
  eslPort: () => number;
  /** The SIP edge's state for /health, when one runs. */
  sipEdgeStatus: () => { state: string; calls: number; poolUp: number; poolSize: number } | null;
  /** Parked callers (HOTLINE_PARKED_CALL_SOCKETS) for /health: null when off. */
  parkedStatus: () => {
    state: string;
    sessions: number;
    parkDelayMs: number;
    busyShare: number;
    turnedAway: number;
    othersHangups: number;
  } | null;
  /** Load shedding figures for /health. */
  load: () => { shedCalls: number; lagMs: number };
  /** FreeSWITCH's overload control (switch-pressure.ts), for /health. */
  pressure: () => SwitchPressure;
  /** The same control fed with joins (an agent's answer to the caller put through), for /health. */
  joinPressure: () => SwitchPressure;
  /** Asks for an ACD decision round (rounds cover every queue and coalesce). */
  requestDispatch: () => void;
  /** Missed-call callback: its do-not-call list (admin API). */
  missed: () => MissedCallbacks;
  /** Prometheus metrics (/metrics). */
  metrics: () => RouterMetrics;
}

/**
 * What the inbound socket needs: hangups of callers on hotline numbers (orphan reaper, switch reconciler), of
 * callback legs (callback placer), and bgapi results. Agents' legs, half of all hangups, are not even
 * serialised by FreeSWITCH.
 */
/**
 * After Redis comes back, how long no router is judged dead: longer than a heartbeat key lives (5 s), so that
 * every live router has written its key again.
 */
const OWNER_GRACE_AFTER_REDIS_MS = 6000;

/**
 * How often dead routers' calls whose hangup no router heard are looked for (OrphanReaper.sweep): waiting calls
 * from the replica every time (one `uuid_exists` each), agents on calls every 6th time (a read of every agent).
 */
const ORPHAN_SWEEP_MS = 5000;
const ORPHAN_AGENTS_EVERY = 6;

/** How often an idle floor is offered a missed caller to call back. */
const MISSED_CALLBACK_TICK_MS = 2000;

const INBOUND_EVENT_FILTERS: Array<[string, string]> = [
  ['variable_hotline_ingress', 'carrier'],
  ['variable_hotline_callback_leg', 'true'],
  [`variable_${CONFERENCE_LEG_VAR}`, 'true'],
  // No blanket BACKGROUND_JOB: modesl's bgapi on a filtered connection adds a `Job-UUID` filter for its own job
  // and deletes it after, so the link still hears its callbacks' originates. The blanket filter also let in the
  // job of every caller's agent originate, from every router's sockets: one more JSON event per call that
  // FreeSWITCH serialised and every router parsed for nothing.
];

export class HotlineRouter {
  readonly parts: RouterParts;
  readonly dispatcher: Dispatcher;
  readonly callbacks: CallbackPlacer;
  /** Admission control: over its limits the router passes new calls on. */
  readonly shedder: LoadShedder;
  readonly pressure: SwitchPressure;
  /**
   * The same control for parked callers, fed with each one's park delay (its CHANNEL_PARK's timestamp to its claim
   * here): the event socket's queue in FreeSWITCH and the claim's Redis round trip, a few ms while FreeSWITCH keeps
   * up, seconds once it does not. Its own threshold: a park delay is not a socket's connect time.
   */
  readonly parkPressure: SwitchPressure;
  /**
   * The same control for socket and parked callers alike (offered by originate, the default), fed with each join's
   * time (ChannelControl.joinMs): the arrival signals above miss an overload that shows after the arrival, where the
   * agent who answered hears silence until FreeSWITCH gets round to the join (realfs at 45 calls/s: joins over 1 s,
   * 187 agents gone before the caller was put through).
   */
  readonly joinPressure: SwitchPressure;
  /** The controls whose last log line said callers are being turned away. */
  private readonly turningAway = new Set<SwitchPressure>();
  /** The callers' channels this instance's call sessions hold, by channel uuid. */
  private readonly heldChannels = new Map<string, CallSession>();
  /** Channels whose call this instance closed and recorded, the latest few thousand (oldest first). */
  private readonly recordedChannels = new Set<string>();
  /** Parked callers driven over inbound sockets (HOTLINE_PARKED_CALL_SOCKETS), when on. */
  readonly parked: ParkedCalls | null;
  /** Records calls that reached FreeSWITCH but no router (fallback group, overload). */
  readonly reconciler: SwitchReconciler;
  /** A channel's hangup heard on the link or the parked-call event socket: orphans and calls no router took. */
  private readonly switchHangup: (e: Event) => void;
  readonly tidal: TidalScheduler; // tidal seats: carries out the tidal plan (one leader among instances)
  private readonly sub: Redis;
  private readonly keys: Keys;
  private http: FastifyInstance | null = null;
  private aliveTimer: NodeJS.Timeout | null = null;
  private heartbeating = false;
  private orphanTimer: NodeJS.Timeout | null = null;
  private sweepingOrphans = false;
  private orphanSweeps = 0;
  readonly reaper: OrphanReaper;
  readonly missed: MissedCallbacks;
  readonly metrics: RouterMetrics;
  private missedTimer: NodeJS.Timeout | null = null;
  private lastAdmission: Promise<void> = Promise.resolve();
  private onSoftphoneEvent: ((text: string) => Promise<void>) | null = null;
  private eslPort = 0;
  httpPort = 0;
  /** SIP edge (issue 7): the drachtio-srf application, when HOTLINE_DRACHTIO_HOST is set. */
  readonly sipEdge: SipEdge | null;

  constructor(
    readonly config: Config,
    private readonly log: Logger,
  ) {
    const keys = new Keys(config.redis.prefix);
    this.keys = keys;
    const redis = connectRedis(config.redis.url, log, 'commands');
    this.sub = connectRedis(config.redis.url, log, 'subscriber');
    const acd = new AcdStore(redis, keys);
    const numberPlan = new NumberPlanStore(redis, keys, config.defaultLine);
    const sessions = new Map<string, CallSession>();
    const acdConfig = new AcdConfigStore(redis, keys);
    // Any event that may let a call meet an agent asks for a decision round; rounds coalesce.
    const requestDispatch = () => this.dispatcher.request();
    const hub = new ScreenPopHub(
      redis,
      this.sub,
      keys,
      acd,
      config.agentTokenSecret,
      log.child({ component: 'screenpop' }),
      requestDispatch,
    );
    this.parts = {
      config,
      redis,
      acd,
      acdConfig,
      records: new CallRecordStore(redis, keys),
      numberPlan,
      hub,
      fsLink: new FreeSwitchLink(
        {
          host: config.freeswitch.host,
          port: config.freeswitch.port,
          password: config.freeswitch.password,
          // With parked callers on, their hangups come on the parked-call event socket (every instance's): the
          // link leaves them out rather than take a second copy of every call's largest event.
          filters:
            config.parkedCallSockets > 0
              ? [...INBOUND_EVENT_FILTERS, ['variable_hotline_call_control', '-park']]
              : INBOUND_EVENT_FILTERS,
        },
        log.child({ component: 'esl-inbound' }),
      ),
      outbound: new OutboundSocketServer(log.child({ component: 'esl-outbound' })),
      sessions,
      ivr: new RedisIvrServices(redis, keys),
      eslPort: () => this.eslPort,
      sipEdgeStatus: () => {
        const st = this.sipEdge?.status();
        if (!st) return null;
        return {
          state: st.state,
          calls: st.calls,
          poolUp: st.pool.filter((m) => m.healthy).length,
          poolSize: st.pool.length,
        };
      },
      requestDispatch,
      parkedStatus: () =>
        this.parked
          ? {
              state: this.parked.state,
              sessions: this.parked.sessions,
              parkDelayMs: Math.round((this.parkPressure.lastMeanMs || 0) * 10) / 10,
              busyShare: this.parkPressure.share,
              turnedAway: this.parkPressure.turnedAway,
              othersHangups: this.parked.othersHangups,
            }
          : null,
      load: () => this.shedder,
      pressure: () => this.pressure,
      joinPressure: () => this.joinPressure,
      missed: () => this.missed,
      metrics: () => this.metrics,
    };
    this.tidal = createTidalScheduler(this.parts, log.child({ component: 'tidal' })); // tidal seats
    this.callbacks = new CallbackPlacer({
      config,
      acd,
      acdConfig,
      records: this.parts.records,
      hub,
      link: this.parts.fsLink,
      requestDispatch,
      log: log.child({ component: 'callback' }),
    });
    this.dispatcher = new Dispatcher(
      acd,
      acdConfig,
      redis,
      this.sub,
      keys,
      config.instanceId,
      config.reservationTtlS,
      {
        onOffer: (callId, agentId, extension, skill) => this.onOffer(callId, agentId, extension, skill),
        onReservationExpired: (agentId, callId) => {
          // The router that offered the call died before the agent answered: the desktop's offer is void.
          void (async () => {
            await hub.send(agentId, { type: 'ended', callId, outcome: 'missed' });
            await hub.stateChanged(agentId, 'ready');
          })().catch((err: Error) => log.warn({ err: err.message, agentId }, 'expired-offer notice failed'));
        },
        onWrapupEnded: (agentId) => {
          void (async () => {
            await hub.wrapupEnded(agentId, 'timer');
            await hub.stateChanged(agentId, 'ready');
          })().catch((err: Error) => log.warn({ err: err.message, agentId }, 'wrap-up notice failed'));
        },
        onFallback: (callId, kind) => {
          const s = sessions.get(callId);
          if (s)
            void s
              .fallback(kind)
              .catch((err: Error) => log.warn({ err: err.message, callId }, 'fallback failed'));
        },
      },
      log.child({ component: 'acd' }),
      new AcdReplica(
        acd,
        keys,
        async () => (await acdConfig.load()).queues.keys(),
        log.child({ component: 'acd-replica' }),
      ),
    );
    const reaper = new OrphanReaper({
      config,
      acd,
      acdConfig,
      records: this.parts.records,
      isLocal: (id) => sessions.has(id),
      log: log.child({ component: 'reaper' }),
      notifyEnded: (agentId, callId, outcome) => hub.send(agentId, { type: 'ended', callId, outcome }),
    });
    // Agents' transfer requests reach the instance that owns the call; others answer null.
    hub.onTransferRequest(
      async (req) => sessions.get(req.callId)?.requestTransfer(req.agentId, req.target) ?? null,
    );
    this.shedder = new LoadShedder(config.shed);
    this.pressure = new SwitchPressure({ ...DEFAULT_SWITCH_PRESSURE, highMs: config.shed.connectMs });
    // Two slow windows in a row: the first seconds after an earlier burst are slow without an overload (realfs
    // after a mod_callcenter run: 102 of 375 callers turned away at 25 calls/s on one window's say-so).
    this.parkPressure = new SwitchPressure({
      ...DEFAULT_SWITCH_PRESSURE,
      highMs: config.shed.parkMs,
      sustainWindows: 2,
    });
    this.joinPressure = new SwitchPressure({
      ...DEFAULT_SWITCH_PRESSURE,
      highMs: config.shed.joinMs,
      sustainWindows: 2,
    });
    this.reconciler = new SwitchReconciler({
      config,
      redis,
      acd,
      records: this.parts.records,
      plan: () => numberPlan.plan(),
      log: log.child({ component: 'reconcile' }),
    });
    // A Redis restart: commands issued meanwhile waited and now run (redis/client.ts); what they cannot tell is
    // whose heartbeat expired during the outage, or what an older snapshot undid.
    let redisLost = false;
    redis.on('close', () => {
      redisLost = true;
      this.dispatcher.redisLost();
    });
    redis.on('ready', () => {
      if (!redisLost) return;
      redisLost = false;
      log.warn('redis is back: heartbeat, replica reload, full sweep');
      void this.heartbeat();
      reaper.holdFor(OWNER_GRACE_AFTER_REDIS_MS);
      this.dispatcher.afterRedisOutage();
    });
    this.reaper = reaper;
    this.metrics = new RouterMetrics({
      agentsByState: async () => {
        const out: Record<string, number> = {};
        for (const a of await acd.listAgentsCached()) out[a.state] = (out[a.state] ?? 0) + 1;
        return out;
      },
      queueDepth: () => {
        const m = new Map<string, { skill: string; priority: string; waiting: number }>();
        for (const q of this.dispatcher.replica.state.queueLists())
          for (const c of q.items.slice(q.start)) {
            if (!c) continue;
            const key = `${c.skill}\u0000${c.priority}`;
            const e = m.get(key) ?? { skill: c.skill, priority: c.priority, waiting: 0 };
            e.waiting++;
            m.set(key, e);
          }
        return [...m.values()];
      },
      connections: () => [
        { peer: 'redis', up: redis.status === 'ready' },
        { peer: 'esl', up: this.parts.fsLink.state === 'connected' },
        ...(this.sipEdge ? [{ peer: 'drachtio' as const, up: this.sipEdge.state === 'connected' }] : []),
      ],
      latencies: async () => {
        const timed = async (peer: 'redis' | 'esl', fn: () => Promise<unknown>) => {
          const t0 = performance.now();
          let timer: NodeJS.Timeout | undefined;
          try {
            await Promise.race([
              fn(),
              new Promise((_r, reject) => (timer = setTimeout(() => reject(new Error('slow')), 1000))),
            ]);
            return [{ peer, seconds: (performance.now() - t0) / 1000 }];
          } catch {
            return [];
          } finally {
            clearTimeout(timer);
          }
        };
        const rtts = (this.sipEdge?.status().pool ?? [])
          .map((m) => m.lastRttMs)
          .filter((x): x is number => x !== undefined);
        return [
          ...(redis.status === 'ready' ? await timed('redis', () => redis.ping()) : []),
          ...(this.parts.fsLink.state === 'connected'
            ? await timed('esl', () => this.parts.fsLink.api('global_getvar hostname', 1000))
            : []),
          ...(rtts.length ? [{ peer: 'drachtio' as const, seconds: Math.min(...rtts) / 1000 }] : []),
        ];
      },
      protocolErrors: () => [
        { source: 'esl-outbound', count: this.parts.outbound.protocolErrors },
        { source: 'esl-inbound', count: this.parts.fsLink.protocolErrors },
        { source: 'prompts', count: this.parts.outbound.promptErrors },
      ],
      // Read only: the edge keeps its own counts (issue 7). No edge, no series.
      ...(config.sipEdge ? { sipInvitesRejected: () => this.sipEdge?.stats.rejected ?? null } : {}),
    });
    this.dispatcher.onRound = (s) => this.metrics.observeRound(s);
    this.dispatcher.onRefused = (reason) => this.metrics.observeRefused(reason);
    // Missed-call callback: callers who never reached a human, called back when agents are idle.
    this.missed = new MissedCallbacks(
      redis,
      keys,
      acd,
      config.missedCallback,
      log.child({ component: 'missed-callback' }),
      () => {
        const replica = this.dispatcher.replica;
        return replica.state.waitingCount === 0 && replica.hasOfferable();
      },
    );
    this.parts.records.onWritten((rec) => this.missed.onRecord(rec));
    this.parts.records.onWritten((rec) => this.metrics.observeRecord(rec));
    this.switchHangup = (e: Event) => {
      // The hangup of a caller this instance holds or has recorded: no orphan to adopt, nothing to reconcile, and
      // two Redis look-ups per call fewer for it (the others still look: the call may be another instance's).
      if (isHangupEvent(e) && this.ownChannel(e.getHeader('Unique-ID') ?? undefined)) return;
      void reaper.onEvent(e).catch((err: Error) => log.warn({ err: err.message }, 'orphan check failed'));
      this.reconciler.onEvent(e);
    };
    this.parts.fsLink.on('event', this.switchHangup);
    // SIP edge (issue 7): carrier SIP through drachtio-server, handed to FreeSWITCH with X-Hotline-* headers.
    this.sipEdge = config.sipEdge
      ? new SipEdge(config.sipEdge, {
          redis,
          prefix: config.redis.prefix,
          log: log.child({ component: 'sip-edge' }),
          plan: () => numberPlan.plan(),
          careListed: (caller) => this.parts.ivr.careListed(caller),
          referralTrunks: config.referralTrunks,
        })
      : null;
    // With a SIP edge, agents' softphones register through it: only registered agents are offered
    // calls, and FreeSWITCH rings them at their registered contact through the edge.
    const sipEdge = config.sipEdge?.agentRegistrar === 'edge' ? this.sipEdge : null;
    if (sipEdge) {
      acd.registrationKey = `${config.redis.prefix}sip:registered`;
      // The desktop shows whether the softphone is registered: in its hello, and on every change.
      hub.softphoneStatus = async (agentId) => {
        const a = await acd.getAgent(agentId);
        return a ? sipEdge.registrations.isRegistered(a.extension) : null;
      };
      this.onSoftphoneEvent = async (text) => {
        const ev = JSON.parse(text) as { extension?: string; registered?: boolean };
        if (!ev.extension || ev.registered === undefined) return;
        // Every instance hears the event; one of them tells the desktop.
        const once = `${config.redis.prefix}sp:softphone:${ev.extension}:${ev.registered}:${Math.floor(Date.now() / 2000)}`;
        if ((await redis.set(once, '1', 'EX', 5, 'NX')) !== 'OK') return;
        for (const a of await acd.listAgents()) {
          if (a.extension === ev.extension)
            await hub.send(a.id, { type: 'softphone', registered: ev.registered });
        }
      };
    }
    this.parked =
      config.parkedCallSockets > 0
        ? new ParkedCalls({
            host: config.freeswitch.host,
            port: config.freeswitch.port,
            password: config.freeswitch.password,
            poolSize: config.parkedCallSockets,
            // One instance takes each parked caller; the key outlives any call.
            claim: async (uuid) =>
              (await redis.set(keys.parkClaim(uuid), config.instanceId, 'EX', 86_400, 'NX')) === 'OK',
            ownerGone: async (uuid) => {
              const owner = await redis.get(keys.parkClaim(uuid));
              return !!owner && owner !== config.instanceId && !(await acd.ownerAlive(owner));
            },
            log: log.child({ component: 'esl-parked' }),
            onPromptError: () => this.parts.outbound.promptErrors++,
          })
        : null;
    // A caller's channel reached this router: by its own socket, or parked by the dialplan (parked-calls.ts).
    const onChannel = (channel: ChannelControl) => {
      if (channel.info.variables.hotline_agent_answered === 'true') return this.afterConversation(channel);
      const parked = channel.parked;
      const pressure = parked ? this.parkPressure : this.pressure;
      pressure.observe(parked ? channel.parkDelayMs : channel.connectMs, Date.now());
      this.reportTurning(
        pressure,
        parked ? 'slow park events' : 'slow connect',
        parked ? 'parkDelayMs' : 'connectMs',
      );
      this.reportTurning(this.joinPressure, 'slow joins', 'joinMs');
      channel.on('join', (ms: number) => {
        this.joinPressure.observe(ms, Date.now());
        this.reportTurning(this.joinPressure, 'slow joins', 'joinMs');
      });
      const admission = this.shedder.admit(sessions.size);
      if (admission.shed) {
        // Passed on, not dropped: with its socket closed, FreeSWITCH's dialplan sends the caller to the backup
        // router, then to the apology and the fallback group; whoever serves it records it.
        log.warn(
          { uuid: channel.uuid, reason: admission.reason, calls: sessions.size, lagMs: this.shedder.lagMs },
          'over capacity: call passed on to the backup router',
        );
        void channel.setNow('hotline_shed_by', config.instanceId).finally(() => channel.exit());
        return;
      }
      // Calls take their turn in the order their sockets arrived (CallSession.inTurn).
      const previous = this.lastAdmission;
      let release: () => void = () => {};
      this.lastAdmission = new Promise<void>((r) => (release = r));
      const session = new CallSession(
        {
          admission: { previous, release },
          config,
          acd,
          acdConfig,
          records: this.parts.records,
          hub,
          plan: () => numberPlan.plan(),
          requestDispatch,
          dispatchNow: () => this.dispatcher.requestAndWait(),
          ivr: this.parts.ivr,
          agentDialString: sipEdge ? (ext) => sipEdge.agentDialString(ext) : undefined,
          link: this.parts.fsLink,
          switchBusy: () => SwitchPressure.turnAwayAny([pressure, this.joinPressure], Date.now()),
          log: log.child({ component: 'call' }),
        },
        channel,
      );
      sessions.set(session.id, session);
      this.heldChannels.set(channel.uuid, session);
      session.onEnded = (s) => {
        sessions.delete(s.id);
        if (this.heldChannels.get(s.channelUuid) === s) this.heldChannels.delete(s.channelUuid);
        if (s.recorded) this.rememberRecorded(s.channelUuid);
      };
      session.onIdChanged = (from, to) => {
        sessions.delete(from);
        sessions.set(to, session);
      };
      session
        .run()
        .catch((err: Error) => log.error({ err: err.message, callId: session.id }, 'call flow failed'));
    };
    this.parked?.on('channel', onChannel);
    this.parked?.on('regained', (uuids: string[]) => void this.regainParked(uuids));
    this.parked?.on('hangup', this.switchHangup);
    this.parts.outbound.on('channel', onChannel);
  }

  /** Logs when a control starts and stops turning callers away: what operators look for after a busy spell. */
  private reportTurning(pressure: SwitchPressure, why: string, meanName: string): void {
    const turning = pressure.share > 0;
    if (turning === this.turningAway.has(pressure)) return;
    if (turning) this.turningAway.add(pressure);
    else this.turningAway.delete(pressure);
    this.log.warn(
      { share: pressure.share, [meanName]: Math.round(pressure.lastMeanMs) },
      turning
        ? `FreeSWITCH overloaded (${why}): turning a share of new callers away as busy`
        : this.turningAway.size
          ? `FreeSWITCH keeps up again (no more ${why}); another control still turns callers away`
          : `FreeSWITCH keeps up again (no more ${why}): no caller turned away`,
    );
  }

  /** Whether a hangup is of a caller this instance holds, or has closed and recorded. */
  private ownChannel(uuid: string | undefined): boolean {
    return !!uuid && (this.heldChannels.has(uuid) || this.recordedChannels.has(uuid));
  }

  private rememberRecorded(uuid: string): void {
    this.recordedChannels.add(uuid);
    // The hangup event comes within moments of the record; the oldest are long past use.
    if (this.recordedChannels.size > 5000)
      this.recordedChannels.delete(this.recordedChannels.values().next().value!);
  }

  /**
   * A caller's channel back after a conversation the agent ended (the dialplan's after-conversation extension asks
   * each router in turn; see src/esl/README.md). The session that joined it goes on (the survey) through its own
   * socket, whose commands the socket application now running on the channel carries out: this socket is only
   * held until the hangup. A router that holds no such call closes it at once, and the dialplan ends the call.
   */
  private afterConversation(channel: ChannelControl): void {
    const held = [...this.parts.sessions.values()].some((s) => s.holdsChannel(channel.uuid));
    this.log.debug({ uuid: channel.uuid, held }, 'caller back after a conversation');
    if (!held) return channel.exit();
    channel.once('hangup', () => channel.exit());
  }

  private onOffer(callId: string, agentId: string, extension?: string, skill?: string): void {
    const session = this.parts.sessions.get(callId);
    if (session) {
      session
        .offer(agentId, extension, skill)
        .catch((err: Error) => this.log.error({ err: err.message, callId }, 'offer failed'));
      return;
    }
    void (async () => {
      const call = await this.parts.acd.getCall(callId);
      if (call?.mode === 'callback' && call.owner === '*') return this.callbacks.place(call, agentId);
      // Not ours any more (ended between reservation and delivery): give the agent back.
      await this.parts.acd.release(callId, agentId);
    })().catch((err: Error) => this.log.error({ err: err.message, callId }, 'offer failed'));
  }

  async start(): Promise<void> {
    const { config, parts } = this;
    await parts.redis.ping();
    await this.heartbeat();
    this.aliveTimer = setInterval(() => void this.heartbeat(), 1500);
    this.orphanTimer = setInterval(() => void this.sweepOrphans(), ORPHAN_SWEEP_MS);
    if (config.missedCallback.enabled) {
      this.missedTimer = setInterval(
        () =>
          void this.missed
            .tick()
            .then((id) => id && this.dispatcher.request())
            .catch((err: Error) => this.log.warn({ err: err.message }, 'missed-call callback failed')),
        MISSED_CALLBACK_TICK_MS,
      );
      this.missedTimer.unref();
    }
    this.orphanTimer.unref();
    await parts.numberPlan.seedDefaults();
    const lines = await parts.numberPlan.lines();
    // Queues first: the shipped menus send callers to them (the desks too).
    const desks = Object.keys(SHIPPED_DESKS) as Array<keyof typeof SHIPPED_DESKS>;
    await parts.acdConfig.seed(
      [...lines.map((l) => l.skill), ...desks],
      { ...Object.fromEntries(lines.map((l) => [l.skill, l.name])), ...SHIPPED_DESKS },
      config.wrapupS,
      Object.fromEntries(
        desks.map((d) => [d, { overflowAfterS: DESK_OVERFLOW_AFTER_S, overflowTo: 'general' }]),
      ),
    );
    await parts.ivr.menus.seed(defaultMenus(lines));
    await parts.hub.start();
    if (this.onSoftphoneEvent && this.sipEdge) {
      const channel = this.sipEdge.keys.registrationEvents();
      await this.sub.subscribe(channel);
      this.sub.on('message', (ch: string, text: string) => {
        if (ch === channel)
          void this.onSoftphoneEvent?.(text).catch((err: Error) =>
            this.log.warn({ err: err.message }, 'softphone notice failed'),
          );
      });
    }
    await this.dispatcher.start();
    this.shedder.start();
    await this.tidal.start(); // tidal seats
    this.eslPort = await parts.outbound.listen(config.eslListen.host, config.eslListen.port);
    parts.fsLink.start();
    this.parked?.start();
    this.sipEdge?.start(); // SIP edge (issue 7): connects to drachtio-server in the background
    this.http = await buildHttpApp(parts, this.log);
    await this.http.listen({ host: config.http.host, port: config.http.port });
    this.httpPort = (this.http.server.address() as { port: number }).port;
    this.log.info(
      { instance: config.instanceId, http: `${config.http.host}:${this.httpPort}`, eslPort: this.eslPort },
      'router started',
    );
  }

  get eslListenPort(): number {
    return this.eslPort;
  }

  /** See OrphanReaper.sweep: dead routers' calls whose hangup nobody heard. Returns how many were closed. */
  async sweepOrphans(
    // Parked callers have no dialplan to hand them on when their router dies: a dead router's calls with an agent
    // (ringing, or in a conversation) are looked for at every sweep, not every 6th.
    withAgents = this.orphanSweeps++ % ORPHAN_AGENTS_EVERY === 0 || this.parked !== null,
  ): Promise<number> {
    if (this.sweepingOrphans) return 0;
    this.sweepingOrphans = true;
    const replica = this.dispatcher.replica;
    try {
      return await this.reaper.sweep({
        waiting: () =>
          replica.state
            .queueLists()
            .flatMap((q) => q.items.slice(q.start).filter((c) => !!c && replica.ownerGone(c))) as Array<{
            id: string;
            owner: string;
          }>,
        busyAgents: async () =>
          !withAgents
            ? []
            : (await this.parts.acd.listAgents()).filter(
                (a) => a.state === 'talking' || a.state === 'reserved' || a.state === 'ringing',
              ),
        channelUp: (uuid) => channelUp(this.parts.fsLink, uuid),
        adoptUp: this.parked
          ? (uuid, owner) =>
              this.parked!.adopt(uuid, async () => {
                // From the dead router to this one, once: several instances sweep.
                const took = await this.parts.redis.eval(
                  "local v = redis.call('GET', KEYS[1]) if v == ARGV[1] or not v then redis.call('SET', KEYS[1], ARGV[2], 'EX', 86400) return 1 end return 0",
                  1,
                  this.keys.parkClaim(uuid),
                  owner,
                  this.config.instanceId,
                );
                return took === 1;
              }).then((done) => (done === 'gone' ? 'skipped' : done)) // closed by the sweep's own path
          : undefined,
      });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'orphan sweep failed');
      return 0;
    } finally {
      this.sweepingOrphans = false;
    }
  }

  /**
   * Parked callers this instance held when its parked-call sockets went (ParkedCalls.onLost): adopted again by uuid
   * (place, priority and path kept) if still up, closed and recorded if they hung up meanwhile.
   */
  private async regainParked(uuids: string[]): Promise<void> {
    for (const uuid of uuids) {
      try {
        const done = await this.parked!.adopt(
          uuid,
          async () => (await this.parts.redis.get(this.keys.parkClaim(uuid))) === this.config.instanceId,
        );
        if (done === 'gone') await this.reaper.closeLost(uuid);
        this.log.warn({ uuid, done }, 'parked caller taken back after the parked-call sockets came back');
      } catch (err) {
        this.log.warn({ err: (err as Error).message, uuid }, 'parked caller could not be taken back');
      }
    }
  }

  private async heartbeat(): Promise<void> {
    // During a Redis outage a heartbeat waits for Redis; one waiting is enough.
    if (this.heartbeating) return;
    this.heartbeating = true;
    try {
      await this.parts.redis.set(
        `${this.config.redis.prefix}alive:${this.config.instanceId}`,
        String(Date.now()),
        'EX',
        5,
      );
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'heartbeat failed');
    } finally {
      this.heartbeating = false;
    }
  }

  async stop(): Promise<void> {
    await this.tidal.stop(); // tidal seats
    if (this.aliveTimer) clearInterval(this.aliveTimer);
    if (this.orphanTimer) clearInterval(this.orphanTimer);
    if (this.missedTimer) clearInterval(this.missedTimer);
    this.dispatcher.stop();
    this.reconciler.stop();
    this.shedder.stop();
    this.parts.fsLink.stop();
    this.parked?.stop();
    await this.sipEdge?.stop(); // SIP edge (issue 7)
    this.parts.hub.close();
    await this.http?.close();
    await this.parts.outbound.close();
    this.parts.redis.disconnect();
    this.sub.disconnect();
  }
}
