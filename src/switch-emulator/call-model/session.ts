import { randomUUID } from 'node:crypto';
import type { Channel } from './channel.ts';
import type { Core } from './core.ts';
import { Interrupt, type StopReason } from './interrupt.ts';

/** A message queued to a session by `sendmsg` (switch_ivr_parse_event's call-command subset). */
export interface SessionMessage {
  command: string;
  appName?: string;
  appArg?: string;
  eventUuid?: string;
  loops?: number;
  eventLock?: boolean;
  hangupCause?: string;
}

/** What the application sees while it runs. */
export interface AppContext {
  session: Session;
  channel: Channel;
  core: Core;
  interrupt: Interrupt;
  /** Sleep that ends early on break or hangup. */
  wait(ms: number): Promise<StopReason | 'done'>;
}

export type AppFn = (ctx: AppContext, data: string) => Promise<void>;

/** An outbound event-socket listener controlling this session (set by the socket app). */
export interface ControlLink {
  /** Resolves true once the client sent `connect`, false if the socket went away first. */
  connected: Promise<boolean>;
  /** Resolves when the listener thread has finished (client exit / socket closed). */
  finished: Promise<void>;
  readonly finishedFlag: boolean;
  /** LFLAG_RESUME: client sent `resume`. */
  readonly resume: boolean;
  /** The channel is fully down and reported: send linger / disconnect as FS's listener loop does. */
  channelDown(): void;
}

// Applications that uuid_break does not stop: they are the containers other apps run in.
const UNBREAKABLE = new Set(['socket', 'park']);

/**
 * The session "thread" of one channel: runs dialplan actions and queued private events one at a time and
 * reports each application with CHANNEL_EXECUTE / CHANNEL_EXECUTE_COMPLETE (switch_core_session_exec).
 */
export class Session {
  private readonly stack: Array<{ name: string; interrupt: Interrupt }> = [];
  private readonly queue: SessionMessage[] = [];
  private queueWake?: () => void;
  readonly hangupInterrupt = new Interrupt();
  link?: ControlLink;
  /** Set when the rest of the extension must not run (the controlling socket left without resume). */
  stopDialplan = false;
  /** True while the session loop runs dialplan/app work (finalisation waits for it). */
  running = false;
  /** Who issued the application on top: the dialplan or an event-socket client (for hangupBy bookkeeping). */
  origin: 'dialplan' | 'socket' = 'dialplan';
  /** Extension actions still to run; the socket app may resume them. */
  pending: Array<{ app: string; data: string }> = [];

  constructor(
    readonly core: Core,
    readonly channel: Channel,
  ) {}

  get currentApp(): string | undefined {
    return this.stack[this.stack.length - 1]?.name;
  }

  get currentAppData(): string | undefined {
    return this.channel.vars.get('current_application_data');
  }

  /** switch_core_session_execute_application: fire EXECUTE, run, fire EXECUTE_COMPLETE. */
  async execute(app: string, rawData: string, appUuid: string = randomUUID()): Promise<void> {
    const ch = this.channel;
    const data = this.core.expand(ch, rawData);
    const fn = this.core.apps.get(app);
    if (!fn) {
      this.core.log.warn({ uuid: ch.uuid, app }, 'invalid application');
      return;
    }
    if (!ch.up && app !== 'hangup') return;
    ch.lastApp = app;
    ch.lastArg = data || undefined;
    ch.vars.set('current_application_data', data || undefined);
    ch.vars.set('current_application', app);
    ch.vars.set('current_application_response', undefined);
    const appHeaders: Array<[string, string]> = [['Application', app]];
    if (data) appHeaders.push(['Application-Data', data]);
    this.core.fireChannel(ch, 'CHANNEL_EXECUTE', { post: [...appHeaders, ['Application-UUID', appUuid]] });
    const interrupt = new Interrupt();
    const unhook = this.hangupInterrupt.on(() => interrupt.stop('hangup'));
    this.stack.push({ name: app, interrupt });
    try {
      await fn(
        {
          session: this,
          channel: ch,
          core: this.core,
          interrupt,
          wait: (ms) => interrupt.wait(ms),
        },
        data,
      );
    } catch (err) {
      this.core.log.error({ err, app, uuid: ch.uuid }, 'application failed');
    } finally {
      this.stack.pop();
      unhook();
    }
    const response = ch.vars.get('current_application_response') ?? '_none_';
    this.core.fireChannel(ch, 'CHANNEL_EXECUTE_COMPLETE', {
      post: [...appHeaders, ['Application-Response', response], ['Application-UUID', appUuid]],
    });
  }

