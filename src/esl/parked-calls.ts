// Callers the dialplan parks (hotline_call_control=park), driven by uuid over the router's inbound sockets instead
// of a socket per call: one event socket takes their channel events (CHANNEL_PARK is the call's arrival), and a
// small pool of command sockets carries their api commands and applications. FreeSWITCH carries out an inbound
// socket's api commands one after another in its listener thread, and sends that socket no event meanwhile, so the
// commands go through the pool (a call's always through the same socket, which keeps them in order) and the events
// come on a socket that runs nothing. See src/esl/README.md ("Parked callers").
import { EventEmitter } from 'node:events';
import type { Connection, Event } from 'modesl';
import type { Logger } from '../logging/logger.ts';
import { ChannelControl } from './channel-control.ts';
import type { ChannelLink } from './channel-link.ts';
import { UUID } from './channel-exists.ts';
import { appToken, executeMessage, sendWithBody } from './execute-message.ts';
import { inboundConnection, jsonEvent } from './guarded-connection.ts';

/**
 * What the event socket takes: a parked caller's arrival and everything ChannelControl follows. Not
 * CHANNEL_UNBRIDGE: a parked caller's conversation always ends in a second event that says the same, its hangup
 * (hangup_after_bridge, or the caller's own) or its park again (park_after_bridge: the survey, a transfer, a leg
 * gone before the join), and each of these events carries every channel variable (some 8 kB of JSON).
 */
const PARKED_EVENTS = [
  'CHANNEL_PARK',
  'CHANNEL_BRIDGE',
  'CHANNEL_HANGUP',
  'CHANNEL_EXECUTE',
  'CHANNEL_EXECUTE_COMPLETE',
  'BACKGROUND_JOB',
];

/**
 * The label (sendmsg's Event-UUID-Name, which FreeSWITCH puts on the application's events as
 * Application-UUID-Name) of an application nobody waits for: the ringback under an agent's ring. One letter:
 * FreeSWITCH reads a command one byte per system call (about 3 us of its CPU per byte, src/esl/README.md).
 */
const UNTRACKED_APP = 'u';

/**
 * ESL filters of the event socket. FreeSWITCH applies a filter whose value starts with '-' as an exclusion, checked
 * before an event is copied and serialised: applications nobody here waits for (about 10 kB of JSON each, three of
 * a served caller's seven channel events) never come: the dialplan's own, the ringback's start and end, and the
 * CHANNEL_EXECUTE of uuid_bridge's join.
 */
const PARKED_FILTERS: Array<[string, string]> = [
  ['variable_hotline_call_control', 'park'],
  ['Event-Name', 'BACKGROUND_JOB'],
  ['Application', '-multiset'],
  ['Application', '-park'],
  ['Application', '-sched_transfer'],
  ['Application', '-uuid_bridge'],
  ['Application-UUID-Name', `-${UNTRACKED_APP}`],
];

/** See ParkedCalls.connect: the longest a parked caller's event waits in FreeSWITCH's queue for this socket. */
const EVENT_NUDGE_MS = 5;
/** With no parked caller in hand and no CHANNEL_PARK for this long, the nudges stop (see wake). */
const NUDGE_IDLE_MS = 3000;

/** Where a parked caller goes when the router lets go of it with the channel still up, as after a socket's close. */
export const PARKED_FAILOVER = 'hotline_router_gone XML hotline_inbound';

export interface ParkedCallsOptions {
  host: string;
  port: number;
  password: string;
  /** Command sockets. */
  poolSize?: number;
  /** Takes the call for this instance (several routers see every CHANNEL_PARK); false when another one has it. */
  claim: (uuid: string) => Promise<boolean>;
  log: Logger;
  onPromptError?: () => void;
  replyTimeoutMs?: number;
  /** Whether the instance that took this parked caller is dead (another one's, not alive). */
  ownerGone?: (uuid: string) => Promise<boolean>;
  /** How often the event socket's listener is woken (see connect); 0: never. */
  eventNudgeMs?: number;
}

