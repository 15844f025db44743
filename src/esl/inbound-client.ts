// The router's inbound event-socket link to FreeSWITCH (port 8021): api/bgapi commands and events.
// It reconnects with exponential backoff and never throws into the rest of the router: while
// FreeSWITCH is away the HTTP API keeps serving and /health says so.
import { EventEmitter } from 'node:events';
import type { Connection, Event } from 'modesl';
import type { Logger } from '../logging/logger.ts';
import { inboundConnection } from './guarded-connection.ts';

export type LinkState = 'connecting' | 'connected' | 'disconnected' | 'auth-failed' | 'stopped';

export interface InboundOptions {
  host: string;
  port: number;
  password: string;
  events?: string[];
  /**
   * ESL filters (header, value; a value in slashes is a regex): only events matching one of them are sent.
   * FreeSWITCH checks them before it copies and serialises an event for this socket.
   */
  filters?: Array<[string, string]>;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export class FreeSwitchLink extends EventEmitter {
  state: LinkState = 'disconnected';
  protocolErrors = 0;
  reconnects = 0;
  /** Events received since start, by Event-Name: what FreeSWITCH serialises for this link (GET /health). */
  readonly eventCounts: Record<string, number> = {};
  lastError = '';
  private conn: Connection | null = null;
  private backoff: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly opts: InboundOptions,
    private readonly log: Logger,
  ) {
    super();
    this.backoff = opts.minBackoffMs ?? 250;
  }

  start(): void {
    if (this.state === 'stopped') return;
    this.connect();
  }

  stop(): void {
    this.setState('stopped');
    if (this.timer) clearTimeout(this.timer);
    this.teardown();
  }

  /** Runs an api command; rejects at once when FreeSWITCH is not connected. */
  api(command: string, timeoutMs = 5000): Promise<string> {
    const conn = this.conn;
    if (!conn || this.state !== 'connected') {
      return Promise.reject(new Error(`FreeSWITCH not connected (${this.state})`));
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`api ${command.split(' ')[0]} timed out`)), timeoutMs);
      conn.api(command, (evt: Event) => {
        clearTimeout(t);
        resolve(evt.getBody());
      });
    });
  }

  /** Runs a command as a background job and resolves with its result (the BACKGROUND_JOB body). */
  bgapi(command: string, timeoutMs = 60_000): Promise<string> {
    const conn = this.conn;
    if (!conn || this.state !== 'connected') {
      return Promise.reject(new Error(`FreeSWITCH not connected (${this.state})`));
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`bgapi ${command.split(' ')[0]} timed out`)), timeoutMs);
      conn.bgapi(command, (evt: Event) => {
        clearTimeout(t);
        resolve(evt.getBody());
      });
    });
  }

  /**
   * Resolves with the uuid of whichever of these channels hangs up first (needs their CHANNEL_HANGUP_COMPLETE to
   * pass this link's filters); bounded, since a lost event must not hold a call for ever. `cancel` stops listening.
   */
  whenHungUp(uuids: readonly string[], maxMs = 4 * 3600_000): { gone: Promise<string>; cancel: () => void } {
    let cancel: () => void = () => {};
    const gone = new Promise<string>((resolve) => {
      const onEvent = (e: Event) => {
        if (e.getHeader('Event-Name') !== 'CHANNEL_HANGUP_COMPLETE') return;
        const u = e.getHeader('Unique-ID') ?? '';
        if (uuids.includes(u)) done(u);
      };
      const done = (u: string) => {
        cancel();
        resolve(u);
      };
      const t = setTimeout(() => done(uuids[0]!), maxMs);
      t.unref();
      cancel = () => {
        clearTimeout(t);
        this.off('event', onEvent);
      };
      this.on('event', onEvent);
    });
    return { gone, cancel };
  }

  private connect(): void {
    this.setState('connecting');
    const conn = inboundConnection(this.opts.host, this.opts.port, this.opts.password, (p) => {
      this.protocolErrors++;
      this.log.warn(
        { reason: p.reason, sample: p.sample, errors: this.protocolErrors },
        'ESL protocol error (inbound)',
      );
      this.emit('protocol-error', p);
    });
    this.conn = conn;
    let settled = false;
    conn.on('error', (err: Error) => {
      this.lastError = err.message;
      if (!settled) this.log.debug({ err: err.message }, 'ESL inbound socket error');
    });
    conn.on('esl::event::auth::fail', () => {
      settled = true;
      this.lastError = 'authentication failed';
      this.setState('auth-failed');
    });
    conn.on('esl::ready', () => {
      settled = true;
      this.backoff = this.opts.minBackoffMs ?? 250;
      const events = this.opts.events ?? ['CHANNEL_HANGUP_COMPLETE', 'BACKGROUND_JOB'];
      // Sent back to back: FreeSWITCH answers in order, so 'connected' waits for the last reply only.
      const filters = this.opts.filters ?? [];
      // modesl subscribed this link to CHANNEL_EXECUTE_COMPLETE on its own (for its execute(), never used on this
      // link) and FreeSWITCH's event command only adds: every application a carrier caller ran (multiset, socket,
      // bridge ...) came here too, some 10 kB each, serialised by FreeSWITCH and parsed by the router for nothing.
      const unwanted = events.includes('CHANNEL_EXECUTE_COMPLETE') ? [] : ['CHANNEL_EXECUTE_COMPLETE'];
      const last = filters.length ? 'filter' : unwanted.length ? 'nixevent' : 'events';
      conn.events('json', events, () => {
        if (last === 'events') this.connectedNow();
      });
      if (unwanted.length)
        conn.sendRecv(`nixevent ${unwanted.join(' ')}`, () => {
          if (last === 'nixevent') this.connectedNow();
        });
      filters.forEach(([header, value], i) =>
        conn.filter(header, value, () => {
          if (i === filters.length - 1) this.connectedNow();
        }),
      );
    });
    conn.on('esl::event::**', (evt: Event) => {
      const name = evt.getHeader('Event-Name');
      if (!name) return;
      this.eventCounts[name] = (this.eventCounts[name] ?? 0) + 1;
      this.emit('event', evt);
    });
    conn.on('esl::end', () => this.onClosed(conn));
    conn.socket?.on('close', () => this.onClosed(conn));
  }

  private connectedNow(): void {
    this.setState('connected');
    this.emit('connected');
  }

  private onClosed(conn: Connection): void {
    if (this.conn !== conn) return;
    this.conn = null;
    if (this.state === 'stopped') return;
    const wasAuthFail = this.state === 'auth-failed';
    if (!wasAuthFail) this.setState('disconnected');
    this.reconnects++;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.opts.maxBackoffMs ?? 10_000);
    this.log.info({ inMs: delay, attempt: this.reconnects }, 'ESL inbound reconnect scheduled');
    this.timer = setTimeout(() => this.connect(), delay);
  }

  private teardown(): void {
    const c = this.conn;
    this.conn = null;
    if (c?.socket) c.socket.destroy();
  }

  private setState(s: LinkState): void {
    if (this.state === s) return;
    const from = this.state;
    this.state = s;
    const level = s === 'connected' || s === 'connecting' || s === 'stopped' ? 'info' : 'warn';
    this.log[level](
      { from, to: s, host: this.opts.host, port: this.opts.port, err: this.lastError || undefined },
      'ESL inbound link state',
    );
    this.emit('state', s);
  }
}
