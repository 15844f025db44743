// modesl Connections whose input passes through EslFrameGuard first, for both directions of the
// event socket: inbound (we connect to FreeSWITCH) and outbound (FreeSWITCH connects to us).
import type { Socket } from 'node:net';
import esl, { type Connection, type EventCallback } from 'modesl';
import { EslFrameGuard, type FrameProblem, type GuardedFrame } from './frame-guard.ts';

// modesl's Event class, for events built here (emitJsonEvent) that must behave exactly like its own.
const EslEvent = (esl as unknown as { Event: new (...a: unknown[]) => object }).Event;

export type ProblemHandler = (p: FrameProblem) => void;

/**
 * Reroutes the socket's data through a guard into modesl's parser. Must run before the first
 * 'data' event, i.e. synchronously after modesl attached its parser.
 */
function guard(conn: Connection, onProblem: ProblemHandler): void {
  const socket = conn.socket;
  const parser = (conn as unknown as { parser?: { _onData(b: Buffer): void } }).parser;
  if (!socket || !parser) throw new Error('modesl connection has no parser yet');
  socket.removeAllListeners('data');
  const g = new EslFrameGuard();
  socket.on('data', (chunk: Buffer) => {
    const { frames, problems } = g.pushParsed(chunk);
    for (const p of problems) onProblem(p);
    for (const f of frames) {
      try {
        if (f.json) emitJsonEvent(parser as unknown as ParserEmitter, f);
        else parser._onData(f.bytes);
      } catch (err) {
        onProblem({
          reason: `parser threw: ${(err as Error).message}`,
          sample: f.bytes.subarray(0, 120).toString(),
        });
      }
    }
  });
}

interface ParserEmitter {
  emit(name: 'esl::event', event: unknown, headers: Record<string, unknown>, body: string): void;
}

/**
 * What modesl's Parser does with a JSON event, without its costs: it parses the body a second time and builds
 * the Event with addHeader, which searches every header already added (quadratic: ~30,000 comparisons for a
 * channel event of 250 headers, the router's largest CPU cost per call at 25 calls/s). JSON keys are unique, so
 * the headers go straight in, in the same order and with the same values (Content-Length as a number, _body as
 * the body).
 */
function emitJsonEvent(parser: ParserEmitter, f: GuardedFrame): void {
  const event = jsonEvent(f.json!);
  const outer: Record<string, unknown> = {};
  for (const [k, v] of f.headers) outer[k] = k === 'Content-Length' ? parseInt(v, 10) : decodeURIComponent(v);
  parser.emit('esl::event', event, outer, f.body ?? '');
}

export function inboundConnection(
  host: string,
  port: number,
  password: string,
  onProblem: ProblemHandler,
): Connection {
  const conn = new esl.Connection(host, port, password);
  // 'esl::connect' is emitted synchronously right after modesl creates its parser.
  conn.once('esl::connect', () => guard(conn, onProblem));
  const socket = conn.socket;
  if (socket) {
    // modesl writes a command in pieces (its line, then the blank line that ends it). With Nagle's algorithm the
    // last piece waited for FreeSWITCH's delayed ACK of the first, 40 ms (seen with tcpdump: a bgapi originate
    // reached FreeSWITCH 42 ms after it was sent); and a tick's pieces go out in one write.
    socket.setNoDelay(true);
    coalesceWrites(conn, socket);
  }
  return conn;
}

/**
 * The channel events a call's outbound socket takes from the start: the call flow's applications (started and
 * complete: subscribed at the first one, ChannelControl.executeTracked), the bridge of the bridge application, the
 * hangup, and the BACKGROUND_JOB of its originates.
 * ChannelControl.offerAgent adds CHANNEL_UNBRIDGE and CHANNEL_PARK when it joins an agent (the park of the
 * socket application itself, a full event of every channel variable, is then not sent for nothing).
 */
export const OUTBOUND_EVENTS = ['CHANNEL_BRIDGE', 'CHANNEL_HANGUP', 'BACKGROUND_JOB'] as const;

/**
 * FreeSWITCH's outbound socket. Its listener reads a command's header lines one byte per recv() and yields the
 * CPU after each (mod_event_socket read_packet): every byte the router sends costs FreeSWITCH two system calls
 * (measured with perf at 25 calls/s: the largest part of its extra CPU per call against mod_callcenter). So the
 * handshake is short and sent at once, behind `connect`, without waiting for a reply in between (FreeSWITCH
 * answers in order):
 * `myevents json` (this channel's events only; it turns on some 25 event types), `nixevent ALL` (none of them),
 * `event json <OUTBOUND_EVENTS>`, `linger` (the hangup's events are sent before the socket closes).
 * It replaces modesl's own subscription after `connect` (one more round trip) and a `nixevent` of 20 names.
 * The commands of one turn of the event loop also go out in one write (one wake-up of the listener thread).
 */
