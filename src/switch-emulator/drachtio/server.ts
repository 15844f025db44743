// drachtio-server 0.9.x emulator: the control protocol drachtio-srf speaks (authenticate, route, ping, sip) on
// TCP, and a SIP user-agent core on UDP/TCP that relays requests and responses between the network and the
// connected applications, the way drachtio-server does it (src/client.cpp, src/controller.cpp,
// src/sip-dialog-controller.cpp, src/pending-request-controller.cpp of drachtio/drachtio-server). It checks out
// against the recorded transcripts in ../shared/fixtures/drachtio (test/switch-emulator/drachtio-conformance.test.ts).
//
// What the server does on its own, never on the control link: 100 Trying to every new INVITE, 200 to a CANCEL and
// 487 to the INVITE it cancels, absorbing ACKs to non-2xx responses (and ACKing non-2xx responses it receives),
// retransmitting over UDP (timers A/E/G) and timing out (B/F/H), 400 to a request it cannot parse, 481 to a BYE for
// an unknown dialog, 503 when no application routes the method, dropping datagrams that are not SIP.
import dns from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { encodeFrame, FrameDecoder, FrameError, splitPayload } from './framing.ts';
import {
  headerKey,
  parseNameAddr,
  parseSip,
  parseUri,
  splitList,
  stampTopViaInText,
  stampVia,
  type SipHeader,
  type SipMessage,
} from './sip-message.ts';
import { SipTransport, type Peer, type Received } from './sip-transport.ts';
import { newBranch, newCallId, newId, newTag, nextCSeq, sofiaOrder, stackTime } from './sofia-format.ts';

export interface DrachtioLogger {
  info(o: object | string, m?: string): void;
  warn(o: object | string, m?: string): void;
  debug(o: object | string, m?: string): void;
}
const silent: DrachtioLogger = { info: () => undefined, warn: () => undefined, debug: () => undefined };

export interface DrachtioEmulatorOptions {
  host?: string;
  /** SIP port (UDP, and TCP on the same number when free); 0 picks one. */
  sipPort?: number;
  /** Control port drachtio-srf connects to (drachtio's admin port, 9022 by default there); 0 picks one. */
  controlPort?: number;
  secret?: string;
  /** The version string sent in the authenticate reply ("1.0.0" as recorded). */
  version?: string;
  tcp?: boolean;
  /** RFC 3261 T1 (retransmission base) and T2; transactions time out after 64*T1. */
  t1Ms?: number;
  t2Ms?: number;
  logger?: DrachtioLogger;
}

