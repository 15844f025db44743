import { randomUUID } from 'node:crypto';
import { emptyTimes, type Channel } from './channel.ts';
import type { Core } from './core.ts';
import { nowUsec } from './event.ts';
import { Interrupt, type StopReason } from './interrupt.ts';
import { KNOWN_UNMODELLED_APPS } from './apps/known.ts';

/** A message queued to a session by `sendmsg` (switch_ivr_parse_event's call-command subset). */
export interface SessionMessage {
  command: string;
  appName?: string;
  appArg?: string;
  eventUuid?: string;
  eventUuidName?: string;
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
  /** Sleep that ends early on break or hangup (and stands still while an application runs nested inside). */
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
  /** The channel is fully down and reported: send linger / disconnect as FS's listener loop does. */
  channelDown(): void;
}

/** Applications that stop on CF_BREAK (uuid_break): the media loops that check it. */
const BREAKABLE = new Set(['playback', 'play_and_get_digits', 'read', 'sleep', 'record']);

/**
 * Applications whose media loop calls switch_ivr_parse_all_events (or, in the bridge loop, parse_next_event):
 * an application queued to the session while one of these runs starts at once, nested inside it, and the outer
 * one stands still until the nested one returns (checked on the real 1.10.12: playback, sleep,
 * play_and_get_digits, and bridge both while the far end rings and while bridged). `socket` and `park` run
 * queued applications themselves (Session.park).
 */
const POLLS_EVENTS = new Set(['playback', 'play_and_get_digits', 'read', 'sleep', 'record', 'bridge']);

interface Frame {
  name: string;
  interrupt: Interrupt;
  /** Run from a sendmsg execute (CF_BROADCAST). */
  broadcast: boolean;
  /** Run from a sendmsg with event-lock: true (CF_EVENT_LOCK): nothing queued is dequeued while it runs. */
  locked: boolean;
  /** Applications running nested inside this one, while its loop is blocked. */
  nested?: Promise<void>;
}

/** What the originator of uuid_bridge does when the bridge is over. */
export type AfterBridge = 'park' | 'hangup' | 'continue';

interface Transfer {
  destination: string;
  context: string;
}

/**
 * The session "thread" of one channel: runs dialplan actions and queued private events and reports each
 * application with CHANNEL_EXECUTE / CHANNEL_EXECUTE_COMPLETE (switch_core_session_exec).
 */
export class Session {
  private readonly stack: Frame[] = [];
  private readonly queue: SessionMessage[] = [];
  private queueWake?: () => void;
  private pollScheduled = false;
  /** CF_STOP_BROADCAST: a uuid_break hit an application run from sendmsg; the one it is nested in stops too. */
  private stopBroadcast = false;
  /** Set by the transfer application: hunt this extension once the running application returns. */
  private transferTo?: Transfer;
  readonly hangupInterrupt = new Interrupt();
  link?: ControlLink;
  /** True while the session loop runs dialplan/app work (finalisation waits for it). */
  running = false;
  /** Extension actions still to run. */
  pending: Array<{ app: string; data: string }> = [];
  /**
   * Set while uuid_bridge has the channel (CS_HIBERNATE, then the bridge in CS_SOFT_EXECUTE): the application that
   * ran returned, and the extension goes on only when this settles with what the channel does after the bridge.
   */
  private uuidBridged?: Promise<AfterBridge>;
  /** Ends the park loop on top (uuid_bridge moves the channel out of it). */
  private parkBreak?: () => void;

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

  /** Who issued the application on top: the dialplan or an event-socket client (for hangupBy bookkeeping). */
  get origin(): 'dialplan' | 'socket' {
    return this.stack[this.stack.length - 1]?.broadcast ? 'socket' : 'dialplan';
  }

