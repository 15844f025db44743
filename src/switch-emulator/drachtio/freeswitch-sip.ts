// The SIP side of the emulated FreeSWITCH: a small user agent on UDP that plays one sofia profile (the carrier
// profile the SIP edge hands calls to). An INVITE becomes an inbound channel in the switch emulator's call model
// (SwitchEmulator.placeSipCall), whose dialplan then runs the socket app towards the router as for any call; the
// INVITE's X- headers become sip_h_X-... channel variables as sofia makes them. The channel's answer becomes a
// 200 OK, its hangup a BYE (or a final failure before answer); BYE/CANCEL from the far end hang the channel up;
// SIP INFO DTMF (application/dtmf-relay, application/dtmf) reaches the channel as DTMF; OPTIONS is answered 200
// the way FreeSWITCH answers drachtio's pings (../shared/fixtures/drachtio/uac_options_ping.transcript.txt).
// Several endpoints make a pool; stop() or pause() one to make it disappear from the network.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { causeCode, causeToSip } from '../call-model/causes.ts';
import type { EmulatedCall, SwitchEmulator } from '../index.ts';
import {
  headerKey,
  parseNameAddr,
  parseSip,
  parseUri,
  splitList,
  stampVia,
  type SipHeader,
  type SipMessage,
} from './sip-message.ts';
import { SipTransport, type Peer, type Received } from './sip-transport.ts';
import { newBranch, newTag, sofiaOrder } from './sofia-format.ts';

const CRLF = '\r\n';
const UA = 'FreeSWITCH-mod_sofia/1.10.12-release~64bit';
const ALLOW =
  'INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, UPDATE, REGISTER, REFER, NOTIFY, PUBLISH, SUBSCRIBE';
const SUPPORTED = 'timer, path, replaces';
const ALLOW_EVENTS =
  'talk, hold, conference, presence, as-feature-event, dialog, line-seize, call-info, sla, include-session-description, presence.winfo, message-summary, refer';
const REASONS: Record<number, string> = {
  100: 'Trying',
  200: 'OK',
  202: 'Accepted',
  404: 'Not Found',
  405: 'Method Not Allowed',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  603: 'Decline',
};

export interface FreeSwitchSipOptions {
  host?: string;
  port?: number;
  /** The sofia profile the calls arrive on (channel names sofia/<profile>/...). */
  profile?: string;
  context?: string;
}

export interface FreeSwitchSipCall {
  uuid: string;
  callId: string;
  destination: string;
  callerIdNumber: string;
  sipHeaders: Record<string, string>;
  state: 'ringing' | 'answered' | 'confirmed' | 'ended';
}

interface CallLeg extends FreeSwitchSipCall {
  invite: SipMessage;
  peer: Peer;
  branch: string;
  toTag: string;
  remoteTag: string;
  remoteTarget: Peer;
  remoteUri: string;
  localSeq: number;
  lastResponse?: string;
  emu?: EmulatedCall;
  byUs: boolean;
  timers: NodeJS.Timeout[];
}

export interface FreeSwitchSipEvents {
  invite: [FreeSwitchSipCall];
  options: [Peer];
  ended: [FreeSwitchSipCall, string];
  /** A NOTIFY in a call's dialog (after a REFER: the sipfrag body tells how the transfer went). */
  notify: [FreeSwitchSipCall, string];
}

export class FreeSwitchSipEndpoint extends EventEmitter<FreeSwitchSipEvents> {
  readonly host: string;
  private readonly profile: string;
  private readonly context: string;
  private transport: SipTransport;
  private readonly calls = new Map<string, CallLeg>();
  private readonly pendingRequests = new Map<string, (m: SipMessage) => void>();
  private paused = false;
  private running = false;
  port = 0;
  readonly stats = { invites: 0, options: 0, answered: 0 };