const CRLF = '\r\n';
/** Methods a new out-of-dialog request may have to be offered to an application (controller.cpp). */
const ROUTABLE = ['INVITE', 'REGISTER', 'MESSAGE', 'OPTIONS', 'INFO', 'NOTIFY', 'SUBSCRIBE', 'PUBLISH'];
const REASONS: Record<number, string> = {
  100: 'Trying',
  200: 'OK',
  400: 'Bad Request',
  408: 'Request Timeout',
  481: 'Call/Transaction Does Not Exist',
  487: 'Request Terminated',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

interface Client {
  id: number;
  socket: net.Socket;
  decoder: FrameDecoder;
  authenticated: boolean;
  verbs: Set<string>;
}

interface Dialog {
  id: string;
  role: 'uas' | 'uac';
  client: Client;
  callId: string;
  localTag: string;
  remoteTag: string;
  /** From of our in-dialog requests, without tag. */
  local: string;
  /** To of our in-dialog requests, without tag. */
  remote: string;
  remoteTarget: string;
  peer: Peer;
  localSeq: number;
  inviteSeq: number;
  status: number;
  localContact: string;
  ackBye: boolean;
  /** UAS: ACK for our 2xx seen. */
  acked: boolean;
  /** UAC: the ACK we sent, for retransmitted 2xx. */
  lastAck?: string;
  timers: NodeJS.Timeout[];
}

interface ServerTxn {
  id: string;
  method: string;
  msg: SipMessage;
  /** What the application saw: the received text with the top Via stamped. */
  text: string;
  peer: Peer;
  branch: string;
  client?: Client;
  final: number;
  lastResponse?: string;
  toTag?: string;
  canceled: boolean;
  dialogId: string;
  dialog?: Dialog;
  timers: NodeJS.Timeout[];
}

interface ClientTxn {
  id: string;
  client: Client;
  method: string;
  text: string;
  peer: Peer | null;
  branch: string;
  callId: string;
  final: number;
  provisional: boolean;
  canceled: boolean;
  /** INVITE: the dialog forming (uac); in-dialog requests: the dialog they belong to. */
  dialog?: Dialog;
  inDialog: boolean;
  clearDialogOnResponse: boolean;
  timers: NodeJS.Timeout[];
  /** Header values the stack chose, for CANCEL/ACK/408. */
  via: string;
  from: string;
  to: string;
  cseq: number;
  ruri: string;
}

export interface DrachtioEmulatorEvents {
  /** Every SIP message the emulator puts on the wire, and every one it takes in (for tests and logs). */
  'sip:sent': [string, Peer];
  'sip:recv': [string, Peer];
  'client:connected': [number];
  'client:gone': [number];
}

export class DrachtioServerEmulator extends EventEmitter<DrachtioEmulatorEvents> {
  readonly host: string;
  private readonly secret: string;
  private readonly version: string;
  private readonly t1: number;
  private readonly t2: number;
  private readonly log: DrachtioLogger;
  private readonly transport: SipTransport;
  private control?: net.Server;
  private readonly clients = new Set<Client>();
  private clientSeq = 0;
  private readonly rr = new Map<string, number>();
  private readonly serverTxns = new Map<string, ServerTxn>();
  private readonly serverByBranch = new Map<string, ServerTxn>();
  private readonly clientTxns = new Map<string, ClientTxn>();
  private readonly clientByBranch = new Map<string, ClientTxn>();
  private readonly dialogs = new Map<string, Dialog>();
  private readonly dialogByTags = new Map<string, Dialog>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  sipPort = 0;
  controlPort = 0;

  constructor(private readonly opts: DrachtioEmulatorOptions = {}) {
    super();
    this.host = opts.host ?? '127.0.0.1';
    this.secret = opts.secret ?? 'cymru';
    this.version = opts.version ?? '1.0.0';
    this.t1 = opts.t1Ms ?? 500;
    this.t2 = opts.t2Ms ?? 4000;
    this.log = opts.logger ?? silent;
    this.transport = new SipTransport(this.host, { tcp: opts.tcp });
    this.transport.on('message', (r) => this.onSip(r));
    this.transport.on('malformed', (m, peer) => this.onMalformed(m, peer));
    this.transport.on('garbage', (buf, peer, why) =>
      this.log.debug(
        { from: `${peer.address}:${peer.port}`, bytes: buf.length, why },
        'dropped non-SIP data',
      ),
    );
  }

  async start(): Promise<void> {
    this.sipPort = await this.transport.listen(this.opts.sipPort ?? 0);
    const control = net.createServer((s) => this.onClient(s));
    this.control = control;
    await new Promise<void>((resolve, reject) => {
      control.once('error', reject);
      control.listen(this.opts.controlPort ?? 0, this.host, () => {
        control.off('error', reject);
        resolve();
      });
    });
    this.controlPort = (control.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.clients) c.socket.destroy();
    this.clients.clear();
    await new Promise<void>((r) => (this.control ? this.control.close(() => r()) : r()));
    await this.transport.close();
  }

  /**
   * Drops every application's control connection, as a drachtio-server restart does (its dialogs gone with it);
   * the server goes on listening and the applications reconnect.
   */
  dropClients(): void {
    for (const c of this.clients) c.socket.destroy();
    this.clients.clear();
  }

  /** Whether SIP over TCP is up too (it shares the UDP port number; skipped when that TCP port is taken). */
  get sipTcp(): boolean {
    return this.transport.hasTcp;
  }

  get connectedClients(): number {
    return [...this.clients].filter((c) => c.authenticated).length;
  }

  get stats(): { dialogs: number; serverTransactions: number; clientTransactions: number } {
    return {
      dialogs: this.dialogs.size,
      serverTransactions: this.serverTxns.size,
      clientTransactions: this.clientTxns.size,
    };
  }

  // ------------------------------------------------------------------ control link

  private onClient(socket: net.Socket): void {
    socket.setNoDelay(true);
    const client: Client = {
      id: ++this.clientSeq,
      socket,
      decoder: new FrameDecoder(),
      authenticated: false,
      verbs: new Set(),
    };
    this.clients.add(client);
    socket.on('data', (chunk) => {
      let payloads: string[];
      try {
        payloads = client.decoder.push(chunk);
      } catch (err) {
        if (err instanceof FrameError) {
          this.log.warn(
            { client: client.id },
            'client sent an invalid message length specifier; dropping it',
          );
          this.leave(client);
          return;
        }
        throw err;
      }
      for (const p of payloads) {
        if (!this.clients.has(client)) return;
        this.onClientMessage(client, p);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.leave(client));
  }

  private leave(client: Client): void {
    if (!this.clients.delete(client)) return;
    client.socket.end();
    setTimeout(() => client.socket.destroy(), 50).unref();
    this.emit('client:gone', client.id);
    // A caller whose INVITE was out to this application for disposition must not hang.
    for (const txn of this.serverTxns.values()) {
      if (txn.client === client && txn.method === 'INVITE' && !txn.final) {
        this.sendStackResponse(txn, 503);
      }
    }
  }

  private sendFrame(client: Client, payload: string): void {
    if (!client.socket.destroyed) client.socket.write(encodeFrame(payload));
  }

  private reply(client: Client, rid: string, status: 'OK' | 'NO' | 'NOK', rest?: string): void {
    this.sendFrame(client, `${newId()}|response|${rid}|${status}${rest !== undefined ? `|${rest}` : ''}`);
  }

  private onClientMessage(client: Client, payload: string): void {
    const { tokens, sip } = splitPayload(payload);
    const rid = tokens[0] ?? '';
    const type = tokens[1];
    if (tokens.length < 2) {
      this.reply(client, rid, 'NO', 'Invalid message format');
      return this.leave(client);
    }
    if (type === 'authenticate') {
      if (tokens[2] !== this.secret) {
        this.log.info({ client: client.id }, 'secret validation failed');
        this.reply(client, rid, 'NO', 'incorrect secret');
        return this.leave(client);
      }
      client.authenticated = true;
      const hps = this.hostports();
      this.reply(client, rid, 'OK', `${hps}|${this.version}|${hps}`);
      this.emit('client:connected', client.id);
      return;
    }
    if (!client.authenticated) {
      this.reply(client, rid, 'NO', 'not authenticated');
      return this.leave(client);
    }
    switch (type) {
      case 'ping':
        return this.reply(client, rid, 'OK', 'pong');
      case 'route': {
        const verb = (tokens[2] ?? '').toLowerCase();
        if (!/^[a-z]+$/.test(verb) && !/^cdr:(attempt|start|stop)$/.test(verb)) {
          this.reply(client, rid, 'NO', 'Route request includes unsupported verb');
          return this.leave(client);
        }
        client.verbs.add(verb);
        return this.reply(client, rid, 'OK');
      }
      case 'remove_route':
        client.verbs.delete((tokens[2] ?? '').toLowerCase());
        return this.reply(client, rid, 'OK');
      case 'sip':
        return this.onClientSip(client, rid, tokens, sip);
      case 'proxy':
        return this.reply(client, rid, 'NOK', 'proxy is not supported by this emulator');
      default:
        this.reply(client, rid, 'NO', 'Unknown message type');
        return this.leave(client);
    }
  }

  private hostports(): string {
    const hp = `${this.host}:${this.sipPort}`;
    return this.transport.hasTcp ? `tcp/${hp},udp/${hp}` : `udp/${hp}`;
  }

  private onClientSip(client: Client, rid: string, tokens: string[], sipText: string): void {
    const txnId = tokens[2] ?? '';
    const dialogId = tokens[3] ?? '';
    const route = tokens[4] ?? '';
    let msg: SipMessage;
    try {
      msg = parseSip(sipText, { lenient: true });
    } catch (err) {
      return this.reply(client, rid, 'NOK', `Server error: ${(err as Error).message}`);
    }
    if (!msg.isRequest) {
      if (!txnId) return this.reply(client, rid, 'NO', 'transaction id missing');
      return this.respondToNetworkRequest(client, rid, txnId, msg);
    }
    if (dialogId) return this.sendInDialog(client, rid, dialogId, msg, txnId);
    if (txnId) {
      if (msg.method === 'CANCEL') return this.sendCancel(client, rid, txnId, msg);
      return this.reply(client, rid, 'NOK', 'Server error: only CANCEL may name a transaction');
    }
    const callId = msg.get('call-id');
    if (callId) {
      const dlg = [...this.dialogs.values()].find((d) => d.callId === callId);
      if (dlg) return this.sendInDialog(client, rid, dlg.id, msg, '');
    }
    void this.sendOutOfDialog(client, rid, msg, route);
  }

  // ------------------------------------------------------------------ helpers

  private timer(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private clearTimers(list: NodeJS.Timeout[]): void {
    for (const t of list.splice(0)) {
      clearTimeout(t);
      this.timers.delete(t);
    }
  }

  private wire(text: string, to: Peer): void {
    if (this.stopped) return;
    this.emit('sip:sent', text, to);
    this.transport.send(text, to);
  }

  private contactUri(proto: Peer['proto'] = 'udp'): string {
    return `sip:${this.host}:${this.sipPort}${proto === 'tcp' ? ';transport=tcp' : ''}`;
  }

  private selectClient(method: string): Client | undefined {
    const verb = method.toLowerCase();
    const list = [...this.clients].filter((c) => c.authenticated && c.verbs.has(verb));
    if (!list.length) return undefined;
    const n = (this.rr.get(verb) ?? 0) % list.length;
    this.rr.set(verb, n + 1);
    return list[n];
  }

  private networkFrame(
    r: { bytes: number; peer: Peer; at: Date; proto?: string },
    txnId: string,
    dialogId: string,
    text: string,
    local = false,
    source = 'network',
  ): string {
    const proto = r.proto ?? r.peer.proto;
    const head = `${newId()}|sip|${source}|${r.bytes}|${proto}|${r.peer.address}|${r.peer.port}|${stackTime(r.at)}|${txnId}|${dialogId}|`;
    return `${head}${local ? `${this.host}|${this.sipPort}|` : ''}${CRLF}${text}`;
  }

  private sentFrame(
    rid: string,
    text: string,
    meta: { proto: string; address: string; port: number },
    tail: string,
  ): string {
    const len = Buffer.byteLength(text);
    return `${newId()}|response|${rid}|OK|application|${len}|${meta.proto}|${meta.address}|${meta.port}|${stackTime()}|${tail}|Msg sent:|${CRLF}${text}`;
  }

  private build(start: string, headers: SipHeader[], body: string): string {
    const list = sofiaOrder([
      ...headers.filter((h) => headerKey(h.name) !== 'content-length'),
      { name: 'Content-Length', value: String(Buffer.byteLength(body)) },
    ]);
    return `${start}${CRLF}${list.map((h) => `${h.name}: ${h.value}`).join(CRLF)}${CRLF}${CRLF}${body}`;
  }

  /** App headers minus the ones the stack owns; Content-Type added for SDP bodies. */
  private appHeaders(msg: SipMessage, owned: string[]): SipHeader[] {
    const out = msg.headers.filter((h) => !owned.includes(headerKey(h.name)));
    if (msg.body && !msg.has('content-type') && msg.body.startsWith('v=0'))
      out.push({ name: 'Content-Type', value: 'application/sdp' });
    return out;
  }

  private async resolve(uri: string, proxy?: string): Promise<Peer | null> {
    const u = parseUri(
      proxy ? (proxy.includes(':') && !proxy.startsWith('sip') ? `sip:${proxy}` : proxy) : uri,
    );
    if (!u || !u.host) return null;
    const proto: Peer['proto'] = (u.params.transport ?? '').toLowerCase() === 'tcp' ? 'tcp' : 'udp';
    const port = u.port ?? (u.scheme === 'sips' ? 5061 : 5060);
    let address = u.host.replace(/^\[|\]$/g, '');
    if (address === 'localhost') address = '127.0.0.1';
    if (!net.isIP(address)) {
      try {
        address = (await dns.lookup(address, { family: 4 })).address;
      } catch {
        return null;
      }
    }
    return { proto, address, port };
  }

  private withoutTag(value: string): string {
    return value.replace(/;\s*tag=[^;,]*/i, '');
  }

  private localize(value: string): string {
    const na = parseNameAddr(value);
    const uri = na.uri.replace(/@localhost(?=[;>]|$)/i, `@${this.host}:${this.sipPort}`);
    const lt = value.indexOf('<');
    const display = lt > 0 ? value.slice(0, lt).trim() : '';
    const params = Object.entries(na.params)
      .map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`))
      .join('');
    return `${display ? `${display} ` : ''}<${uri}>${params}`;
  }

  // ------------------------------------------------------------------ network -> stack

  private onMalformed(m: SipMessage, peer: Peer): void {
    // sofia's sip_sanity_check failed: a stateless 400, no Call-ID if there was none, nothing to the app.
    if (m.method === 'ACK') return;
    const headers: SipHeader[] = [];
    for (const v of m.getAll('via')) headers.push({ name: 'Via', value: v });
    if (headers[0])
      headers[0].value = stampVia(splitList(headers[0].value)[0] ?? '', peer.address, peer.port);
    for (const k of ['from', 'call-id', 'cseq']) {
      const v = m.get(k);
      if (v !== undefined) headers.push({ name: k, value: v });
    }
    const to = m.get('to');
    if (to !== undefined)
      headers.push({ name: 'To', value: /;\s*tag=/i.test(to) ? to : `${to};tag=${newTag()}` });
    this.log.info({ from: `${peer.address}:${peer.port}` }, 'malformed SIP request answered 400');
    this.wire(this.build('SIP/2.0 400 Bad Request', headers, ''), peer);
  }

  private onSip(r: Received): void {
    if (this.stopped) return;
    this.emit('sip:recv', r.msg.raw, r.peer);
    if (r.msg.isRequest) this.onRequest(r);
    else this.onResponse(r);
  }

  private dialogFor(m: SipMessage): Dialog | undefined {
    const toTag = m.to.params.tag;
    const fromTag = m.from.params.tag;
    if (!toTag || !fromTag) return undefined;
    return this.dialogByTags.get(`${m.callId}|${toTag}|${fromTag}`);
  }

  private onRequest(r: Received): void {
    const m = r.msg;
    const branch = String(m.topVia?.params.find(([k]) => k.toLowerCase() === 'branch')?.[1] ?? '');
    const key = `${branch}|${m.method === 'ACK' || m.method === 'CANCEL' ? 'INVITE' : m.method}`;
    const existing = branch ? this.serverByBranch.get(key) : undefined;

    if (m.method === 'ACK') {
      if (existing && existing.final >= 300) {
        // ACK to a non-2xx final response: the transaction layer's, never the application's.
        this.clearTimers(existing.timers);
        return;
      }
      const dlg = this.dialogFor(m);
      if (!dlg) return;
      dlg.acked = true;
      this.clearTimers(dlg.timers);
      const inviteTxn = [...this.serverTxns.values()].find((t) => t.dialog === dlg && t.method === 'INVITE');
      const text = stampTopViaInText(m.raw, r.peer.address, r.peer.port);
      this.sendFrame(dlg.client, this.networkFrame({ ...r, proto: '' }, inviteTxn?.id ?? '', dlg.id, text));
      return;
    }

    if (m.method === 'CANCEL') {
      if (existing?.canceled) return this.statelessReply(m, r.peer, 200);
      const inv =
        existing && !existing.final
          ? existing
          : [...this.serverTxns.values()].find(
              (t) => t.method === 'INVITE' && t.msg.callId === m.callId && !t.final && !t.dialog,
            );
      if (!inv || inv.final) return this.statelessReply(m, r.peer, 481);
      this.log.info(
        { callId: m.callId },
        'received quick cancel for invite that is out to client for disposition',
      );
      const text = stampTopViaInText(m.raw, r.peer.address, r.peer.port);
      if (inv.client) this.sendFrame(inv.client, this.networkFrame(r, inv.id, '', text));
      this.statelessReply(m, r.peer, 200);
      inv.canceled = true;
      this.sendStackResponse(inv, 487);
      return;
    }

    if (existing) {
      // A retransmission: answer it with what was last sent, never bother the application again.
      if (existing.lastResponse) this.wire(existing.lastResponse, existing.peer);
      return;
    }

    const text = stampTopViaInText(m.raw, r.peer.address, r.peer.port);
    const dlg = this.dialogFor(m);
    if (dlg) {
      const txn = this.newServerTxn(m, text, r.peer, branch, dlg.client, dlg.id);
      txn.dialog = dlg;
      if (m.method === 'BYE') this.removeDialog(dlg);
      this.sendFrame(dlg.client, this.networkFrame(r, txn.id, dlg.id, text));
      return;
    }
    if (m.to.params.tag && (m.method === 'INVITE' || m.method === 'BYE' || m.method === 'UPDATE')) {
      return this.statelessReply(m, r.peer, 481);
    }
    if (!ROUTABLE.includes(m.method)) {
      if (m.method === 'BYE' || m.method === 'UPDATE') return this.statelessReply(m, r.peer, 481);
      return;
    }
    const txn = this.newServerTxn(m, text, r.peer, branch, undefined, '');
    if (m.method === 'INVITE') {
      txn.dialogId = `${m.callId};from-tag=${m.from.params.tag ?? ''}`;
      this.sendStackResponse(txn, 100);
    }
    const client = this.selectClient(m.method);
    if (!client) {
      this.log.info({ method: m.method }, 'no application routes this method: 503');
      this.sendStackResponse(txn, 503);
      return;
    }
    txn.client = client;
    this.sendFrame(client, this.networkFrame(r, txn.id, '', text, true));
  }

  private newServerTxn(
    m: SipMessage,
    text: string,
    peer: Peer,
    branch: string,
    client: Client | undefined,
    dialogId: string,
  ): ServerTxn {
    const txn: ServerTxn = {
      id: newId(),
      method: m.method,
      msg: m,
      text,
      peer,
      branch,
      client,
      final: 0,
      canceled: false,
      dialogId,
      timers: [],
    };
    this.serverTxns.set(txn.id, txn);
    if (branch) this.serverByBranch.set(`${branch}|${m.method}`, txn);
    return txn;
  }

  private dropServerTxn(txn: ServerTxn, afterMs: number): void {
    this.timer(afterMs, () => {
      this.clearTimers(txn.timers);
      this.serverTxns.delete(txn.id);
      if (this.serverByBranch.get(`${txn.branch}|${txn.method}`) === txn)
        this.serverByBranch.delete(`${txn.branch}|${txn.method}`);
    });
  }

  /** Headers of a response to `req` as the stack writes them (Via stamped, To tagged when asked). */
  private responseBase(req: SipMessage, peer: Peer, toTag?: string): SipHeader[] {
    const headers: SipHeader[] = [];
    let first = true;
    for (const line of req.getAll('via')) {
      for (const v of splitList(line)) {
        headers.push({ name: 'Via', value: first ? stampVia(v, peer.address, peer.port) : v });
        first = false;
      }
    }
    headers.push({ name: 'From', value: req.get('from') ?? '' });
    const to = req.get('to') ?? '';
    headers.push({ name: 'To', value: toTag && !/;\s*tag=/i.test(to) ? `${to};tag=${toTag}` : to });
    headers.push({ name: 'Call-ID', value: req.callId });
    headers.push({ name: 'CSeq', value: req.get('cseq') ?? '' });
    return headers;
  }

  private statelessReply(req: SipMessage, peer: Peer, status: number): void {
    const text = this.build(
      `SIP/2.0 ${status} ${REASONS[status] ?? ''}`,
      this.responseBase(req, peer, status > 100 ? newTag() : undefined),
      '',
    );
    this.wire(text, peer);
  }

  /** A response the stack generates itself on a server transaction (100, 487, 503). */
  private sendStackResponse(txn: ServerTxn, status: number): void {
    if (status > 100 && !txn.toTag) txn.toTag = newTag();
    const text = this.build(
      `SIP/2.0 ${status} ${REASONS[status] ?? ''}`,
      this.responseBase(txn.msg, txn.peer, status > 100 ? txn.toTag : undefined),
      '',
    );
    txn.lastResponse = text;
    this.wire(text, txn.peer);
    if (status >= 200) this.finishServerTxn(txn, status, text);
  }

  private finishServerTxn(txn: ServerTxn, status: number, text: string): void {
    txn.final = status;
    if (txn.method === 'INVITE' && status >= 300 && txn.peer.proto === 'udp')
      this.retransmit(txn.timers, text, txn.peer);
    this.dropServerTxn(txn, 64 * this.t1);
  }

  /** Timer A/E/G: resend over UDP at T1, 2T1, ... (capped at T2 when `cap`) until the list is cleared. */
  private retransmit(list: NodeJS.Timeout[], text: string, peer: Peer, cap = true): void {
    let interval = this.t1;
    let elapsed = 0;
    const again = () => {
      elapsed += interval;
      if (elapsed >= 64 * this.t1) return;
      this.wire(text, peer);
      interval = cap ? Math.min(interval * 2, this.t2) : interval * 2;
      list.push(this.timer(interval, again));
    };
    list.push(this.timer(interval, again));
  }

  // ------------------------------------------------------------------ app responses to network requests

  private respondToNetworkRequest(client: Client, rid: string, txnId: string, res: SipMessage): void {
    const txn = this.serverTxns.get(txnId);
    if (res.cseq.method === 'CANCEL')
      return this.reply(
        client,
        rid,
        'NOK',
        '200 OK to incoming CANCEL is automatically generated by the stack',
      );
    if (!txn || txn.canceled || txn.final) {
      if (txn?.canceled)
        this.log.info({ txnId }, 'app provided a response but INVITE has already been canceled');
      return this.reply(client, rid, 'NOK', 'Response not sent due to unknown transaction');
    }
    const status = res.status;
    const isInvite = txn.method === 'INVITE';
    if (status > 100 && !txn.toTag) {
      const appTo = res.get('to') ?? '';
      txn.toTag = /;\s*tag=([^;,\s]+)/i.exec(appTo)?.[1] ?? (txn.msg.to.params.tag || newTag());
    }
    const headers = this.responseBase(txn.msg, txn.peer, status > 100 ? txn.toTag : undefined);
    const own = ['via', 'from', 'to', 'call-id', 'cseq', 'content-length'];
    headers.push(...this.appHeaders(res, own));
    const wantsContact = (isInvite || txn.method === 'SUBSCRIBE') && status >= 200 && status < 300;
    if (wantsContact && !res.has('contact'))
      headers.push({ name: 'Contact', value: `<${this.contactUri(txn.peer.proto)}>` });
    const text = this.build(`SIP/2.0 ${status} ${res.reason || REASONS[status] || ''}`, headers, res.body);
    txn.lastResponse = text;
    this.wire(text, txn.peer);

    let dialogId = isInvite ? txn.dialogId : '';
    if (isInvite && status >= 200 && status < 300 && !txn.dialog) {
      const dlg = this.createUasDialog(txn, client, text);
      dialogId = dlg.id;
    }
    this.sendFrame(
      client,
      this.sentFrame(
        rid,
        text,
        { proto: isInvite ? txn.peer.proto : '', address: txn.peer.address, port: txn.peer.port },
        `${txn.id}|${dialogId}|`,
      ),
    );
    if (status >= 200) {
      if (isInvite && status < 300) {
        txn.final = status;
        this.dropServerTxn(txn, 64 * this.t1);
      } else this.finishServerTxn(txn, status, text);
    }
  }

  private createUasDialog(txn: ServerTxn, client: Client, text: string): Dialog {
    const m = txn.msg;
    const contact = parseNameAddr(splitList(m.get('contact') ?? '')[0] ?? '');
    const dlg: Dialog = {
      id: txn.dialogId,
      role: 'uas',
      client,
      callId: m.callId,
      localTag: txn.toTag ?? '',
      remoteTag: m.from.params.tag ?? '',
      local: this.withoutTag(m.get('to') ?? ''),
      remote: m.get('from') ?? '',
      remoteTarget: contact.uri || m.from.uri,
      peer: txn.peer,
      localSeq: m.cseq.seq,
      inviteSeq: m.cseq.seq,
      status: 200,
      localContact: `<${this.contactUri(txn.peer.proto)}>`,
      ackBye: false,
      acked: false,
      timers: [],
    };
    void this.resolve(dlg.remoteTarget).then((p) => {
      // Send in-dialog requests to the remote target unless it is unreachable (then where it came from).
      if (p && txn.peer.proto === 'udp' && p.address === txn.peer.address) dlg.peer = { ...p, proto: 'udp' };
    });
    this.addDialog(dlg);
    txn.dialog = dlg;
    if (txn.peer.proto === 'udp') this.retransmit(dlg.timers, text, txn.peer);
    // Timer H: no ACK at all -> BYE on our own, and tell the application as if the far end had sent it.
    dlg.timers.push(
      this.timer(64 * this.t1, () => {
        if (!dlg.acked && this.dialogs.has(dlg.id))
          this.terminateStale(dlg, 'SIP ;cause=200 ;text="ACK timeout"');
      }),
    );
    return dlg;
  }

  private addDialog(dlg: Dialog): void {
    this.dialogs.set(dlg.id, dlg);
    this.dialogByTags.set(`${dlg.callId}|${dlg.localTag}|${dlg.remoteTag}`, dlg);
  }

  private removeDialog(dlg: Dialog): void {
    this.clearTimers(dlg.timers);
    this.dialogs.delete(dlg.id);
    this.dialogByTags.delete(`${dlg.callId}|${dlg.localTag}|${dlg.remoteTag}`);
  }

  private terminateStale(dlg: Dialog, reason: string): void {
    const text = this.inDialogRequest(
      dlg,
      'BYE',
      dlg.remoteTarget,
      [{ name: 'Reason', value: reason }],
      '',
    ).text;
    this.wire(text, dlg.peer);
    this.sendFrame(
      dlg.client,
      this.networkFrame(
        {
          bytes: Buffer.byteLength(text),
          peer: { ...dlg.peer, address: this.host, port: this.sipPort },
          at: new Date(),
        },
        'unsolicited',
        dlg.id,
        text,
        false,
        'application',
      ),
    );
    this.removeDialog(dlg);
  }

  // ------------------------------------------------------------------ app requests

  private inDialogRequest(
    dlg: Dialog,
    method: string,
    uri: string,
    extra: SipHeader[],
    body: string,
  ): { text: string; branch: string; seq: number; via: string } {
    const branch = newBranch();
    const seq = method === 'ACK' ? dlg.inviteSeq : ++dlg.localSeq;
    const via = `SIP/2.0/${dlg.peer.proto.toUpperCase()} ${this.host}:${this.sipPort};rport;branch=${branch}`;
    const headers: SipHeader[] = [
      { name: 'Via', value: via },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: `${dlg.local};tag=${dlg.localTag}` },
      { name: 'To', value: `${dlg.remote.replace(/;\s*tag=[^;,]*/i, '')};tag=${dlg.remoteTag}` },
      { name: 'Call-ID', value: dlg.callId },
      { name: 'CSeq', value: `${seq} ${method}` },
      ...extra,
    ];
    return { text: this.build(`${method} ${uri} SIP/2.0`, headers, body), branch, seq, via };
  }

  private sendInDialog(
    client: Client,
    rid: string,
    dialogId: string,
    msg: SipMessage,
    txnIdIn: string,
  ): void {
    const dlg = this.dialogs.get(dialogId);
    const method = msg.method;
    if (!dlg) {
      const failed = [...this.clientTxns.values()].find((t) => t.dialog?.id === dialogId && t.final >= 300);
      if (method === 'ACK' && failed) {
        return this.reply(
          client,
          rid,
          'NOK',
          'ACK for non-success responses is automatically generated by the stack',
        );
      }
      if (method === 'ACK')
        return this.reply(
          client,
          rid,
          'NOK',
          'Server error: ACK for non-success final response is automatically generated by server',
        );
      return this.reply(client, rid, 'NOK', 'Server error: unable to find dialog for dialog id provided');
    }
    const uri = method === 'ACK' || msg.uri.includes('placeholder') ? dlg.remoteTarget : msg.uri;
    const own = ['via', 'from', 'to', 'call-id', 'cseq', 'max-forwards', 'content-length'];
    const extra = this.appHeaders(msg, own);
    if (['INVITE', 'SUBSCRIBE', 'REFER'].includes(method) && !msg.has('contact'))
      extra.push({ name: 'Contact', value: dlg.localContact });
    const { text, branch, seq, via } = this.inDialogRequest(dlg, method, uri, extra, msg.body);
    const txnId = txnIdIn || newId();
    this.wire(text, dlg.peer);
    const local = { proto: dlg.peer.proto, address: this.host, port: this.sipPort };
    if (method === 'ACK') {
      dlg.lastAck = text;
      this.sendFrame(client, this.sentFrame(rid, text, local, txnId));
      if (dlg.ackBye) this.terminateStale(dlg, 'SIP ;cause=200 ;text="ACK-BYE due to cancel race condition"');
      return;
    }
    const txn: ClientTxn = {
      id: txnId,
      client,
      method,
      text,
      peer: dlg.peer,
      branch,
      callId: dlg.callId,
      final: 0,
      provisional: false,
      canceled: false,
      dialog: dlg,
      inDialog: true,
      clearDialogOnResponse: method === 'BYE',
      timers: [],
      via,
      from: `${dlg.local};tag=${dlg.localTag}`,
      to: `${dlg.remote};tag=${dlg.remoteTag}`,
      cseq: seq,
      ruri: uri,
    };
    this.startClientTxn(txn);
    this.sendFrame(client, this.sentFrame(rid, text, local, txnId));
  }

  private async sendOutOfDialog(client: Client, rid: string, msg: SipMessage, route: string): Promise<void> {
    const method = msg.method;
    const target = parseUri(msg.uri);
    if (!target || !/^[A-Z]+$/.test(method))
      return this.reply(client, rid, 'NOK', `invalid request-uri: ${msg.uri}`);
    const own = ['via', 'from', 'to', 'call-id', 'cseq', 'max-forwards', 'content-length', 'contact'];
    const peerGuess = parseUri(route || msg.uri);
    const proto: Peer['proto'] = (peerGuess?.params.transport ?? '').toLowerCase() === 'tcp' ? 'tcp' : 'udp';
    const selfPort = target.port ?? 5060;
    if ((target.host === this.host || target.host === 'localhost') && selfPort === this.sipPort && !route)
      return this.reply(client, rid, 'NOK', 'can not send request to myself');
    if (msg.body && !msg.has('content-type') && !msg.body.startsWith('v=0'))
      return this.reply(client, rid, 'NOK', 'missing content-type');
    const branch = newBranch();
    const via = `SIP/2.0/${proto.toUpperCase()} ${this.host}:${this.sipPort};rport;branch=${branch}`;
    const localTag = newTag();
    const contact = `<${this.contactUri(proto)}>`;
    const from = `${msg.get('from') ? this.localize(msg.get('from')!) : contact};tag=${localTag}`;
    const to = msg.get('to') ?? `<${msg.uri}>`;
    const callId = msg.get('call-id') ?? newCallId();
    const seq = nextCSeq();
    const headers: SipHeader[] = [
      { name: 'Via', value: via },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: from },
      { name: 'To', value: to },
      { name: 'Call-ID', value: callId },
      { name: 'CSeq', value: `${seq} ${method}` },
    ];
    const isDialogForming = method === 'INVITE' || method === 'SUBSCRIBE';
    if (msg.get('contact')) headers.push({ name: 'Contact', value: this.localize(msg.get('contact')!) });
    else if (isDialogForming) headers.push({ name: 'Contact', value: contact });
    headers.push(...this.appHeaders(msg, own));
    const text = this.build(`${method} ${msg.uri} SIP/2.0`, headers, msg.body);
    const txn: ClientTxn = {
      id: newId(),
      client,
      method,
      text,
      peer: null,
      branch,
      callId,
      final: 0,
      provisional: false,
      canceled: false,
      inDialog: false,
      clearDialogOnResponse: false,
      timers: [],
      via,
      from,
      to,
      cseq: seq,
      ruri: msg.uri,
    };
    if (isDialogForming) {
      txn.dialog = {
        id: `${callId};from-tag=${localTag}`,
        role: 'uac',
        client,
        callId,
        localTag,
        remoteTag: '',
        local: this.withoutTag(from),
        remote: this.withoutTag(to),
        remoteTarget: msg.uri,
        peer: { proto, address: '', port: 0 },
        localSeq: seq,
        inviteSeq: seq,
        status: 0,
        localContact: headers.find((h) => h.name === 'Contact')?.value ?? contact,
        ackBye: false,
        acked: false,
        timers: [],
      };
    }
    this.clientTxns.set(txn.id, txn);
    this.clientByBranch.set(`${branch}|${method}`, txn);
    this.sendFrame(
      client,
      this.sentFrame(rid, text, { proto, address: this.host, port: this.sipPort }, txn.id),
    );
    const peer = await this.resolve(msg.uri, route || undefined);
    if (this.stopped) return;
    if (!peer) {
      // What nta reports when the target cannot be resolved: a locally generated 503.
      this.localResponse(txn, 503, { proto, address: target.host, port: selfPort });
      return;
    }
    if (txn.canceled) return this.localResponse(txn, 487, peer);
    txn.peer = peer;
    if (txn.dialog) txn.dialog.peer = peer;
    this.wire(text, peer);
    this.startClientTxn(txn, false);
  }

  private startClientTxn(txn: ClientTxn, send = false): void {
    if (!this.clientTxns.has(txn.id)) {
      this.clientTxns.set(txn.id, txn);
      this.clientByBranch.set(`${txn.branch}|${txn.method}`, txn);
    }
    if (send && txn.peer) this.wire(txn.text, txn.peer);
    const peer = txn.peer;
    if (!peer) return;
    if (peer.proto === 'udp') this.retransmit(txn.timers, txn.text, peer, txn.method !== 'INVITE');
    // Timer B/F: no final response in 64*T1 -> a locally generated 408.
    txn.timers.push(
      this.timer(64 * this.t1, () => {
        if (!txn.final) this.localResponse(txn, 408, peer);
      }),
    );
  }

  private dropClientTxn(txn: ClientTxn, afterMs: number): void {
    this.timer(afterMs, () => {
      this.clearTimers(txn.timers);
      this.clientTxns.delete(txn.id);
      this.clientByBranch.delete(`${txn.branch}|${txn.method}`);
    });
  }

  private localResponse(txn: ClientTxn, status: number, peer: Peer): void {
    const headers: SipHeader[] = [
      { name: 'Via', value: txn.via },
      { name: 'From', value: txn.from },
      { name: 'To', value: txn.to },
      { name: 'Call-ID', value: txn.callId },
      { name: 'CSeq', value: `${txn.cseq} ${txn.method}` },
    ];
    const text = this.build(`SIP/2.0 ${status} ${REASONS[status] ?? ''}`, headers, '');
    this.log.info({ status, method: txn.method, to: `${peer.address}:${peer.port}` }, 'local final response');
    this.deliverResponse(
      txn,
      parseSip(text),
      text,
      { bytes: Buffer.byteLength(text), peer, at: new Date() },
      true,
    );
  }

  private sendCancel(client: Client, rid: string, txnId: string, msg: SipMessage): void {
    const inv = this.clientTxns.get(txnId);
    if (!inv || inv.method !== 'INVITE')
      return this.reply(client, rid, 'NOK', `unable to cancel unknown transaction id: ${txnId}`);
    if (inv.final) return this.reply(client, rid, 'NOK', `unable to cancel unknown transaction id: ${txnId}`);
    inv.canceled = true;
    if (!inv.peer) {
      // Still resolving the target: the INVITE never leaves, and ends in a 487 once resolution is done.
      return this.reply(client, rid, 'OK');
    }
    const headers: SipHeader[] = [
      { name: 'Via', value: inv.via },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: inv.from },
      { name: 'To', value: inv.to },
      { name: 'Call-ID', value: inv.callId },
      { name: 'CSeq', value: `${inv.cseq} CANCEL` },
      ...this.appHeaders(msg, ['via', 'from', 'to', 'call-id', 'cseq', 'max-forwards', 'content-length']),
    ];
    const text = this.build(`CANCEL ${inv.ruri} SIP/2.0`, headers, '');
    this.wire(text, inv.peer);
    this.sendFrame(
      client,
      this.sentFrame(rid, text, { proto: inv.peer.proto, address: this.host, port: this.sipPort }, newId()),
    );
    // Note: the 200 to our CANCEL is absorbed (sofia does not pass it up).
  }

  // ------------------------------------------------------------------ network responses

  private onResponse(r: Received): void {
    const m = r.msg;
    const branch = String(m.topVia?.params.find(([k]) => k.toLowerCase() === 'branch')?.[1] ?? '');
    const txn = this.clientByBranch.get(`${branch}|${m.cseq.method}`);
    if (!txn) return;
    this.deliverResponse(txn, m, m.raw, r);
  }

  private deliverResponse(
    txn: ClientTxn,
    m: SipMessage,
    text: string,
    r: Received | Omit<Received, 'msg'>,
    local = false,
  ): void {
    const status = m.status;
    if (txn.method === 'INVITE' && !txn.inDialog) {
      const dlg = txn.dialog!;
      if (txn.final) {
        // A retransmitted final response: re-ACK, nothing to the application.
        if (status >= 300 && txn.peer) this.wire(this.ackFor(txn, m), txn.peer);
        else if (dlg.lastAck) this.wire(dlg.lastAck, dlg.peer);
        return;
      }
      this.clearTimers(txn.timers);
      if (status === 100) {
        txn.provisional = true;
        return;
      }
      if (status < 200) {
        txn.provisional = true;
        // Timer C-like: keep waiting for the final response up to the transaction timeout.
        txn.timers.push(
          this.timer(64 * this.t1 * 6, () => {
            if (!txn.final && txn.peer) this.localResponse(txn, 408, txn.peer);
          }),
        );
        this.sendFrame(txn.client, this.networkFrame(r, txn.id, dlg.id, text));
        return;
      }
      txn.final = status;
      if (status < 300) {
        const contact = parseNameAddr(splitList(m.get('contact') ?? '')[0] ?? '');
        dlg.remoteTag = m.to.params.tag ?? '';
        dlg.remoteTarget = contact.uri || txn.ruri;
        dlg.remote = this.withoutTag(m.get('to') ?? dlg.remote);
        dlg.status = 200;
        if (txn.canceled) dlg.ackBye = true;
        if (txn.peer) dlg.peer = txn.peer;
        void this.resolve(dlg.remoteTarget).then((p) => {
          if (p) dlg.peer = p;
        });
        this.addDialog(dlg);
      } else if (txn.peer && !local) {
        this.wire(this.ackFor(txn, m), txn.peer);
      }
      this.sendFrame(txn.client, this.networkFrame(r, txn.id, dlg.id, text));
      this.dropClientTxn(txn, 64 * this.t1);
      return;
    }
    if (txn.final) return;
    if (status < 200) {
      this.clearTimers(txn.timers);
      txn.timers.push(
        this.timer(64 * this.t1, () => {
          if (!txn.final && txn.peer) this.localResponse(txn, 408, txn.peer);
        }),
      );
      if (status > 100)
        this.sendFrame(txn.client, this.networkFrame(r, txn.id, txn.inDialog ? txn.dialog!.id : '', text));
      return;
    }
    txn.final = status;
    this.clearTimers(txn.timers);
    if (txn.clearDialogOnResponse && txn.dialog) this.removeDialog(txn.dialog);
    if (txn.inDialog && txn.method === 'INVITE' && txn.dialog && txn.peer) {
      // re-INVITE: the 2xx ACK is the application's, a failure's ACK the stack's.
      if (status >= 300 && !local) this.wire(this.ackFor(txn, m), txn.peer);
    }
    this.sendFrame(txn.client, this.networkFrame(r, txn.id, txn.inDialog ? txn.dialog!.id : '', text));
    this.dropClientTxn(txn, 64 * this.t1);
  }

  /** RFC 3261 17.1.1.3: the ACK for a non-2xx final response, same branch, To from the response. */
  private ackFor(txn: ClientTxn, res: SipMessage): string {
    return this.build(
      `ACK ${txn.ruri} SIP/2.0`,
      [
        { name: 'Via', value: txn.via },
        { name: 'Max-Forwards', value: '70' },
        { name: 'From', value: txn.from },
        { name: 'To', value: res.get('to') ?? txn.to },
        { name: 'Call-ID', value: txn.callId },
        { name: 'CSeq', value: `${txn.cseq} ACK` },
      ],
      '',
    );
  }
}