export class ParkedCalls extends EventEmitter {
  /** Parked callers taken, since start. */
  sessions = 0;
  protocolErrors = 0;
  /** Hangups of parked callers this instance does not drive (emitted as 'hangup'). */
  othersHangups = 0;
  state: 'connecting' | 'connected' | 'disconnected' | 'stopped' = 'disconnected';
  private events: Connection | null = null;
  private pool: Connection[] = [];
  /** BACKGROUND_JOB events that came before their bgapi's reply (they come on another socket). */
  private readonly earlyJobs = new Map<string, Event>();
  private readonly jobWaiters = new Map<string, (e: Event) => void>();
  private readonly links = new Map<string, ParkedChannelLink>();
  /** Callers in hand when a socket went (see onLost): taken back once the sockets are up again. */
  private readonly lostInHand = new Set<string>();
  private retry: NodeJS.Timeout | null = null;
  private nudge: NodeJS.Timeout | null = null;
  private lastPark = 0;

  constructor(private readonly opts: ParkedCallsOptions) {
    super();
  }

  start(): void {
    if (this.state === 'stopped') return;
    void this.connect();
  }

  stop(): void {
    this.state = 'stopped';
    if (this.retry) clearTimeout(this.retry);
    this.stopNudge();
    for (const c of [this.events, ...this.pool]) c?.socket?.destroy();
    this.events = null;
    this.pool = [];
  }