  /** `emulator` may be given lazily (a function) when the endpoint's port must be known before the switch starts. */
  constructor(
    private readonly emulator: SwitchEmulator | (() => SwitchEmulator),
    private readonly opts: FreeSwitchSipOptions = {},
  ) {
    super();
    this.host = opts.host ?? '127.0.0.1';
    this.profile = opts.profile ?? 'carrier';
    this.context = opts.context ?? 'hotline_inbound';
    this.transport = this.newTransport();
  }

  private newTransport(): SipTransport {
    const t = new SipTransport(this.host, { tcp: false });
    t.on('message', (r) => {
      if (!this.paused) this.onMessage(r);
    });
    return t;
  }

  /** host:port, as the SIP edge's pool lists it. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get activeCalls(): number {
    return [...this.calls.values()].filter((c) => c.state !== 'ended').length;
  }

  list(): FreeSwitchSipCall[] {
    return [...this.calls.values()].map(
      ({ uuid, callId, destination, callerIdNumber, sipHeaders, state }) => ({
        uuid,
        callId,
        destination,
        callerIdNumber,
        sipHeaders,
        state,
      }),
    );
  }

  async start(): Promise<number> {
    if (this.running) return this.port;
    this.port = await this.transport.listen(this.opts.port ?? this.port);
    this.running = true;
    return this.port;
  }

  /** Gone from the network: the socket closes (calls in progress are cut as by a crash). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const c of this.calls.values()) {
      for (const t of c.timers.splice(0)) clearTimeout(t);
      if (c.state !== 'ended') {
        c.state = 'ended';
        c.byUs = true;
        c.emu?.hangup('NORMAL_TEMPORARY_FAILURE');
      }
    }
    await this.transport.close();
    this.transport = this.newTransport();
  }

  /** Silent while paused (alive but not answering anything, OPTIONS included); resume() brings it back. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  private send(text: string, to: Peer): void {
    if (this.running) this.transport.send(text, to);
  }

  private build(start: string, headers: SipHeader[], body = ''): string {
    const list = sofiaOrder([
      ...headers.filter((h) => headerKey(h.name) !== 'content-length'),
      { name: 'Content-Length', value: String(Buffer.byteLength(body)) },
    ]);
    return `${start}${CRLF}${list.map((h) => `${h.name}: ${h.value}`).join(CRLF)}${CRLF}${CRLF}${body}`;
  }

  private response(
    req: SipMessage,
    peer: Peer,
    status: number,
    extra: SipHeader[] = [],
    body = '',
    tag?: string,
  ): string {
    const headers: SipHeader[] = [];
    let first = true;
    for (const line of req.getAll('via')) {
      for (const v of splitList(line)) {
        headers.push({ name: 'Via', value: first ? stampVia(v, peer.address, peer.port) : v });
        first = false;
      }
    }
    const to = req.get('to') ?? '';
    headers.push(
      { name: 'From', value: req.get('from') ?? '' },
      { name: 'To', value: tag && !/;\s*tag=/i.test(to) ? `${to};tag=${tag}` : to },
      { name: 'Call-ID', value: req.callId },
      { name: 'CSeq', value: req.get('cseq') ?? '' },
      ...extra,
    );
    return this.build(`SIP/2.0 ${status} ${REASONS[status] ?? ''}`, headers, body);
  }

  private onMessage(r: Received): void {
    const m = r.msg;
    if (!m.isRequest) {
      const key = `${m.callId}|${m.cseq.seq}|${m.cseq.method}`;
      if (m.status >= 200) {
        const done = this.pendingRequests.get(key);
        this.pendingRequests.delete(key);
        done?.(m);
      }
      return;
    }
    switch (m.method) {
      case 'OPTIONS':
        this.stats.options++;
        this.emit('options', r.peer);
        return this.send(
          this.response(
            m,
            r.peer,
            200,
            this.capabilities([{ name: 'Contact', value: `<sip:${this.host}>` }]),
            '',
            newTag(),
          ),
          r.peer,
        );
      case 'INVITE':
        return this.onInvite(r);
      case 'ACK': {
        const c = this.legFor(m);
        if (c && c.state === 'answered') {
          c.state = 'confirmed';
          for (const t of c.timers.splice(0)) clearTimeout(t);
        }
        return;
      }
      case 'CANCEL': {
        const c = [...this.calls.values()].find((x) => x.callId === m.callId && x.state === 'ringing');
        if (!c) return this.send(this.response(m, r.peer, 481, [], '', newTag()), r.peer);
        this.send(this.response(m, r.peer, 200, [], '', c.toTag), r.peer);
        this.finalFailure(c, 487);
        c.emu?.hangup('ORIGINATOR_CANCEL');
        return;
      }
      case 'BYE': {
        const c = this.legFor(m);
        if (!c) return this.send(this.response(m, r.peer, 481, [], '', newTag()), r.peer);
        this.send(this.response(m, r.peer, 200, [{ name: 'User-Agent', value: UA }]), r.peer);
        if (c.state !== 'ended') {
          c.state = 'ended';
          for (const t of c.timers.splice(0)) clearTimeout(t);
          c.emu?.hangup('NORMAL_CLEARING');
          this.emit('ended', c, 'bye');
        }
        return;
      }
      case 'INFO': {
        const c = this.legFor(m);
        if (!c) return this.send(this.response(m, r.peer, 481, [], '', newTag()), r.peer);
        this.send(this.response(m, r.peer, 200), r.peer);
        const digits = dtmfOf(m);
        if (digits) c.emu?.sendDtmf(digits);
        return;
      }
      case 'NOTIFY': {
        const c = this.legFor(m);
        this.send(this.response(m, r.peer, c ? 200 : 481), r.peer);
        if (c) this.emit('notify', c, m.body);
        return;
      }
      case 'UPDATE':
        return this.send(this.response(m, r.peer, this.legFor(m) ? 200 : 481), r.peer);
      default:
        return this.send(
          this.response(m, r.peer, 405, [{ name: 'Allow', value: ALLOW }], '', newTag()),
          r.peer,
        );
    }
  }

  private capabilities(extra: SipHeader[]): SipHeader[] {
    return [
      ...extra,
      { name: 'User-Agent', value: UA },
      { name: 'Accept', value: 'application/sdp' },
      { name: 'Allow', value: ALLOW },
      { name: 'Supported', value: SUPPORTED },
      { name: 'Allow-Events', value: ALLOW_EVENTS },
    ];
  }

  private legFor(m: SipMessage): CallLeg | undefined {
    const c = this.calls.get(m.callId);
    if (!c) return undefined;
    // Requests from the far end: From carries their tag, To ours.
    if (m.from.params.tag !== c.remoteTag) return undefined;
    return c;
  }

  private onInvite(r: Received): void {
    const m = r.msg;
    const branch = String(m.topVia?.params.find(([k]) => k.toLowerCase() === 'branch')?.[1] ?? '');
    const existing = this.calls.get(m.callId);
    if (existing && existing.branch === branch) {
      if (existing.lastResponse) this.send(existing.lastResponse, existing.peer);
      return;
    }
    if (existing || m.to.params.tag) {
      // re-INVITE: accept with the same answer.
      const c = existing && this.legFor(m);
      if (!c) return this.send(this.response(m, r.peer, 481, [], '', newTag()), r.peer);
      return this.send(this.answer200(c, m, r.peer), r.peer);
    }
    this.stats.invites++;
    const uri = parseUri(m.uri);
    const from = m.from;
    const pai = parseNameAddr(splitList(m.get('p-asserted-identity') ?? '')[0] ?? '');
    const caller = parseUri(pai.uri || from.uri);
    const sipHeaders: Record<string, string> = {};
    for (const h of m.headers) {
      if (/^x-/i.test(h.name) || /^subject$/i.test(h.name)) sipHeaders[h.name] = h.value;
    }
    const contact = parseUri(parseNameAddr(splitList(m.get('contact') ?? '')[0] ?? '').uri);
    const target: Peer =
      contact?.host && net.isIP(contact.host)
        ? { proto: 'udp', address: contact.host, port: contact.port ?? 5060 }
        : r.peer;
    const leg: CallLeg = {
      uuid: '',
      callId: m.callId,
      destination: uri?.user ?? '',
      callerIdNumber: caller?.user || 'anonymous',
      sipHeaders,
      state: 'ringing',
      invite: m,
      peer: r.peer,
      branch,
      toTag: newTag(),
      remoteTag: from.params.tag ?? '',
      remoteTarget: target,
      remoteUri: m.get('from') ?? '',
      localSeq: m.cseq.seq,
      byUs: false,
      timers: [],
    };
    this.calls.set(m.callId, leg);
    leg.lastResponse = this.response(m, r.peer, 100, [{ name: 'User-Agent', value: UA }]);
    this.send(leg.lastResponse, r.peer);
    const switchEmu = typeof this.emulator === 'function' ? this.emulator() : this.emulator;
    const emu = switchEmu.placeSipCall(
      {
        destination: leg.destination,
        callerIdNumber: leg.callerIdNumber,
        callerIdName: (pai.display || from.display || leg.callerIdNumber).replace(/^"|"$/g, ''),
        profile: this.profile,
        context: this.context,
        sipHeaders,
        peer: { ip: r.peer.address, port: r.peer.port },
      },
      {
        answered: () => this.onChannelAnswered(leg),
        hungUp: (cause, by) => this.onChannelHangup(leg, cause, by),
      },
    );
    leg.emu = emu;
    leg.uuid = emu.uuid;
    void emu.ended.then(() =>
      setTimeout(() => {
        if (this.calls.get(leg.callId) === leg) this.calls.delete(leg.callId);
      }, 32_000).unref(),
    );
    this.emit('invite', leg);
  }

  private sdp(): string {
    const v = Math.floor(Date.now() / 1000) - 32_000;
    const port = 16384 + ((v * 2) % 1000);
    return (
      `v=0${CRLF}o=FreeSWITCH ${v} ${v + 1} IN IP4 ${this.host}${CRLF}s=FreeSWITCH${CRLF}c=IN IP4 ${this.host}${CRLF}` +
      `t=0 0${CRLF}m=audio ${port} RTP/AVP 0 101${CRLF}a=rtpmap:0 PCMU/8000${CRLF}` +
      `a=rtpmap:101 telephone-event/8000${CRLF}a=fmtp:101 0-15${CRLF}a=ptime:20${CRLF}`
    );
  }

  private answer200(c: CallLeg, req: SipMessage, peer: Peer): string {
    const headers = this.capabilities([
      { name: 'Contact', value: `<sip:${c.destination}@${this.host}:${this.port};transport=udp>` },
      { name: 'Content-Type', value: 'application/sdp' },
      { name: 'Content-Disposition', value: 'session' },
      {
        name: 'Remote-Party-ID',
        value: `"${c.destination}" <sip:${c.destination}@${this.host}>;party=calling;privacy=off;screen=no`,
      },
    ]);
    return this.response(req, peer, 200, headers, this.sdp(), c.toTag);
  }

  private onChannelAnswered(c: CallLeg): void {
    if (c.state !== 'ringing') return;
    c.state = 'answered';
    this.stats.answered++;
    const text = this.answer200(c, c.invite, c.peer);
    c.lastResponse = text;
    this.send(text, c.peer);
    // Timer G until the ACK comes.
    let wait = 500;
    const again = () => {
      if (c.state !== 'answered' || wait > 4000) return;
      this.send(text, c.peer);
      wait *= 2;
      c.timers.push(setTimeout(again, wait));
    };
    c.timers.push(setTimeout(again, wait));
  }

  private finalFailure(c: CallLeg, status: number): void {
    c.state = 'ended';
    for (const t of c.timers.splice(0)) clearTimeout(t);
    c.lastResponse = this.response(
      c.invite,
      c.peer,
      status,
      [{ name: 'User-Agent', value: UA }],
      '',
      c.toTag,
    );
    this.send(c.lastResponse, c.peer);
  }

  private onChannelHangup(c: CallLeg, cause: string, _by: string): void {
    if (c.state === 'ended') return;
    c.byUs = true;
    if (c.state === 'ringing') {
      const s = causeToSip(cause);
      this.finalFailure(c, s >= 300 ? s : 480);
      this.emit('ended', c, cause);
      return;
    }
    c.state = 'ended';
    for (const t of c.timers.splice(0)) clearTimeout(t);
    this.send(
      this.inDialog(c, 'BYE', [
        { name: 'User-Agent', value: UA },
        { name: 'Allow', value: ALLOW },
        { name: 'Supported', value: SUPPORTED },
        { name: 'Reason', value: `Q.850;cause=${causeCode(cause)};text="${cause}"` },
      ]),
      c.remoteTarget,
    );
    this.emit('ended', c, cause);
  }

  private inDialog(c: CallLeg, method: string, extra: SipHeader[], body = ''): string {
    const to = c.remoteUri;
    const localUri = (c.invite.get('to') ?? '').replace(/;\s*tag=[^;,]*/i, '');
    const contact = parseNameAddr(splitList(c.invite.get('contact') ?? '')[0] ?? '').uri || c.invite.from.uri;
    return this.build(
      `${method} ${contact} SIP/2.0`,
      [
        { name: 'Via', value: `SIP/2.0/UDP ${this.host}:${this.port};rport;branch=${newBranch()}` },
        { name: 'Max-Forwards', value: '70' },
        { name: 'From', value: `${localUri};tag=${c.toTag}` },
        { name: 'To', value: to },
        { name: 'Call-ID', value: c.callId },
        { name: 'CSeq', value: `${++c.localSeq} ${method}` },
        ...extra,
      ],
      body,
    );
  }

  /**
   * What FreeSWITCH's `uuid_deflect <uuid> <uri>` does to an answered call: a REFER to the far end in the call's
   * dialog. Resolves with the final status of the REFER (202 when the SIP edge takes the transfer).
   */
  deflect(uuid: string, referTo: string, timeoutMs = 5000): Promise<number> {
    const c = [...this.calls.values()].find((x) => x.uuid === uuid);
    if (!c || (c.state !== 'confirmed' && c.state !== 'answered')) return Promise.resolve(481);
    const text = this.inDialog(c, 'REFER', [
      { name: 'Contact', value: `<sip:${c.destination}@${this.host}:${this.port};transport=udp>` },
      { name: 'User-Agent', value: UA },
      { name: 'Refer-To', value: referTo.startsWith('<') ? referTo : `<${referTo}>` },
      { name: 'Referred-By', value: `<sip:${c.destination}@${this.host}:${this.port}>` },
    ]);
    const key = `${c.callId}|${c.localSeq}|REFER`;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.pendingRequests.delete(key);
        resolve(408);
      }, timeoutMs);
      this.pendingRequests.set(key, (res) => {
        clearTimeout(t);
        resolve(res.status);
      });
      this.send(text, c.remoteTarget);
    });
  }
}

/** DTMF in a SIP INFO body: application/dtmf-relay ("Signal=5") or application/dtmf ("5"). */
function dtmfOf(m: SipMessage): string {
  const type = (m.get('content-type') ?? '').toLowerCase();
  if (type.includes('dtmf-relay')) return /Signal\s*=\s*([0-9*#A-D])/i.exec(m.body)?.[1] ?? '';
  if (type.includes('application/dtmf')) return /^\s*([0-9*#A-D])/i.exec(m.body)?.[1] ?? '';
  return '';
}

/** Parses a SIP text (for tests that inspect what an endpoint received). */
export const parseSipText = (text: string): SipMessage => parseSip(text, { lenient: true });
