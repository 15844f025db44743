// How ChannelControl reaches one caller's channel. Two kinds:
// - outbound: the caller's own outbound event socket (the dialplan's `socket` application), FreeSWITCH's classic
//   way, with the dialplan's failover when the socket closes;
// - parked: the dialplan parks the caller and the router drives it by uuid over its inbound sockets
//   (parked-calls.ts), with no socket per call: FreeSWITCH creates no listener thread and no 1.6 MB of queues per
//   call, and reads no subscription per call (src/esl/README.md).
import type { Connection, Event } from 'modesl';
import { appToken, executeMessage, sendWithBody } from './execute-message.ts';

export interface ChannelLink {
  readonly kind: 'outbound' | 'parked';
  /** The channel's data when the call reached this router (the reply to `connect`, or its CHANNEL_PARK). */
  readonly data: Event;
  /** An api command about this call; FreeSWITCH answers a link's commands in order. */
  api(command: string, cb?: (reply: Event) => void): void;
  /** A background api command: `onJob` gets its BACKGROUND_JOB, or null and the reply text when it was refused. */
  bgapi(command: string, onJob: (job: Event | null, replyText: string) => void): void;
  /** An application on this channel that nobody waits for. */
  sendApp(app: string, arg: string): void;
  /** Runs an application on this channel; `done` gets its CHANNEL_EXECUTE_COMPLETE. Returns its Application-UUID. */
  execute(app: string, arg: string, done: (complete: Event) => void): string;
  hangup(cause: string): void;
  /** From now on this channel's events of these types are wanted (an outbound socket subscribes per call). */
  subscribe(events: string[]): void;
  on(event: string, fn: (e: Event) => void): void;
  off(event: string, fn: (e: Event) => void): void;
  /** FreeSWITCH says the channel is gone (linger's disconnect notice). */
  onGone(fn: () => void): void;
  /** This router's hold on the channel is gone (the socket closed). */
  onClosed(fn: () => void): void;
  /** The router is done with the call: closes the socket (a channel still up then goes on in the dialplan). */
  exit(): void;
  /** A peer gone silent: drop the link at once. */
  destroy(): void;
}

/** The caller's own outbound socket. */
export class OutboundChannelLink implements ChannelLink {
  readonly kind = 'outbound';
  readonly data: Event;
  private readonly uuid: string;

  constructor(private readonly conn: Connection) {
    this.data = conn.getInfo();
    this.uuid = this.data.getHeader('Unique-ID') ?? this.data.getHeader('Channel-Unique-ID') ?? '';
  }

  api(command: string, cb: (reply: Event) => void = () => undefined): void {
    this.conn.api(command, cb);
  }

  bgapi(command: string, onJob: (job: Event | null, replyText: string) => void): void {
    // Without a Job-UUID header (modesl's bgapi adds one, 47 bytes that FreeSWITCH reads a byte per system call):
    // FreeSWITCH names the job in its reply, which it sends before any event of the job, and sends the job's
    // BACKGROUND_JOB to this socket (Job-Owner-UUID) even under myevents.
    this.conn.sendRecv(`bgapi ${command}`, (reply: Event) => {
      const job = reply.getHeader('Job-UUID');
      if (job) return void this.conn.once(`esl::event::BACKGROUND_JOB::${job}`, (e: Event) => onJob(e, ''));
      onJob(null, reply.getHeader('Reply-Text') ?? '');
    });
  }

  sendApp(app: string, arg: string): void {
    sendWithBody(this.conn, 'sendmsg', executeMessage(app, arg));
  }

  execute(app: string, arg: string, done: (complete: Event) => void): string {
    // modesl's execute, with a short Event-UUID and a long argument as the body (execute-message.ts).
    const appUuid = appToken();
    const eventName = `esl::event::CHANNEL_EXECUTE_COMPLETE::${this.uuid}`;
    const onComplete = (e: Event) => {
      if (e.getHeader('Application-UUID') !== appUuid) return;
      this.conn.off(eventName, onComplete);
      done(e);
    };
    this.conn.on(eventName, onComplete);
    sendWithBody(this.conn, `sendmsg ${this.uuid}`, executeMessage(app, arg, { 'Event-UUID': appUuid }));
    return appUuid;
  }

  hangup(cause: string): void {
    this.conn.send(`sendmsg ${this.uuid}`, { 'call-command': 'hangup', 'hangup-cause': cause });
  }

  subscribe(events: string[]): void {
    this.conn.sendRecv(`event json ${events.join(' ')}`, () => undefined);
  }

  on(event: string, fn: (e: Event) => void): void {
    this.conn.on(`esl::event::${event}::${this.uuid}`, fn);
  }

  off(event: string, fn: (e: Event) => void): void {
    this.conn.off(`esl::event::${event}::${this.uuid}`, fn);
  }

  onGone(fn: () => void): void {
    this.conn.on('esl::event::disconnect::notice', fn);
  }

  onClosed(fn: () => void): void {
    this.conn.on('esl::end', fn);
    this.conn.socket?.on('close', fn);
  }

  exit(): void {
    try {
      this.conn.send('exit');
    } catch {
      // the socket may already be half-closed by FreeSWITCH
    }
  }

  destroy(): void {
    this.conn.socket?.destroy();
  }
}