  /** switch_core_session_execute_application: fire EXECUTE, run, fire EXECUTE_COMPLETE. */
  async execute(
    app: string,
    rawData: string,
    appUuid: string = randomUUID(),
    from: { broadcast?: boolean; locked?: boolean; uuidName?: string } = {},
  ): Promise<void> {
    const ch = this.channel;
    const data = this.core.expand(ch, rawData);
    let fn = this.core.apps.get(app);
    if (!ch.up && app !== 'hangup') return;
    if (!fn) {
      if (!KNOWN_UNMODELLED_APPS.has(app)) {
        // "Invalid Application": no CHANNEL_EXECUTE, and the channel is hung up.
        this.core.log.warn({ uuid: ch.uuid, app }, 'invalid application');
        this.core.hangup(ch, 'DESTINATION_OUT_OF_ORDER', 'switch');
        return;
      }
      // A FreeSWITCH application the emulator does not model: reported like any other, does nothing.
      this.core.log.warn({ uuid: ch.uuid, app }, 'application not modelled by the emulator; ran as a no-op');
      fn = async () => undefined;
    }
    ch.lastApp = app;
    ch.lastArg = data || undefined;
    ch.vars.set('current_application_data', data || undefined);
    ch.vars.set('current_application', app);
    ch.vars.set('current_application_response', undefined);
    const appHeaders: Array<[string, string]> = [['Application', app]];
    if (data) appHeaders.push(['Application-Data', data]);
    const uuidHeaders: Array<[string, string]> = [['Application-UUID', appUuid]];
    if (from.uuidName) uuidHeaders.push(['Application-UUID-Name', from.uuidName]);
    this.core.fireChannel(ch, 'CHANNEL_EXECUTE', { post: [...appHeaders, ...uuidHeaders] });
    const interrupt = new Interrupt();
    const unhook = this.hangupInterrupt.on(() => interrupt.stop('hangup'));
    const frame: Frame = {
      name: app,
      interrupt,
      broadcast: !!from.broadcast,
      locked: !!from.locked,
    };
    // The DTMF consumer of the application this one runs nested in comes back when this one returns.
    const outerDtmf = this.core.dtmfHandler(ch);
    this.stack.push(frame);
    if (POLLS_EVENTS.has(app)) this.schedulePoll();
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
      // Its loop was blocked by what ran nested inside it: it cannot return before they did.
      while (frame.nested) await frame.nested;
      this.stack.pop();
      unhook();
      if (this.stack.length) this.core.setDtmfHandler(ch, outerDtmf);
    }
    const response = ch.vars.get('current_application_response') ?? '_none_';
    this.core.fireChannel(ch, 'CHANNEL_EXECUTE_COMPLETE', {
      post: [...appHeaders, ['Application-Response', response], ...uuidHeaders],
    });
  }

  /**
   * switch_core_standard_on_execute: run the extension's actions in order while the channel stays in
   * CS_EXECUTE (a transfer sends it back to routing: the new extension is hunted and run), then hang up
   * "having executed the last dialplan instruction", then report.
   */
  async runExtension(actions: Array<{ app: string; data: string }>): Promise<void> {
    const ch = this.channel;
    this.running = true;
    this.pending = [...actions];
    try {
      ch.vars.set('call_uuid', ch.uuid);
      for (;;) {
        while (ch.up && this.pending.length && !this.transferTo) {
          const next = this.pending.shift() as { app: string; data: string };
          await this.execute(next.app, next.data);
          await this.afterUuidBridge();
          await this.drainQueue();
        }
        const t = this.transferTo;
        if (!ch.up || !t) break;
        this.transferTo = undefined;
        this.pending = [];
        this.core.setRunningState(ch, 'CS_ROUTING');
        const next = this.core.hunt(ch, t.destination, t.context);
        if (!ch.up) break;
        if (!next.length) {
          this.core.hangup(ch, 'NO_ROUTE_DESTINATION', 'switch');
          break;
        }
        this.core.setRunningState(ch, 'CS_EXECUTE');
        this.pending = next;
      }
      if (ch.up) this.core.hangup(ch, 'NORMAL_CLEARING', 'switch');
    } finally {
      this.running = false;
    }
    await this.core.finalize(ch);
  }

  /**
   * switch_ivr_session_transfer: a new caller profile for `extension` in `context` (dialplan XML), the
   * transfer_* and max_forwards variables, CS_ROUTING. The extension is hunted when the running application
   * returns (the execute loop only goes on while the channel is in CS_EXECUTE).
   */
  transfer(extension: string, dialplan?: string, context?: string): void {
    const ch = this.channel;
    const v = ch.vars;
    let forwardName = 'max_session_transfers';
    let forwardVar = v.get(forwardName);
    if (!forwardVar) {
      forwardName = 'max_forwards';
      forwardVar = v.get(forwardName);
    }
    const forwardVal = forwardVar ? Number.parseInt(forwardVar, 10) - 1 : 70;
    if (!(forwardVal > 0)) {
      this.core.hangup(ch, 'EXCHANGE_ROUTING_ERROR', 'switch');
      return;
    }
    v.set(forwardName, String(forwardVal));
    const old = ch.profile;
    let useDialplan = dialplan || v.get('force_transfer_dialplan');
    if (!useDialplan) useDialplan = old.dialplan?.toLowerCase() === 'inline' ? undefined : old.dialplan;
    const useContext = context || v.get('force_transfer_context') || old.context || 'default';
    useDialplan ||= 'XML';
    const dest = extension || 'service';
    v.delete('signal_bond');
    const other = ch.bridgedTo ? this.core.channels.get(ch.bridgedTo) : undefined;
    if (other?.up) {
      // Transferring the caller out of a bridge: the other leg is hung up, the caller is not.
      v.set('hangup_after_bridge', 'false');
      this.core.hangup(other, 'BLIND_TRANSFER', 'switch');
    }
    const now = nowUsec();
    const times = emptyTimes(now);
    times.created = old.times.created;
    times.answered = old.times.answered;
    times.progress = old.times.progress;
    times.progressMedia = old.times.progressMedia;
    times.hangup = old.times.hangup;
    const source = `${Math.floor(now / 1e6)}:${old.uuid}:bl_xfer:${dest}/${useContext}/${useDialplan}`;
    ch.profile = {
      ...old,
      dialplan: useDialplan,
      context: useContext,
      destinationNumber: dest,
      rdnis: old.destinationNumber,
      profileIndex: String(Number(old.profileIndex) + 1),
      transferSource: source,
      times,
    };
    const history = v.get('transfer_history');
    v.set(
      'transfer_history',
      history ? `${history.startsWith('ARRAY::') ? history : `ARRAY::${history}`}|:${source}` : source,
    );
    v.set('transfer_source', source);
    ch.state = 'CS_ROUTING';
    this.pending = [];
    this.transferTo = { destination: dest, context: useContext };
  }

  /**
   * uuid_break: CF_BREAK stops the media loop on top (playback, play_and_get_digits, read, sleep, record; not
   * bridge, socket or park). When that application was run from sendmsg (CF_BROADCAST), CF_STOP_BROADCAST also
   * stops the one it ran nested in when it returns. `all` also drops what is queued.
   */
  breakCurrent(all = false): void {
    if (all) this.queue.length = 0;
    const top = this.stack[this.stack.length - 1];
    if (!top) return;
    if (top.broadcast) this.stopBroadcast = true;
    if (BREAKABLE.has(top.name)) top.interrupt.stop('break');
  }

  /**
   * The socket session ended with socket_resume true: mod_event_socket sets the channel to CS_RESET, which
   * switch_channel_ready reports as not ready, so the media loops on the stack (hold music, prompts) return at
   * once, and the session reset drops the private events still queued. A bridge goes on (its loop does not stop
   * for it: on the real 1.10.12 a conversation outlived its router), and the dialplan continues after it.
   */
  resetAfterSocketLoss(): void {
    if (this.stack.some((f) => f.name === 'bridge')) return;
    this.queue.length = 0;
    for (const f of this.stack) if (BREAKABLE.has(f.name)) f.interrupt.stop('break');
  }

  /**
   * uuid_bridge takes this channel (switch_ivr_uuid_bridge): the park loop on top returns (the socket application
   * completes; its listener stays attached), and what the channel does afterwards is `after` (see afterBridge).
   */
  takeForUuidBridge(after: Promise<AfterBridge>): void {
    this.uuidBridged = after;
    this.parkBreak?.();
  }

  /** Whether uuid_bridge has this channel now. */
  get inUuidBridge(): boolean {
    return !!this.uuidBridged;
  }

  /**
   * The end of uuid_bridge_on_soft_execute for the originator: parked (park_after_bridge, or the other leg gone
   * before the join with uuid_bridge_park_on_cancel), hung up, or back to CS_EXECUTE, where the extension goes on
   * after the application that was running when uuid_bridge came (the socket application).
   */
  private async afterUuidBridge(): Promise<void> {
    while (this.uuidBridged) {
      const after = await this.uuidBridged;
      this.uuidBridged = undefined;
      if (!this.channel.up) return;
      if (after === 'park') {
        this.core.setRunningState(this.channel, 'CS_PARK');
        this.stack.push({ name: 'park', interrupt: new Interrupt(), broadcast: false, locked: false });
        try {
          await this.park();
        } finally {
          this.stack.pop();
        }
      } else if (after === 'hangup') {
        this.core.hangup(this.channel, 'NORMAL_CLEARING', 'switch');
      } else {
        this.core.setRunningState(this.channel, 'CS_EXECUTE');
      }
    }
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
    this.schedulePoll();
  }

  /** Run queued messages until nothing is left (used between dialplan actions). */
  async drainQueue(): Promise<void> {
    while (this.queue.length && this.channel.up) await this.runMessage(this.queue.shift() as SessionMessage);
  }

  /** The media loop on top looks at the private event queue on its next frame. */
  private schedulePoll(): void {
    if (this.pollScheduled) return;
    this.pollScheduled = true;
    setImmediate(() => {
      this.pollScheduled = false;
      void this.poll();
    });
  }

  /** switch_ivr_parse_all_events from inside a running application: what is queued runs nested inside it. */
  private async poll(): Promise<void> {
    const top = this.stack[this.stack.length - 1];
    if (!top || !POLLS_EVENTS.has(top.name) || top.nested || top.interrupt.stopped) return;
    if (this.stack.some((f) => f.locked) || !this.queue.length || !this.channel.up) return;
    let done!: () => void;
    top.nested = new Promise<void>((r) => (done = r));
    top.interrupt.pause();
    try {
      while (this.queue.length && this.channel.up) {
        await this.runMessage(this.queue.shift() as SessionMessage);
      }
    } finally {
      top.interrupt.resume();
      top.nested = undefined;
      done();
    }
  }

  private async runMessage(msg: SessionMessage): Promise<void> {
    const ch = this.channel;
    switch (msg.command) {
      case 'execute': {
        if (!msg.appName) return;
        const loops = Math.max(1, msg.loops ?? 1);
        for (let i = 1; i <= loops && ch.up; i++) {
          // switch_ivr_parse_event exposes the loop counters to the app, then removes them; the app's uuid is
          // the Event-UUID the client sent, else a new one per run.
          ch.vars.set('current_loop', String(i));
          ch.vars.set('total_loops', String(loops));
          this.stopBroadcast = false;
          await this.execute(msg.appName, msg.appArg ?? '', msg.eventUuid ?? randomUUID(), {
            broadcast: true,
            locked: msg.eventLock,
            uuidName: msg.eventUuidName,
          });
          if (this.stopBroadcast) break;
        }
        ch.vars.delete('current_loop');
        ch.vars.delete('total_loops');
        if (this.stopBroadcast) {
          // CF_STOP_BROADCAST: CF_BREAK again for the application this one ran nested in.
          const outer = this.stack[this.stack.length - 1];
          if (outer && BREAKABLE.has(outer.name)) outer.interrupt.stop('break');
        }
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
    const release = () => {
      released = true;
      const wake = this.queueWake;
      this.queueWake = undefined;
      wake?.();
    };
    until?.then(release);
    this.parkBreak = release;
    // park_timeout "<seconds>[:<cause>]" is read once when the park starts and cleared (switch_ivr_park); when it
    // expires the channel is hung up with that cause (default NORMAL_CLEARING).
    const timeoutVar = ch.vars.get('park_timeout');
    let expiry: NodeJS.Timeout | undefined;
    if (timeoutVar !== undefined) {
      ch.vars.delete('park_timeout');
      const [secs, cause] = timeoutVar.split(':');
      const n = Number.parseInt(secs ?? '', 10);
      if (n >= 0) {
        expiry = setTimeout(() => {
          if (ch.up && !released) this.core.hangup(ch, cause || 'NORMAL_CLEARING', 'switch');
        }, n * 1000);
        expiry.unref();
      }
    }
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
    clearTimeout(expiry);
    if (this.parkBreak === release) this.parkBreak = undefined;
    this.core.fireChannel(ch, 'CHANNEL_UNPARK');
  }

  /** True while parked with nothing running on top (DTMF gets consumed by the park loop). */
  get idleParked(): boolean {
    const top = this.stack[this.stack.length - 1];
    return !!top && (top.name === 'socket' || top.name === 'park') && !!this.queueWake;
  }
}