  private open(): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const c = inboundConnection(this.opts.host, this.opts.port, this.opts.password, (p) => {
        this.protocolErrors++;
        this.opts.log.warn({ reason: p.reason, sample: p.sample }, 'ESL protocol error (parked calls)');
      });
      // A connection FreeSWITCH (or the network) closes before it is ready, or one that never answers, fails the
      // attempt: the retry loop would otherwise wait on it for ever.
      const sock = c.socket;
      const fail = (err: Error) => {
        clearTimeout(timer);
        sock?.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(new Error('ESL connection not ready in 5 s')), 5000);
      c.on('error', fail);
      sock?.once('close', () => fail(new Error('ESL connection closed before it was ready')));
      c.once('esl::event::auth::fail', () => fail(new Error('ESL authentication failed')));
      c.once('esl::ready', () => {
        clearTimeout(timer);
        resolve(c);
      });
    });
  }

  private async connect(): Promise<void> {
    this.state = 'connecting';
    const pool: Connection[] = [];
    try {
      for (let i = 0; i < (this.opts.poolSize ?? 4); i++) {
        const c = await this.open();
        // modesl subscribed it to CHANNEL_EXECUTE_COMPLETE: a command socket takes no events.
        c.sendRecv('noevents', () => undefined);
        pool.push(c);
      }
      const ev = await this.open();
      ev.sendRecv('noevents', () => undefined);
      ev.sendRecv(`event json ${PARKED_EVENTS.join(' ')}`, () => undefined);
      for (const [h, v] of PARKED_FILTERS) ev.sendRecv(`filter ${h} ${v}`, () => undefined);
      ev.on('esl::event::CHANNEL_PARK::**', (e: Event) => this.onPark(e));
      ev.on('esl::event::BACKGROUND_JOB::**', (e: Event) => this.onJob(e));
      // A caller's events go to its link by uuid from one listener per event name: modesl names each event
      // with its uuid, and a listener per call and name in its EventEmitter2 tree cost a tree walk on every
      // removal (recursivelyGarbageCollect, 0.5 ms per call in a profile at 25 calls/s).
      for (const name of PARKED_EVENTS)
        if (name !== 'BACKGROUND_JOB')
          ev.on(`esl::event::${name}::*`, (e: Event) => {
            const link = this.links.get(e.getHeader('Unique-ID') ?? '');
            if (link) return link.dispatch(name, e);
            // Every parked caller's hangup comes here, whoever drives it: the router's own link leaves them out
            // (a second copy of the largest event of the call), so the orphan and reconcile checks read it here.
            if (name !== 'CHANNEL_HANGUP') return;
            this.othersHangups++;
            this.emit('hangup', e);
          });
      for (const c of [ev, ...pool]) {
        c.on('esl::end', () => this.onLost());
        c.socket?.on('close', () => this.onLost());
      }
      if ((this.state as string) === 'stopped') {
        for (const c of [ev, ...pool]) c.socket?.destroy();
        return;
      }
      this.pool = pool;
      this.events = ev;
      this.state = 'connected';
      // FreeSWITCH's listener thread sends a socket its queued events when it wakes, and it sleeps up to 20 ms on
      // the socket when nothing comes in (mod_event_socket read_packet): a parked caller's CHANNEL_PARK waited
      // 10 ms on average before the router heard of the call. A bare newline wakes it (read_packet skips blank
      // lines, then sends what is queued): one byte per nudge, against a wait on every call's every event. Only
      // while calls are about (see wake).
      this.wake();
      this.opts.log.info({ pool: pool.length }, 'parked calls: inbound sockets up');
      this.emit('connected');
      if (this.lostInHand.size) {
        const uuids = [...this.lostInHand];
        this.lostInHand.clear();
        this.emit('regained', uuids);
      }
    } catch (err) {
      for (const c of pool) c.socket?.destroy();
      this.opts.log.warn({ err: (err as Error).message }, 'parked calls: FreeSWITCH not reachable; retrying');
      this.scheduleRetry();
    }
  }

  /**
   * Nudges the event socket's listener while calls are about: parked callers in hand, or a CHANNEL_PARK in the last
   * few seconds. An idle router stops (200 wake-ups a second of FreeSWITCH's listener and of this process for
   * nothing); the first caller after a quiet spell waits for the listener's poll, up to 20 ms, and starts it again.
   */
  private wake(): void {
    this.lastPark = Date.now();
    const nudgeMs = this.opts.eventNudgeMs ?? EVENT_NUDGE_MS;
    const sock = this.events?.socket;
    if (this.nudge || nudgeMs <= 0 || !sock) return;
    this.nudge = setInterval(() => {
      if (!this.links.size && Date.now() - this.lastPark > NUDGE_IDLE_MS) return this.stopNudge();
      if (!sock.destroyed) sock.write('\n');
    }, nudgeMs);
    this.nudge.unref();
  }

  private stopNudge(): void {
    if (this.nudge) clearInterval(this.nudge);
    this.nudge = null;
  }

  private onLost(): void {
    if (this.state !== 'connected') return;
    this.state = 'disconnected';
    this.stopNudge();
    // The callers stay parked on FreeSWITCH with nobody driving them, and their sessions end as after a router's
    // death (the call left in Redis for adoption): once the sockets are back, this instance adopts them again
    // ('regained'), with their place in line, or closes those that hung up meanwhile.
    this.opts.log.warn(
      { inHand: this.links.size },
      'parked calls: an inbound socket closed; the parked callers in hand are taken back on reconnect',
    );
    for (const c of [this.events, ...this.pool]) c?.socket?.destroy();
    this.events = null;
    this.pool = [];
    for (const uuid of this.links.keys()) this.lostInHand.add(uuid);
    for (const l of [...this.links.values()]) l.lost();
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.state === 'stopped') return;
    this.state = 'disconnected';
    this.retry = setTimeout(() => void this.connect(), 1000);
  }

  private onJob(e: Event): void {
    const job = e.getHeader('Job-UUID') ?? '';
    const w = this.jobWaiters.get(job);
    if (w) {
      this.jobWaiters.delete(job);
      return w(e);
    }
    // Every instance's jobs come here; only a few of ours can be early. Bounded.
    if (this.earlyJobs.size > 1000) this.earlyJobs.clear();
    this.earlyJobs.set(job, e);
  }

  private onPark(e: Event): void {
    this.wake();
    const uuid = e.getHeader('Unique-ID') ?? '';
    if (!uuid || this.links.has(uuid) || e.getHeader('variable_hotline_call_control') !== 'park') return;
    // Parked again after a conversation (a survey to follow, or a join that did not complete): the session that
    // holds it goes on. If its router died meanwhile, nobody will: the conversation is over, the call ends.
    if (e.getHeader('variable_hotline_agent_answered') === 'true') return this.afterConversation(uuid);
    const firedAt = Number(e.getHeader('Event-Date-Timestamp')) / 1000;
    void this.opts.claim(uuid).then(
      (mine) => {
        if (mine) this.take(uuid, e, Number.isFinite(firedAt) ? Math.max(0, Date.now() - firedAt) : NaN);
      },
      (err: Error) => this.opts.log.warn({ err: err.message, uuid }, 'parked call could not be claimed'),
    );
  }

  /**
   * A served caller parked again by a router other than this one: ended when that router is dead (looked at again
   * once a heartbeat that outlived it must have expired). Several instances may end it; once is enough.
   */
  private afterConversation(uuid: string, again = true): void {
    const check = this.opts.ownerGone;
    if (!check) return;
    void check(uuid).then(
      (gone) => {
        if (gone) return this.commandSocket(uuid)?.api(`uuid_kill ${uuid} NORMAL_CLEARING`, () => undefined);
        if (again)
          setTimeout(() => !this.links.has(uuid) && this.afterConversation(uuid, false), 6000).unref();
      },
      () => undefined,
    );
  }

  private take(uuid: string, data: Event, parkDelayMs: number): void {
    if (this.links.has(uuid) || !this.events) return;
    // The dialplan's guard (hotline_parked_guard: a transfer to the failover scheduled in the channel's uuid
    // group) is for callers nobody takes; this one is taken. First on the call's command socket, before anything
    // the call flow sends.
    this.commandSocket(uuid)?.api(`sched_del ${uuid}`, () => undefined);
    const link = new ParkedChannelLink(uuid, data, this);
    this.links.set(uuid, link);
    link.onClosed(() => this.links.delete(uuid));
    this.sessions++;
    const channel = new ChannelControl(link, {
      log: this.opts.log,
      onPromptError: this.opts.onPromptError,
      replyTimeoutMs: this.opts.replyTimeoutMs,
    });
    // How long the park took to reach us (FreeSWITCH's clock against ours: one host). Not a socket's connect: the
    // router feeds it to a control of its own, with its own threshold (HOTLINE_SHED_PARK_MS).
    channel.parkDelayMs = parkDelayMs;
    this.emit('channel', channel);
  }

  /**
   * A parked caller whose router died (OrphanReaper.sweep finds its call with the channel still up): nothing else
   * moves it on. Not yet served: what plays is stopped and the call flow takes it, adopting the call by its uuid
   * (place in line, priority and path kept, CallSession.adoptOrphan). In a conversation (CS_SOFT_EXECUTE, joined by
   * uuid_bridge): it goes on and ends when the agent hangs up, as with a socket. Parked again after one (CS_PARK,
   * park_after_bridge for the dead router's survey): the call ends. Returns what was done.
   */
  async adopt(
    uuid: string,
    /** Takes the caller over from its dead router, atomically: false when another instance did. */
    takeOver: () => Promise<boolean>,
  ): Promise<'adopted' | 'ends-after-conversation' | 'ended' | 'gone' | 'skipped'> {
    const c = this.commandSocket(uuid);
    if (!c || !this.events || this.links.has(uuid) || !UUID.test(uuid)) return 'skipped';
    const api = (command: string) =>
      new Promise<string>((resolve) => c.api(command, (e: Event) => resolve(e.getBody() ?? '')));
    let data: Record<string, unknown>;
    const dump = await api(`uuid_dump ${uuid} json`);
    try {
      data = JSON.parse(dump) as Record<string, unknown>;
    } catch {
      return /^-ERR/.test(dump) ? 'gone' : 'skipped'; // "-ERR No such channel!"
    }
    if (data.variable_hotline_call_control !== 'park' || this.links.has(uuid)) return 'skipped';
    if (!(await takeOver())) return 'skipped';
    if (data.variable_hotline_agent_answered === 'true') {
      if (data['Channel-State'] === 'CS_PARK') {
        await api(`uuid_kill ${uuid} NORMAL_CLEARING`);
        return 'ended';
      }
      await api(`uuid_setvar_multi ${uuid} hangup_after_bridge=true;park_after_bridge=false`);
      return 'ends-after-conversation';
    }
    // Hold music or a prompt of the dead router's may still play: the call flow starts afresh.
    await api(`uuid_break ${uuid} all`);
    this.take(uuid, jsonEvent(data) as Event, NaN);
    return 'adopted';
  }

  /** @internal The command socket of a call: always the same one, so its commands stay in order. */
  commandSocket(uuid: string): Connection | null {
    if (!this.pool.length) return null;
    let h = 0;
    for (let i = 0; i < uuid.length; i++) h = (h * 31 + uuid.charCodeAt(i)) >>> 0;
    return this.pool[h % this.pool.length]!;
  }

  /** @internal */
  awaitJob(job: string, fn: (e: Event) => void): void {
    const early = this.earlyJobs.get(job);
    if (early) {
      this.earlyJobs.delete(job);
      return fn(early);
    }
    this.jobWaiters.set(job, fn);
  }
}

