// One event-socket connection, inbound (a client connected to us) or outbound (we connected to the client
// for the `socket` app). Command handling follows parse_command() in mod_event_socket.c.
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Core } from '../call-model/core.ts';
import type { SwitchEvent } from '../call-model/event.ts';
import type { ControlLink, Session, SessionMessage } from '../call-model/session.ts';
import { buildChannelEvent, profileHeaders } from '../call-model/channel-event.ts';
import { runApi } from '../api/commands.ts';
import { CommandParser, type ClientCommand } from './command-parser.ts';
import {
  GOODBYE,
  apiResponse,
  commandReply,
  disconnectNotice,
  eventFrame,
  lingerNotice,
  serializePlain,
  type EventFormat,
} from './serialize.ts';

const EVENT_NAMES = new Set(
  'CUSTOM,CLONE,CHANNEL_CREATE,CHANNEL_DESTROY,CHANNEL_STATE,CHANNEL_CALLSTATE,CHANNEL_ANSWER,CHANNEL_HANGUP,CHANNEL_HANGUP_COMPLETE,CHANNEL_EXECUTE,CHANNEL_EXECUTE_COMPLETE,CHANNEL_HOLD,CHANNEL_UNHOLD,CHANNEL_BRIDGE,CHANNEL_UNBRIDGE,CHANNEL_PROGRESS,CHANNEL_PROGRESS_MEDIA,CHANNEL_OUTGOING,CHANNEL_PARK,CHANNEL_UNPARK,CHANNEL_APPLICATION,CHANNEL_ORIGINATE,CHANNEL_UUID,API,LOG,INBOUND_CHAN,OUTBOUND_CHAN,STARTUP,SHUTDOWN,PUBLISH,UNPUBLISH,TALK,NOTALK,SESSION_CRASH,MODULE_LOAD,MODULE_UNLOAD,DTMF,MESSAGE,PRESENCE_IN,NOTIFY_IN,PRESENCE_OUT,PRESENCE_PROBE,MESSAGE_WAITING,MESSAGE_QUERY,ROSTER,CODEC,BACKGROUND_JOB,DETECTED_SPEECH,DETECTED_TONE,PRIVATE_COMMAND,HEARTBEAT,TRAP,ADD_SCHEDULE,DEL_SCHEDULE,EXE_SCHEDULE,RE_SCHEDULE,RELOADXML,NOTIFY,PHONE_FEATURE,PHONE_FEATURE_SUBSCRIBE,SEND_MESSAGE,RECV_MESSAGE,REQUEST_PARAMS,CHANNEL_DATA,GENERAL,COMMAND,SESSION_HEARTBEAT,CLIENT_DISCONNECTED,SERVER_DISCONNECTED,SEND_INFO,RECV_INFO,RECV_RTCP_MESSAGE,SEND_RTCP_MESSAGE,CALL_SECURE,NAT,RECORD_START,RECORD_STOP,PLAYBACK_START,PLAYBACK_STOP,CALL_UPDATE,FAILURE,SOCKET_DATA,MEDIA_BUG_START,MEDIA_BUG_STOP,CONFERENCE_DATA_QUERY,CONFERENCE_DATA,CALL_SETUP_REQ,CALL_SETUP_RESULT,CALL_DETAIL,DEVICE_STATE,TEXT,SHUTDOWN_REQUESTED,CERT_RELOAD,ALL'.split(
    ',',
  ),
);