export function outboundConnection(socket: Socket, onProblem: ProblemHandler): Connection {
  const conn = new esl.Connection(socket);
  guard(conn, onProblem);
  // modesl subscribes after the reply to `connect` and only then says ready; the subscription below is already
  // on its way.
  conn.subscribe = (_events, cb) => cb?.(undefined as never);
  batchWrites(conn, socket);
  const none = () => undefined;
  conn.sendRecv('myevents json', none);
  conn.sendRecv('nixevent ALL', none);
  conn.sendRecv(`event json ${OUTBOUND_EVENTS.join(' ')}`, none);
  conn.sendRecv('linger', none);
  return conn;
}

/**
 * modesl writes a command line by line; the lines of every command sent in one tick leave in one write.
 * And every command FreeSWITCH answers with a command/reply (all but `api`, whose api/response has its own
 * queue) takes its place in modesl's reply queue: modesl's execute() and hangups go out through send() without
 * one, so the reply to such a `sendmsg` would otherwise be handed to the callback of a later sendRecv (a bgapi
 * would take the reply of the hold music's sendmsg for its own, and miss its Job-UUID).
 */
function batchWrites(conn: Connection, socket: Socket): void {
  const batched = coalesceWrites(conn, socket);
  const replies = (conn as unknown as { cmdCallbackQueue: EventCallback[] }).cmdCallbackQueue;
  const none = () => undefined;
  conn.send = (command, args) => {
    if (!command.startsWith('api ')) replies.push(none);
    batched(command, args);
  };
  conn.sendRecv = (command, args, cb) => {
    const callback = typeof args === 'function' ? args : cb;
    replies.push(callback ?? none);
    batched(command, typeof args === 'function' ? undefined : args);
  };
}

/**
 * Every command written in one turn of the event loop leaves in one write: modesl's send() is replaced by one that
 * corks the socket until the next tick. Returns the replaced send.
 */
function coalesceWrites(
  conn: Connection,
  socket: Socket,
): (command: string, args?: Record<string, string>) => void {
  const write = conn.send.bind(conn);
  let corked = false;
  const batched = (command: string, args?: Record<string, string>) => {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      process.nextTick(() => {
        corked = false;
        socket.uncork();
      });
    }
    write(command, args);
  };
  conn.send = batched;
  return batched;
}

/**
 * A modesl Event of a parsed JSON event body, as modesl's Parser would build it, but keyed: getHeader is a property
 * read, not modesl's search of every header (a channel event has 100-250, and modesl itself asks for three that
 * most events lack before it can name one), and the list of headers is built only if someone walks it.
 */
export function jsonEvent(data: Record<string, unknown>): object {
  return new JsonEvent(data);
}

interface Header {
  name: string;
  value: unknown;
}

class JsonEvent {
  hPtr: number | null = null;
  readonly type: unknown;
  readonly subclass: unknown;
  readonly body: unknown;
  private list: Header[] | null = null;

  constructor(private readonly data: Record<string, unknown>) {
    this.type = data['Event-Name'];
    this.subclass = data['Event-Subclass'];
    this.body = data._body || '';
  }

  getHeader(name: string): unknown {
    if (this.list) return this.list.find((h) => h.name === name)?.value ?? null;
    if (name === '_body') return null;
    const v = this.data[name];
    if (v !== undefined) return name === 'Content-Length' && v ? parseInt(String(v), 10) : v;
    const reply = this.data['Reply-Text'];
    if (typeof reply !== 'string') return null;
    if (name === 'Modesl-Reply-ERR' && reply.startsWith('-ERR')) return reply.substring(5);
    if (name === 'Modesl-Reply-OK' && reply.startsWith('+OK')) return reply.substring(4);
    return null;
  }

  /** modesl's own methods (serialize, addHeader, firstHeader ...) work on this list. */
  get headers(): Header[] {
    if (!this.list) {
      const data = this.data;
      const list: Header[] = [];
      for (const name of Object.keys(data)) {
        if (name === '_body') continue;
        const v = data[name];
        list.push({ name, value: name === 'Content-Length' && v ? parseInt(String(v), 10) : v });
      }
      const reply = data['Reply-Text'];
      if (typeof reply === 'string' && reply.startsWith('-ERR'))
        list.push({ name: 'Modesl-Reply-ERR', value: reply.substring(5) });
      else if (typeof reply === 'string' && reply.startsWith('+OK'))
        list.push({ name: 'Modesl-Reply-OK', value: reply.substring(4) });
      this.list = list;
    }
    return this.list;
  }

  set headers(list: Header[]) {
    this.list = list;
  }
}
Object.setPrototypeOf(JsonEvent.prototype, EslEvent.prototype);