/** One parked caller's channel, reached by uuid through ParkedCalls' sockets. */
class ParkedChannelLink implements ChannelLink {
  readonly kind = 'parked';
  private down = false;
  private closed = false;
  private readonly closedFns: Array<() => void> = [];
  private readonly handlers = new Map<string, Array<(e: Event) => void>>();

  constructor(
    private readonly uuid: string,
    readonly data: Event,
    private readonly calls: ParkedCalls,
  ) {
    this.on('CHANNEL_HANGUP', () => (this.down = true));
  }

  api(command: string, cb: (reply: Event) => void = () => undefined): void {
    const c = this.calls.commandSocket(this.uuid);
    if (c) c.api(command, cb);
  }

  bgapi(command: string, onJob: (job: Event | null, replyText: string) => void): void {
    const c = this.calls.commandSocket(this.uuid);
    if (!c) return onJob(null, '-ERR NORMAL_TEMPORARY_FAILURE');
    c.sendRecv(`bgapi ${command}`, (reply: Event) => {
      const job = reply.getHeader('Job-UUID');
      if (job) return this.calls.awaitJob(job, (e) => onJob(e, ''));
      onJob(null, reply.getHeader('Reply-Text') ?? '');
    });
  }

  private sendmsg(headers: Record<string, string>): void {
    this.calls.commandSocket(this.uuid)?.sendRecv(`sendmsg ${this.uuid}`, headers, () => undefined);
  }