// What `myevents` subscribes to (parse_command, "myevents" branch).
const MYEVENTS = [
  'CHANNEL_ANSWER',
  'CHANNEL_APPLICATION',
  'CHANNEL_BRIDGE',
  'CHANNEL_CREATE',
  'CHANNEL_DATA',
  'CHANNEL_DESTROY',
  'CHANNEL_EXECUTE',
  'CHANNEL_EXECUTE_COMPLETE',
  'CHANNEL_HANGUP',
  'CHANNEL_HANGUP_COMPLETE',
  'CHANNEL_ORIGINATE',
  'CHANNEL_UUID',
  'CHANNEL_OUTGOING',
  'CHANNEL_PARK',
  'CHANNEL_PROGRESS',
  'CHANNEL_PROGRESS_MEDIA',
  'CHANNEL_STATE',
  'CHANNEL_UNBRIDGE',
  'CHANNEL_UNPARK',
  'DETECTED_SPEECH',
  'DTMF',
  'NOTALK',
  'TALK',
];

function nameEvent(word: string): string | undefined {
  let w = word.toUpperCase();
  if (w.startsWith('SWITCH_EVENT_')) w = w.slice('SWITCH_EVENT_'.length);
  return EVENT_NAMES.has(w) ? w : undefined;
}

function header(ev: SwitchEvent, name: string): string | undefined {
  const lower = name.toLowerCase();
  return ev.headers.find(([k]) => k.toLowerCase() === lower)?.[1];
}

function cmdHeader(cmd: ClientCommand, name: string): string | undefined {
  const lower = name.toLowerCase();
  return cmd.headers.find(([k]) => k.toLowerCase() === lower)?.[1];
}

const truthy = (v: string | undefined): boolean => !!v && /^(true|yes|on|1|enabled|active|allow)$/i.test(v);

export interface ListenerDeps {
  core: Core;
  password: string;
  protocolError(info: { listener: 'inbound' | 'outbound'; reason: string; command?: string }): void;
}

export class Listener {
  private readonly parser = new CommandParser();
  private readonly queue: ClientCommand[] = [];
  private busy = false;
  private authed: boolean;
  private running = true;
  private format: EventFormat = 'plain';
  private eventsOn = false;
  private readonly eventList = new Set<string>();
  private readonly customSubs = new Set<string>();
  private allCustom = false;
  private filters: Array<[string, string]> = [];
  private myevents = false;
  private linger = false;
  private lingerTime = -1;
  private handleDisco = false;
  private connectedFlag = false;
  private closed = false;
  private readonly onEvent = (ev: SwitchEvent): void => this.deliver(ev);
  private resolveConnected!: (ok: boolean) => void;
  private resolveFinished!: () => void;
  readonly connected = new Promise<boolean>((r) => (this.resolveConnected = r));
  readonly finished = new Promise<void>((r) => (this.resolveFinished = r));