  /**
   * switch_core_standard_on_execute: run the extension's actions in order, then hang up
   * "having executed the last dialplan instruction", then report.
   */
  async runExtension(actions: Array<{ app: string; data: string }>): Promise<void> {
    const ch = this.channel;
    this.running = true;
    this.pending = [...actions];
    try {
      ch.vars.set('call_uuid', ch.uuid);
      while (ch.up && this.pending.length && !this.stopDialplan) {
        const next = this.pending.shift() as { app: string; data: string };
        await this.execute(next.app, next.data);
        await this.drainQueue();
      }
      if (ch.up) this.core.hangup(ch, 'NORMAL_CLEARING', 'switch');
    } finally {
      this.running = false;
    }
    await this.core.finalize(ch);
  }

  /** uuid_break: stop the application on top (not the socket/park container); `all` also drops queued ones. */
  breakCurrent(all = false): void {
    if (all) this.queue.length = 0;
    const top = this.stack[this.stack.length - 1];
    if (top && !UNBREAKABLE.has(top.name)) top.interrupt.stop('break');
  }

  /** Interrupt every running application because the channel hung up. */
  onHangup(): void {
    this.hangupInterrupt.stop('hangup');
    this.queueWake?.();
  }

  /** sendmsg to this session: hangup acts at once (parse_all_events runs inside media loops), the rest queue. */
  queueMessage(msg: SessionMessage): void {
    if (msg.command === 'hangup') {
      this.core.hangup(this.channel, msg.hangupCause || 'NORMAL_CLEARING', 'router');
      return;
    }
    this.queue.push(msg);
    const wake = this.queueWake;
    this.queueWake = undefined;
    wake?.();
  }

  /** Run queued messages until nothing is left (used between dialplan actions). */
  async drainQueue(): Promise<void> {
    while (this.queue.length && this.channel.up) await this.runMessage(this.queue.shift() as SessionMessage);
  }

  private async runMessage(msg: SessionMessage): Promise<void> {
    const ch = this.channel;
    switch (msg.command) {
      case 'execute': {
        if (!msg.appName) return;
        const loops = Math.max(1, msg.loops ?? 1);
        const appUuid = msg.eventUuid ?? randomUUID();
        for (let i = 1; i <= loops && ch.up; i++) {
          // switch_ivr_parse_event exposes the loop counters to the app, then removes them.
          ch.vars.set('current_loop', String(i));
          ch.vars.set('total_loops', String(loops));
          const prev = this.origin;
          this.origin = 'socket';
          try {
            await this.execute(msg.appName, msg.appArg ?? '', appUuid);
          } finally {
            this.origin = prev;
          }
        }
        ch.vars.delete('current_loop');
        ch.vars.delete('total_loops');
        return;
      }
      case 'unhold':
      case 'nomedia':
      default:
        return;
    }
  }

  /**
   * switch_ivr_park as used by the socket app and `park`: CHANNEL_PARK, run private events until the channel
   * goes down or `until` resolves, then CHANNEL_UNPARK.
   */
  async park(until?: Promise<unknown>): Promise<void> {
    const ch = this.channel;
    this.core.fireChannel(ch, 'CHANNEL_PARK');
    let released = false;
    until?.then(() => {
      released = true;
      const wake = this.queueWake;
      this.queueWake = undefined;
      wake?.();
    });
    while (ch.up && !released) {
      if (this.queue.length) {
        await this.runMessage(this.queue.shift() as SessionMessage);
        continue;
      }
      this.core.consumeIdleDtmf(ch);
      await new Promise<void>((resolve) => {
        this.queueWake = resolve;
        if (!ch.up || released) resolve();
      });
    }
    this.queueWake = undefined;
    this.core.fireChannel(ch, 'CHANNEL_UNPARK');
  }

  /** True while parked with nothing running on top (DTMF gets consumed by the park loop). */
  get idleParked(): boolean {
    const top = this.stack[this.stack.length - 1];
    return !!top && UNBREAKABLE.has(top.name) && !!this.queueWake;
  }
}