  private sendExecute(message: ReturnType<typeof executeMessage>): void {
    const c = this.calls.commandSocket(this.uuid);
    if (c) sendWithBody(c, `sendmsg ${this.uuid}`, message);
  }

  sendApp(app: string, arg: string): void {
    // Its events are filtered out (PARKED_FILTERS).
    this.sendExecute(executeMessage(app, arg, { 'Event-UUID-Name': UNTRACKED_APP }));
  }

  execute(app: string, arg: string, done: (complete: Event) => void): string {
    const appUuid = appToken();
    const onComplete = (e: Event) => {
      if (e.getHeader('Application-UUID') !== appUuid) return;
      this.off('CHANNEL_EXECUTE_COMPLETE', onComplete);
      done(e);
    };
    this.on('CHANNEL_EXECUTE_COMPLETE', onComplete);
    this.sendExecute(executeMessage(app, arg, { 'Event-UUID': appUuid }));
    return appUuid;
  }

  hangup(cause: string): void {
    // Asked for: exit() must not send the channel on to the failover before its hangup event is here.
    this.down = true;
    this.sendmsg({ 'call-command': 'hangup', 'hangup-cause': cause });
  }

  subscribe(): void {
    // The event socket takes every parked caller's events already.
  }

  on(event: string, fn: (e: Event) => void): void {
    if (this.closed) return;
    const list = this.handlers.get(event) ?? [];
    list.push(fn);
    this.handlers.set(event, list);
  }

  off(event: string, fn: (e: Event) => void): void {
    const list = this.handlers.get(event);
    const i = list ? list.indexOf(fn) : -1;
    if (i >= 0) list!.splice(i, 1);
  }

  /** @internal One of this caller's events, from ParkedCalls' listener for its name. */
  dispatch(event: string, e: Event): void {
    const list = this.handlers.get(event);
    if (list) for (const fn of [...list]) fn(e);
  }

  onGone(): void {
    // No linger notice: the channel's CHANNEL_HANGUP says it.
  }

  onClosed(fn: () => void): void {
    this.closedFns.push(fn);
  }

  /**
   * The router lets go of the call. A channel still up goes on to the dialplan's failover, as it does when its
   * socket closes (a caller turned away by load shedding goes to the backup router that way).
   */
  exit(): void {
    if (this.closed) return;
    if (!this.down) this.api(`uuid_transfer ${this.uuid} ${PARKED_FAILOVER}`);
    this.close();
  }

  destroy(): void {
    this.close();
  }

  /** The sockets are gone: this router has no hold on the call any more. */
  lost(): void {
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    for (const fn of this.closedFns) fn();
  }
}