  constructor(
    readonly socket: Socket,
    private readonly deps: ListenerDeps,
    /** The controlled session of an outbound listener (or the one `myevents <uuid>` bound). */
    private session?: Session,
    private readonly outboundFlags: { outbound: boolean; async: boolean; full: boolean } = {
      outbound: false,
      async: false,
      full: false,
    },
  ) {
    this.authed = !!session;
    socket.setNoDelay(true);
    deps.core.bus.on('event', this.onEvent);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => this.onClose());
    if (!session) this.write('Content-Type: auth/request\n\n');
  }

  private get isOutbound(): boolean {
    return this.outboundFlags.outbound;
  }

  /** The ControlLink the socket app waits on (outbound only). */
  asLink(): ControlLink {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      connected: this.connected,
      finished: this.finished,
      get finishedFlag() {
        return self.closed;
      },
      channelDown: () => this.onChannelDown(),
    };
  }

  /** Raw bytes from the fault injector. */
  inject(bytes: string): void {
    this.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private write(s: string): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(s);
  }

  private onData(chunk: Buffer): void {
    if (!this.running) return;
    const cmds = this.parser.push(chunk);
    if (this.parser.fatal) {
      this.deps.protocolError({
        listener: this.isOutbound ? 'outbound' : 'inbound',
        reason: this.parser.fatal,
      });
      this.finish();
      return;
    }
    this.queue.push(...cmds);
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length && this.running) {
        const cmd = this.queue.shift() as ClientCommand;
        try {
          await this.handle(cmd);
        } catch (err) {
          this.deps.core.log.error({ err, command: cmd.command }, 'event socket command failed');
          this.write(commandReply('-ERR command parse error.'));
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private reply(text: string): void {
    this.write(commandReply(text));
  }

  private notFound(cmd: string): void {
    this.deps.protocolError({
      listener: this.isOutbound ? 'outbound' : 'inbound',
      reason: 'command not found',
      command: cmd,
    });
    this.reply('-ERR command not found');
  }

  private async handle(c: ClientCommand): Promise<void> {
    const cmd = c.command;
    const lc = cmd.toLowerCase();
    if (lc.startsWith('exit') || lc.startsWith('...')) {
      this.reply('+OK bye');
      this.finish();
      return;
    }
    if (!this.authed) {
      if (lc.startsWith('auth ')) {
        if (cmd.slice(5) === this.deps.password) {
          this.authed = true;
          this.reply('+OK accepted');
        } else {
          this.reply('-ERR invalid');
          this.finish();
        }
        return;
      }
      if (lc.startsWith('userauth ')) {
        this.reply('-ERR invalid');
        this.finish();
        return;
      }
      this.notFound(cmd);
      return;
    }
    if (lc.startsWith('filter ')) return this.filter(cmd.slice(7));
    if (this.session && lc.startsWith('resume')) {
      this.session.channel.vars.set('socket_resume', 'true');
      this.reply('+OK');
      return;
    }
    if (this.session || lc.startsWith('myevents ')) {
      if (this.session && lc.startsWith('connect')) {
        const delay = this.deps.core.connectDelayMs;
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
        return this.connect();
      }
      if (this.session && lc.startsWith('getvar')) {
        const name = cmd.split(' ')[1] ?? '';
        this.reply(this.session.channel.vars.get(name) ?? '');
        return;
      }
      if (lc.startsWith('myevents')) return this.myEvents(cmd);
    }
    if (lc.startsWith('divert_events')) {
      this.reply(this.session ? '+OK events diverted' : '-ERR not controlling a session.');
      return;
    }
    if (lc.startsWith('sendmsg')) return this.sendmsg(c);
    if (this.isOutbound && !this.outboundFlags.full) return this.notFound(cmd);
    if (lc.startsWith('sendevent')) {
      this.reply(`+OK ${randomUUID()}`);
      return;
    }
    if (lc.startsWith('api ')) return this.api(cmd.slice(4));
    if (lc.startsWith('bgapi ')) return this.bgapi(cmd.slice(6), cmdHeader(c, 'job-uuid'));
    if (lc.startsWith('log')) {
      this.reply('+OK log level  [7]');
      return;
    }
    if (lc.startsWith('linger')) {
      if (!this.session) return this.reply('-ERR not controlling a session');
      const arg = cmd.slice(6);
      this.linger = true;
      if (arg.startsWith(' ') && arg.length > 1) {
        this.lingerTime = Number.parseInt(arg.slice(1), 10) || 0;
        this.reply(`+OK will linger ${this.lingerTime} seconds`);
      } else {
        this.lingerTime = -1;
        this.reply('+OK will linger');
      }
      return;
    }
    if (lc.startsWith('nolinger')) {
      if (!this.session) return this.reply('-ERR not controlling a session');
      this.linger = false;
      this.reply('+OK will not linger');
      return;
    }
    if (lc.startsWith('nolog')) return this.reply('-ERR not loging');
    if (lc.startsWith('event')) return this.event(cmd);
    if (lc.startsWith('nixevent')) return this.nixevent(cmd);
    if (lc.startsWith('noevents')) {
      if (!this.eventsOn) return this.reply('-ERR not listening for events');
      this.eventsOn = false;
      this.eventList.clear();
      this.customSubs.clear();
      this.allCustom = false;
      this.reply('+OK no longer listening for events');
      return;
    }
    this.notFound(cmd);
  }

  /** `connect` on an outbound socket: the CHANNEL_DATA reply, one header block without Content-Length. */
  private connect(): void {
    const s = this.session as Session;
    const ch = s.channel;
    const core = this.deps.core;
    this.connectedFlag = true;
    const ev = buildChannelEvent(core.bus, ch, 'CHANNEL_DATA');
    const head = ev.headers.slice(0, 13);
    const rest = ev.headers.slice(13);
    ev.headers = [...head, ...profileHeaders(ch.profile, 'Channel'), ...rest];
    ev.headers.push(
      ['Content-Type', 'command/reply'],
      ['Reply-Text', '+OK\n'],
      ['Socket-Mode', this.outboundFlags.async ? 'async' : 'static'],
      ['Control', this.outboundFlags.full ? 'full' : 'single-channel'],
    );
    this.write(serializePlain(ev));
    this.resolveConnected(true);
  }

  private myEvents(cmd: string): void {
    if (this.myevents) return this.reply('-ERR aready enabled.');
    if (!this.session) {
      const parts = cmd.slice(9).trim().split(' ');
      const uuid = parts[0] ?? '';
      const fmt = parts[1];
      const ch = this.deps.core.channels.get(uuid);
      if (!ch) {
        if (fmt) return this.reply('-ERR invalid uuid');
      } else {
        this.session = this.deps.core.session(ch);
      }
    }
    for (const e of MYEVENTS) this.eventList.add(e);
    this.myevents = true;
    this.eventsOn = true;
    if (/xml/i.test(cmd)) this.format = 'xml';
    if (/json/i.test(cmd)) this.format = 'json';
    this.reply('+OK Events Enabled');
  }

  private filter(arg: string): void {
    const trimmed = arg.replace(/\r/g, '');
    const sp = trimmed.indexOf(' ');
    let name = sp < 0 ? trimmed : trimmed.slice(0, sp);
    let value = sp < 0 ? undefined : trimmed.slice(sp + 1);
    if (name.toLowerCase() === 'delete') {
      if (value === undefined) return this.reply('-ERR invalid syntax');
      const sp2 = value.indexOf(' ');
      name = sp2 < 0 ? value : value.slice(0, sp2);
      value = sp2 < 0 ? undefined : value.slice(sp2 + 1);
      if (name.toLowerCase() === 'all') this.filters = [];
      else
        this.filters = this.filters.filter(([n, v]) => !(n === name && (value === undefined || v === value)));
      this.reply(`+OK filter deleted. [${name}][${value ?? ''}]`);
      return;
    }
    if (!name || value === undefined) return this.reply('-ERR invalid syntax');
    this.filters.push([name, value]);
    this.reply(`+OK filter added. [${name}]=[${value}]`);
  }

  private event(cmd: string): void {
    const words = cmd.split(' ').slice(1);
    let keys = 0;
    let custom = false;
    words.forEach((w, i) => {
      if (!w) return;
      if (i === 0 && /^(xml|plain|json)$/i.test(w)) {
        this.format = w.toLowerCase() as EventFormat;
        return;
      }
      if (custom) {
        this.customSubs.add(w);
        return;
      }
      const name = nameEvent(w);
      if (!name) return;
      keys++;
      if (name === 'ALL') this.allCustom = true;
      this.eventList.add(name);
      if (name === 'CUSTOM') custom = true;
    });
    if (!keys) return this.reply('-ERR no keywords supplied');
    this.eventsOn = true;
    this.reply(`+OK event listener enabled ${this.format}`);
  }

  private nixevent(cmd: string): void {
    const words = cmd.split(' ').slice(1);
    let keys = 0;
    let custom = false;
    for (const w of words) {
      if (!w) continue;
      if (custom) {
        this.customSubs.delete(w);
        continue;
      }
      const name = nameEvent(w);
      if (!name) continue;
      keys++;
      if (name === 'CUSTOM') custom = true;
      else if (name === 'ALL') {
        this.eventList.clear();
        this.allCustom = false;
      } else {
        if (this.eventList.has('ALL')) {
          this.eventList.delete('ALL');
          for (const n of EVENT_NAMES) if (n !== 'ALL') this.eventList.add(n);
        }
        this.eventList.delete(name);
      }
    }
    if (!keys) return this.reply('-ERR no keywords supplied');
    this.eventsOn = true;
    this.reply('+OK events nixed');
  }

  private sendmsg(c: ClientCommand): void {
    let uuid: string | undefined = c.command.slice(7).trim() || cmdHeader(c, 'session-id');
    if (uuid && this.session && uuid === this.session.channel.uuid) uuid = undefined;
    let target: Session | undefined;
    if (!uuid && this.session) target = this.session;
    else if (uuid) {
      const ch = this.deps.core.channels.get(uuid);
      if (ch && !ch.destroyed) target = this.deps.core.session(ch);
    }
    if (!target) {
      this.deps.protocolError({
        listener: this.isOutbound ? 'outbound' : 'inbound',
        reason: 'invalid session id',
        command: c.command,
      });
      this.reply(`-ERR invalid session id [${uuid ?? ''}]`);
      return;
    }
    const loops = Number(cmdHeader(c, 'loops') ?? 1);
    const msg: SessionMessage = {
      command: (cmdHeader(c, 'call-command') ?? '').toLowerCase(),
      appName: cmdHeader(c, 'execute-app-name'),
      appArg: cmdHeader(c, 'execute-app-arg') ?? c.body,
      eventUuid: cmdHeader(c, 'event-uuid'),
      eventUuidName: cmdHeader(c, 'event-uuid-name'),
      loops: Number.isFinite(loops) ? loops : 1,
      eventLock: truthy(cmdHeader(c, 'event-lock')),
      hangupCause: cmdHeader(c, 'hangup-cause'),
    };
    this.reply('+OK');
    // The session thread picks the message up after the reply went out.
    setImmediate(() => target.queueMessage(msg));
  }

  private async api(line: string): Promise<void> {
    const sp = line.indexOf(' ');
    const cmd = sp < 0 ? line : line.slice(0, sp);
    const args = sp < 0 ? '' : line.slice(sp + 1);
    const out = await runApi(this.deps.core, cmd, args);
    let body = out ?? `-ERR ${cmd} Command not found!\n`;
    if (out === null)
      this.deps.protocolError({
        listener: this.isOutbound ? 'outbound' : 'inbound',
        reason: 'api command not found',
        command: cmd,
      });
    if (!body.length) body = '-ERR no reply\n';
    this.write(apiResponse(body));
  }

  private bgapi(line: string, jobHeader: string | undefined): void {
    const sp = line.indexOf(' ');
    const cmd = sp < 0 ? line : line.slice(0, sp);
    const args = sp < 0 ? undefined : line.slice(sp + 1);
    const job = jobHeader || randomUUID();
    const owner = this.session?.channel.uuid;
    this.write(commandReply(`+OK Job-UUID: ${job}`, [['Job-UUID', job]]));
    const core = this.deps.core;
    void (async () => {
      let out: string | null;
      try {
        out = await runApi(core, cmd, args ?? '');
      } catch (err) {
        core.log.error({ err }, 'bgapi failed');
        out = '-ERR internal error\n';
      }
      const body = out ?? `-ERR ${cmd} Command not found!\n`;
      const headers = core.bus.stamp('BACKGROUND_JOB', undefined);
      headers.push(['Job-UUID', job]);
      if (owner) headers.push(['Job-Owner-UUID', owner]);
      headers.push(['Job-Command', cmd]);
      if (args) headers.push(['Job-Command-Arg', args]);
      core.bus.fire({ name: 'BACKGROUND_JOB', headers, body: body || 'Command returned no output!' });
    })();
  }

  /** The event_handler filter chain for this listener. */
  private wants(ev: SwitchEvent): boolean {
    if (!this.eventsOn || !this.running) return false;
    let send = false;
    if (this.eventList.has('ALL')) send = true;
    else if (this.eventList.has(ev.name)) {
      send = ev.name !== 'CUSTOM' || !ev.subclass || this.allCustom || this.customSubs.has(ev.subclass);
    }
    if (send && this.filters.length) {
      send = false;
      for (const [name, value] of this.filters) {
        const hval = header(ev, name);
        if (hval === undefined) continue;
        let comp = value;
        let pos = true;
        while (comp.length && (comp[0] === '+' || comp[0] === '-' || comp[0] === ' ')) {
          if (comp[0] === '+') pos = true;
          else if (comp[0] === '-') pos = false;
          comp = comp.slice(1);
        }
        if (send && pos) continue;
        let cmp: boolean;
        if (value.startsWith('/')) {
          try {
            cmp = new RegExp(comp.replace(/^\/|\/$/g, '')).test(hval);
          } catch {
            cmp = false;
          }
        } else cmp = hval.toLowerCase() === comp.toLowerCase();
        if (cmp) {
          if (pos) send = true;
          else {
            send = false;
            break;
          }
        }
      }
    }
    if (send && this.myevents) {
      const uuid = header(ev, 'unique-id');
      if (!uuid || (this.session && uuid !== this.session.channel.uuid)) send = false;
      if (this.session && header(ev, 'Job-Owner-UUID') === this.session.channel.uuid) send = true;
    }
    return send;
  }

  /**
   * Events reach a listener through FS's event queue and the listener's own queue, so a reply the listener
   * writes directly (api/response, command/reply) goes out before events fired by the same command.
   * The subscription is checked when the event is fired; the bytes go out on the next turn, in order.
   */
  private deliver(ev: SwitchEvent): void {
    if (this.closed) return;
    if (this.isOutbound && !this.connectedFlag) return;
    if (!this.wants(ev)) return;
    this.enqueue(eventFrame(ev, this.format));
  }

  private readonly outQueue: string[] = [];
  private flushScheduled = false;

  private enqueue(frame: string): void {
    this.outQueue.push(frame);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const frames = this.outQueue.splice(0);
      if (frames.length) this.write(frames.join(''));
    });
  }

  /** Run after everything already queued for this listener has been written. */
  private afterQueued(fn: () => void): void {
    if (!this.outQueue.length && !this.flushScheduled) return fn();
    setImmediate(() => this.afterQueued(fn));
  }

  /** The controlled channel is down: linger notice, or disconnect right away (listener_run). */
  private onChannelDown(): void {
    this.afterQueued(() => this.channelDownNow());
  }

  private channelDownNow(): void {
    if (this.handleDisco || this.closed) return;
    this.handleDisco = true;
    const s = this.session as Session;
    if (this.linger) {
      this.write(lingerNotice(s.channel.uuid, s.channel.name, this.lingerTime));
      if (this.lingerTime >= 0) setTimeout(() => this.finish(), this.lingerTime * 1000).unref();
    } else {
      this.finish();
    }
  }

  /** End of listener_run: goodbye notice, close, release the session. */
  finish(): void {
    if (!this.running) return;
    this.running = false;
    this.deps.core.bus.off('event', this.onEvent);
    if (!this.socket.destroyed) {
      const owner = this.isOutbound ? this.session?.channel.uuid : undefined;
      this.write(disconnectNotice(GOODBYE, owner));
      this.socket.end();
    }
    this.markClosed();
  }

  private onClose(): void {
    if (this.running) {
      this.running = false;
      this.deps.core.bus.off('event', this.onEvent);
    }
    this.markClosed();
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.resolveConnected(false);
    this.resolveFinished();
  }
}
