// Callers the dialplan parks (hotline_call_control=park), driven by uuid over the router's inbound sockets instead
// of a socket per call: one event socket takes their channel events (CHANNEL_PARK is the call's arrival), and a
// small pool of command sockets carries their api commands and applications. FreeSWITCH carries out an inbound
// socket's api commands one after another in its listener thread, and sends that socket no event meanwhile, so the
// commands go through the pool (a call's always through the same socket, which keeps them in order) and the events
// come on a socket that runs nothing. See src/esl/README.md ("Parked callers").
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Connection, Event } from 'modesl';
import type { Logger } from '../logging/logger.ts';
import { ChannelControl } from './channel-control.ts';
import type { ChannelLink } from './channel-link.ts';
import { inboundConnection } from './guarded-connection.ts';

/** What the event socket takes: a parked caller's arrival and everything ChannelControl follows. */
const PARKED_EVENTS = [
  'CHANNEL_PARK',
  'CHANNEL_BRIDGE',
  'CHANNEL_UNBRIDGE',
  'CHANNEL_HANGUP',
  'CHANNEL_EXECUTE',
  'CHANNEL_EXECUTE_COMPLETE',
  'BACKGROUND_JOB',
];

/**
 * ESL filters of the event socket. FreeSWITCH applies a filter whose value starts with '-' as an exclusion, checked
 * before an event is copied and serialised: the dialplan's own applications (about 10 kB of JSON each) never come.
 */
const PARKED_FILTERS: Array<[string, string]> = [
  ['variable_hotline_call_control', 'park'],
  ['Event-Name', 'BACKGROUND_JOB'],
  ['Application', '-multiset'],
  ['Application', '-park'],
];

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
}

export class ParkedCalls extends EventEmitter {
  /** Parked callers taken, since start. */
  sessions = 0;
  protocolErrors = 0;
  state: 'connecting' | 'connected' | 'disconnected' | 'stopped' = 'disconnected';
  private events: Connection | null = null;
  private pool: Connection[] = [];
  /** BACKGROUND_JOB events that came before their bgapi's reply (they come on another socket). */
  private readonly earlyJobs = new Map<string, Event>();
  private readonly jobWaiters = new Map<string, (e: Event) => void>();
  private readonly links = new Map<string, ParkedChannelLink>();
  private retry: NodeJS.Timeout | null = null;

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
      c.on('error', (err: Error) => reject(err));
      c.once('esl::event::auth::fail', () => reject(new Error('ESL authentication failed')));
      c.once('esl::ready', () => resolve(c));
    });
  }

  private async connect(): Promise<void> {
    this.state = 'connecting';
    try {
      const pool: Connection[] = [];
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
      this.opts.log.info({ pool: pool.length }, 'parked calls: inbound sockets up');
      this.emit('connected');
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'parked calls: FreeSWITCH not reachable; retrying');
      this.scheduleRetry();
    }
  }

  private onLost(): void {
    if (this.state !== 'connected') return;
    this.state = 'disconnected';
    this.opts.log.warn('parked calls: an inbound socket closed; the parked callers in hand are let go');
    for (const c of [this.events, ...this.pool]) c?.socket?.destroy();
    this.events = null;
    this.pool = [];
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
    const uuid = e.getHeader('Unique-ID') ?? '';
    if (!uuid || this.links.has(uuid) || e.getHeader('variable_hotline_call_control') !== 'park') return;
    // Parked again after a conversation with a survey to follow: the session that holds it goes on.
    if (e.getHeader('variable_hotline_agent_answered') === 'true') return;
    const firedAt = Number(e.getHeader('Event-Date-Timestamp')) / 1000;
    void this.opts.claim(uuid).then(
      (mine) => {
        if (!mine || this.links.has(uuid) || !this.events) return;
        const link = new ParkedChannelLink(uuid, e, this);
        this.links.set(uuid, link);
        link.onClosed(() => this.links.delete(uuid));
        this.sessions++;
        const channel = new ChannelControl(link, {
          log: this.opts.log,
          onPromptError: this.opts.onPromptError,
          replyTimeoutMs: this.opts.replyTimeoutMs,
        });
        // How long the park took to reach us (FreeSWITCH's clock against ours: one host). Not a socket's connect:
        // switch-pressure.ts's thresholds do not apply (it includes the event socket's 20 ms poll), so it is kept
        // apart from connectMs.
        channel.parkDelayMs = Number.isFinite(firedAt) ? Math.max(0, Date.now() - firedAt) : NaN;
        this.emit('channel', channel);
      },
      (err: Error) => this.opts.log.warn({ err: err.message, uuid }, 'parked call could not be claimed'),
    );
  }

  /** @internal The command socket of a call: always the same one, so its commands stay in order. */
  commandSocket(uuid: string): Connection | null {
    if (!this.pool.length) return null;
    let h = 0;
    for (let i = 0; i < uuid.length; i++) h = (h * 31 + uuid.charCodeAt(i)) >>> 0;
    return this.pool[h % this.pool.length]!;
  }

  /** @internal */
  eventSocket(): Connection | null {
    return this.events;
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
  private readonly handlers: Array<[string, (e: Event) => void]> = [];

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

  sendApp(app: string, arg: string): void {
    this.sendmsg({
      'call-command': 'execute',
      'execute-app-name': app,
      ...(arg ? { 'execute-app-arg': arg } : {}),
    });
  }

  execute(app: string, arg: string, done: (complete: Event) => void): string {
    const appUuid = randomUUID();
    const onComplete = (e: Event) => {
      if (e.getHeader('Application-UUID') !== appUuid) return;
      this.off('CHANNEL_EXECUTE_COMPLETE', onComplete);
      done(e);
    };
    this.on('CHANNEL_EXECUTE_COMPLETE', onComplete);
    this.sendmsg({
      'call-command': 'execute',
      'execute-app-name': app,
      ...(arg ? { 'execute-app-arg': arg } : {}),
      'Event-UUID': appUuid,
    });
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
    const name = `esl::event::${event}::${this.uuid}`;
    this.handlers.push([name, fn]);
    this.calls.eventSocket()?.on(name, fn);
  }

  off(event: string, fn: (e: Event) => void): void {
    const name = `esl::event::${event}::${this.uuid}`;
    const i = this.handlers.findIndex(([n, f]) => n === name && f === fn);
    if (i >= 0) this.handlers.splice(i, 1);
    this.calls.eventSocket()?.off(name, fn);
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
    const ev = this.calls.eventSocket();
    for (const [n, f] of this.handlers) ev?.off(n, f);
    this.handlers.length = 0;
    for (const fn of this.closedFns) fn();
  }
}
