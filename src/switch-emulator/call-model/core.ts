import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Channel, emptyTimes, type CallerProfile, type Tech } from './channel.ts';
import { buildChannelEvent, type ChannelEventOptions } from './channel-event.ts';
import { EventBus, nowUsec, type CoreIdentity } from './event.ts';
import type { Logger } from './logger.ts';
import type { FileDurationMs } from './media.ts';
import { Session, type AppFn, type ControlLink } from './session.ts';
import { setCdrVars, setLocalSdp, setMediaVars, setRemoteByeVars } from './sofia-vars.ts';
import type { ChannelState, CallState } from './states.ts';
import { strftime } from './strftime.ts';
import type { AgentEndpointScript, Dialplan, DialplanAction } from './types.ts';

export type HangupBy = 'caller' | 'switch' | 'agent' | 'router';

/** Opens the outbound event socket for the `socket` app; null when the target refuses. */
export type SocketConnector = (
  session: Session,
  host: string,
  port: number,
  args: string[],
) => Promise<ControlLink | null>;

export interface CoreOptions {
  identity: CoreIdentity;
  localIp: string;
  /** How long a sound file plays; null: FreeSWITCH cannot open it (see media.ts, sounds.ts). */
  fileDurationMs: FileDurationMs;
  logger: Logger;
  dialplan: Dialplan;
  /**
   * The directory domain scripted agents register in (setAgent('1001', ...) is a phone registered as
   * 1001@agentsDomain). A dial to user/1001 without a domain looks in the global `domain` variable instead.
   */
  agentsDomain: string;
  /** Sofia profiles and gateways the switch has (others: INVALID_PROFILE, INVALID_GATEWAY). */
  sofiaProfiles: string[];
  sofiaGateways: string[];
}

type DtmfHandler = (digit: string) => void;

/**
 * The switch core: channel registry, the event bus and the state changes FreeSWITCH's core performs
 * (switch_channel.c marks, switch_core_state_machine.c hangup/reporting), independent of any wire protocol.
 */
export class Core extends EventEmitter {
  readonly bus: EventBus;
  readonly channels = new Map<string, Channel>();
  readonly sessions = new Map<string, Session>();
  readonly apps = new Map<string, AppFn>();
  readonly agents = new Map<string, AgentEndpointScript>();
  readonly log: Logger;
  socketConnector?: SocketConnector;
  /**
   * How long an outbound socket's `connect` waits for its reply, ms: a real FreeSWITCH short of CPU answers it in
   * tens of ms or more (it reads the command a byte at a time behind every runnable thread), against a few ms.
   */
  connectDelayMs = 0;
  /** Staged overload: uuid_bridge joins this many ms late (an overloaded switch gets round to them late). */
  joinDelayMs = 0;
  private sessionCounter = 0;
  private readonly dtmfHandlers = new Map<string, DtmfHandler>();
  private readonly startedMs = Date.now();
  sessionsSinceStartup = 0;
  peakSessions = 0;

  constructor(readonly opts: CoreOptions) {
    super();
    this.setMaxListeners(0);
    this.bus = new EventBus(opts.identity);
    this.log = opts.logger;
  }

  get uptimeMs(): number {
    return Date.now() - this.startedMs;
  }

  nextSessionId(): number {
    this.sessionsSinceStartup++;
    return ++this.sessionCounter;
  }

  fireChannel(ch: Channel, name: string, o?: ChannelEventOptions): void {
    this.bus.fire(buildChannelEvent(this.bus, ch, name, o));
  }

  /** A new leg: registered, given a session, CHANNEL_CREATE fired in CS_INIT (switch_core_session_run). */
  createChannel(init: {
    uuid?: string;
    name: string;
    direction: 'inbound' | 'outbound';
    tech: Tech;
    profile: Omit<CallerProfile, 'uuid' | 'channelName' | 'times' | 'profileIndex'>;
    presenceId?: string;
    hitDialplan?: boolean;
    setVars?: (ch: Channel) => void;
  }): Channel {
    const uuid = init.uuid ?? randomUUID();
    const now = nowUsec();
    const profile: CallerProfile = {
      ...init.profile,
      uuid,
      channelName: init.name,
      profileIndex: '1',
      times: emptyTimes(now),
    };
    const ch = new Channel(uuid, init.name, init.direction, init.tech, profile);
    ch.presenceId = init.presenceId;
    ch.hitDialplan = init.hitDialplan ?? false;
    this.channels.set(uuid, ch);
    this.sessions.set(uuid, new Session(this, ch));
    this.peakSessions = Math.max(this.peakSessions, this.channels.size);
    init.setVars?.(ch);
    ch.state = 'CS_INIT';
    this.setRunningState(ch, 'CS_INIT');
    ch.state = 'CS_ROUTING';
    this.fireChannel(ch, 'CHANNEL_CREATE');
    return ch;
  }

  session(ch: Channel): Session {
    let s = this.sessions.get(ch.uuid);
    if (!s) {
      s = new Session(this, ch);
      this.sessions.set(ch.uuid, s);
    }
    return s;
  }

  /** switch_channel_perform_set_running_state: fires CHANNEL_STATE. */
  setRunningState(ch: Channel, s: ChannelState): void {
    ch.runningState = s;
    if (ch.state !== 'CS_HANGUP' && ch.state !== 'CS_REPORTING' && ch.state !== 'CS_DESTROY') ch.state = s;
    this.fireChannel(ch, 'CHANNEL_STATE');
  }

  /** switch_channel_perform_set_callstate: fires CHANNEL_CALLSTATE with the previous state. */
  setCallState(ch: Channel, cs: CallState): void {
    if (ch.callState === cs) return;
    const orig = ch.callState;
    ch.callState = cs;
    const numbers: Record<CallState, number> = {
      DOWN: 0,
      DIALING: 1,
      RINGING: 2,
      EARLY: 3,
      ACTIVE: 4,
      HELD: 5,
      RING_WAIT: 6,
      HANGUP: 7,
      UNHELD: 8,
    };
    this.fireChannel(ch, 'CHANNEL_CALLSTATE', {
      pre: [
        ['Original-Channel-Call-State', orig],
        ['Channel-Call-State-Number', String(numbers[cs])],
      ],
    });
  }

  /** 180 Ringing seen/sent: CHANNEL_PROGRESS (switch_channel_perform_mark_ring_ready_value). */
  markRingReady(ch: Channel): void {
    if (ch.ringReady || !ch.up) return;
    ch.ringReady = true;
    ch.profile.times.progress = nowUsec();
    this.fireChannel(ch, 'CHANNEL_PROGRESS');
    this.setCallState(ch, 'RINGING');
  }

  /** Early media: CHANNEL_PROGRESS_MEDIA (switch_channel_perform_mark_pre_answered). */
  preAnswer(ch: Channel): void {
    if (ch.preAnswered || ch.answered || !ch.up) return;
    if (ch.tech === 'sofia' && ch.direction === 'inbound') {
      setMediaVars(ch, this.opts.localIp, true);
      ch.vars.set('endpoint_disposition', 'EARLY MEDIA');
    }
    ch.preAnswered = true;
    ch.answerState = 'early';
    ch.profile.times.progressMedia = nowUsec();
    this.fireChannel(ch, 'CHANNEL_PROGRESS_MEDIA');
    this.setCallState(ch, 'EARLY');
  }

  /** CHANNEL_ANSWER (switch_channel_perform_mark_answered); inbound sofia legs pass through early media first. */
  answer(ch: Channel): void {
    if (ch.answered || !ch.up) return;
    // mod_loopback: answering the B side answers the originating A side first.
    const peer =
      ch.tech === 'loopback' ? this.channels.get(ch.vars.get('other_loopback_leg_uuid') ?? '') : undefined;
    if (peer && ch.vars.get('loopback_leg') === 'B' && !peer.answered) this.answer(peer);
    if (ch.tech === 'sofia' && ch.direction === 'inbound') {
      this.preAnswer(ch);
      setLocalSdp(ch, this.opts.localIp);
    }
    ch.answered = true;
    ch.answerState = 'answered';
    ch.profile.times.answered = nowUsec();
    if (!ch.profile.times.progressMedia && ch.tech === 'sofia' && ch.direction === 'inbound') {
      ch.profile.times.progressMedia = ch.profile.times.answered;
    }
    this.fireChannel(ch, 'CHANNEL_ANSWER');
    if (ch.direction === 'inbound' && (ch.tech === 'sofia' || ch.tech === 'loopback')) {
      ch.vars.set('endpoint_disposition', 'ANSWER');
    }
    this.setCallState(ch, 'ACTIVE');
    this.emit('channel:answered', ch);
  }

  /**
   * switch_channel_perform_hangup: records the cause, fires CHANNEL_HANGUP, stops whatever the session runs.
   * `remote` marks a BYE received from the far end (sofia adds the sip_term_* variables).
   */
  hangup(ch: Channel, cause: string, by: HangupBy, remote = false): void {
    if (!ch.up) return;
    ch.hangupCause = cause;
    ch.hangupBy = by;
    ch.state = 'CS_HANGUP';
    ch.answerState = 'hangup';
    ch.profile.times.hangup = nowUsec();
    if (remote && ch.tech === 'sofia') setRemoteByeVars(ch);
    this.fireChannel(ch, 'CHANNEL_HANGUP');
    if (ch.tech === 'sofia') {
      if (remote) ch.vars.set('sip_hangup_disposition', 'recv_bye');
    }
    if (ch.tech === 'loopback') {
      const peer = this.channels.get(ch.vars.get('other_loopback_leg_uuid') ?? '');
      if (peer?.up)
        setImmediate(() =>
          this.hangup(peer, cause === 'ORIGINATOR_CANCEL' ? cause : 'NORMAL_CLEARING', 'switch'),
        );
    }
    this.dtmfHandlers.delete(ch.uuid);
    this.emit('channel:hangup', ch);
    const s = this.sessions.get(ch.uuid);
    s?.onHangup();
    if (!s || !s.running) setImmediate(() => void this.finalize(ch));
  }

  /** CS_HANGUP -> CS_REPORTING -> CHANNEL_HANGUP_COMPLETE -> CS_DESTROY, as switch_core_state_machine.c runs them. */
  async finalize(ch: Channel): Promise<void> {
    if (ch.destroyed) return;
    ch.destroyed = true;
    this.setRunningState(ch, 'CS_HANGUP');
    this.setCallState(ch, 'HANGUP');
    ch.state = 'CS_REPORTING';
    this.setRunningState(ch, 'CS_REPORTING');
    const endUs = nowUsec();
    if (ch.tech === 'sofia' && !ch.vars.has('sip_hangup_disposition') && ch.answered) {
      ch.cdrSipVars.unshift(['sip_hangup_disposition', 'send_bye']);
    }
    setCdrVars(ch, endUs);
    this.fireChannel(ch, 'CHANNEL_HANGUP_COMPLETE', {
      pre: [['Hangup-Cause', ch.hangupCause ?? 'NORMAL_CLEARING']],
    });
    this.emit('channel:complete', ch);
    const link = this.sessions.get(ch.uuid)?.link;
    if (link) {
      link.channelDown();
      await link.finished;
    }
    ch.state = 'CS_DESTROY';
    this.setRunningState(ch, 'CS_DESTROY');
    this.fireChannel(ch, 'CHANNEL_DESTROY');
    this.channels.delete(ch.uuid);
    this.sessions.delete(ch.uuid);
    this.emit('channel:destroyed', ch);
  }

  // ---- DTMF (switch_channel_queue_dtmf / switch_channel_dequeue_dtmf) ----

  /** Queue digits as received on the leg; DTMF events fire when something dequeues them. */
  receiveDtmf(ch: Channel, digits: string, source: string, duration: number): void {
    for (const d of digits) {
      if (/[0-9*#A-Da-dwW]/.test(d)) ch.dtmfQueue.push({ digit: d.toUpperCase(), duration, source });
    }
    setImmediate(() => this.pumpDtmf(ch));
  }

  /** The running app's digit consumer, if any. */
  dtmfHandler(ch: Channel): DtmfHandler | undefined {
    return this.dtmfHandlers.get(ch.uuid);
  }

  /** Install the running app's digit consumer (read/play_and_get_digits/playback/bridge). */
  setDtmfHandler(ch: Channel, h: DtmfHandler | undefined): void {
    if (h) this.dtmfHandlers.set(ch.uuid, h);
    else this.dtmfHandlers.delete(ch.uuid);
    if (h) this.pumpDtmf(ch);
  }

  pumpDtmf(ch: Channel): void {
    while (ch.dtmfQueue.length && ch.up) {
      const h = this.dtmfHandlers.get(ch.uuid);
      const idle = this.sessions.get(ch.uuid)?.idleParked ?? false;
      if (!h && !idle) return;
      const d = ch.dtmfQueue.shift() as { digit: string; duration: number; source: string };
      this.fireChannel(ch, 'DTMF', {
        post: [
          ['DTMF-Digit', d.digit],
          ['DTMF-Duration', String(d.duration)],
          ['DTMF-Source', d.source],
        ],
      });
      h?.(d.digit);
    }
  }

  /** The park loop eats digits nobody asked for. */
  consumeIdleDtmf(ch: Channel): void {
    setImmediate(() => this.pumpDtmf(ch));
  }

  // ---- bridging (switch_ivr_multi_threaded_bridge / switch_ivr_uuid_bridge) ----

  /**
   * Link two answered legs and fire CHANNEL_BRIDGE on the originator (a), as switch_ivr_multi_threaded_bridge
   * does. `viaApi` is uuid_bridge (switch_ivr_uuid_bridge): both legs are first "transferred" (new caller
   * profile with Transfer-Source, original_* / transfer_* variables) and the B-leg's caller id is flipped.
   */
  linkBridge(a: Channel, b: Channel, viaApi = false): void {
    const now = nowUsec();
    a.bridgedTo = b.uuid;
    b.bridgedTo = a.uuid;
    a.lastBridgedTo = b.uuid;
    b.lastBridgedTo = a.uuid;
    a.profile.times.bridged = now;
    b.profile.times.bridged = now;
    if (!a.profile.times.progress && b.profile.times.progress && !viaApi)
      a.profile.times.progress = b.profile.times.progress;
    let otherView: CallerProfile;
    const aView: CallerProfile = { ...a.profile, transferSource: undefined };
    if (viaApi) {
      for (const [x, y] of [
        [a, b],
        [b, a],
      ] as const) {
        const src = `${Math.floor(now / 1e6)}:${randomUUID()}:uuid_br:${y.uuid}`;
        x.profile.profileIndex = String(Number(x.profile.profileIndex) + 1);
        x.profile.transferSource = src;
        if (x === b) {
          x.vars.set('endpoint_disposition', 'ANSWER');
          x.vars.set('pre_transfer_caller_id_number', x.profile.callerIdNumber);
          x.vars.set('channel_cid_flipped', 'yes');
        }
        x.vars.set('original_destination_number', x.profile.destinationNumber);
        x.vars.set(
          'original_caller_id_name',
          x === b ? (b.profile.calleeIdName ?? '') : x.profile.callerIdName,
        );
        x.vars.set(
          'original_caller_id_number',
          x === b ? b.profile.calleeIdNumber : x.profile.callerIdNumber,
        );
        x.vars.set('transfer_history', src);
        x.vars.set('transfer_source', src);
      }
      // The B-leg's caller id was flipped when its originate completed; now it takes the A-leg's.
      otherView = { ...b.profile, logicalDirection: 'inbound', transferSource: undefined };
      a.profile.calleeIdName = b.profile.calleeIdName;
      a.profile.calleeIdNumber = b.profile.calleeIdNumber;
      b.profile.callerIdName = a.profile.callerIdName;
      b.profile.callerIdNumber = a.profile.callerIdNumber;
      b.vars.set('call_uuid', a.uuid);
      a.vars.set('bridge_channel', b.name);
      a.vars.set('bridge_uuid', b.uuid);
    } else {
      if (!a.profile.calleeIdNumber) {
        a.profile.calleeIdName = b.profile.calleeIdName ?? 'Outbound Call';
        a.profile.calleeIdNumber = b.profile.destinationNumber;
      }
      otherView = { ...b.profile, logicalDirection: 'inbound' };
    }
    a.other = { type: 'originatee', profile: otherView };
    b.other = { type: 'originator', profile: aView };
    a.vars.set('signal_bond', b.uuid);
    if (viaApi) {
      b.vars.set('bridge_to', a.uuid);
      b.vars.set('last_bridge_to', a.uuid);
      b.vars.set('bridge_channel', a.name);
      b.vars.set('bridge_uuid', a.uuid);
    }
    b.vars.set('signal_bond', a.uuid);
    this.fireChannel(a, 'CHANNEL_BRIDGE', {
      pre: [
        ['Bridge-A-Unique-ID', a.uuid],
        ['Bridge-B-Unique-ID', b.uuid],
      ],
    });
    if (viaApi) {
      a.vars.set('last_bridge_to', b.uuid);
      b.vars.set('last_sent_callee_id_name', a.profile.callerIdName ?? '');
      b.vars.set('last_sent_callee_id_number', a.profile.callerIdNumber ?? '');
      b.vars.set('last_bridge_role', 'originatee');
      a.vars.set('last_sent_callee_id_name', a.profile.calleeIdNumber ?? '');
      a.vars.set('last_sent_callee_id_number', a.profile.calleeIdNumber ?? '');
    } else {
      for (const [x, y] of [
        [a, b],
        [b, a],
      ] as const) {
        x.vars.set('last_bridge_to', y.uuid);
        x.vars.set('bridge_channel', y.name);
        x.vars.set('bridge_uuid', y.uuid);
      }
      a.vars.set('last_sent_callee_id_name', a.profile.calleeIdName ?? 'Outbound Call');
      a.vars.set('last_sent_callee_id_number', a.profile.calleeIdNumber ?? b.profile.destinationNumber);
    }
    this.emit('channel:bridged', a, b);
  }

  /** End of a bridge: record why the other side left, fire CHANNEL_UNBRIDGE on the originator. */
  unlinkBridge(a: Channel, b: Channel): void {
    if (a.bridgedTo !== b.uuid) return;
    a.bridgedTo = undefined;
    b.bridgedTo = undefined;
    a.vars.delete('bridge_to');
    b.vars.delete('bridge_to');
    const cause = b.hangupCause ?? a.hangupCause ?? 'NORMAL_CLEARING';
    const remoteBye = b.tech === 'sofia' && b.hangupBy === 'agent';
    if (remoteBye) a.vars.set('sip_hangup_phrase', 'OK');
    a.vars.set('last_bridge_hangup_cause', cause);
    if (remoteBye) a.vars.set('last_bridge_proto_specific_hangup_cause', 'sip:200');
    a.vars.set('bridge_hangup_cause', cause);
    this.fireChannel(a, 'CHANNEL_UNBRIDGE', {
      pre: [
        ['Bridge-A-Unique-ID', a.uuid],
        ['Bridge-B-Unique-ID', b.uuid],
      ],
    });
  }

  /**
   * Find the scripted endpoint for a SIP dial target (sofia/<profile>/1001@host:port): '1001' matches any
   * address; a more specific '1001@127.0.0.1:5097' key wins for that address.
   */
  agentFor(user: string, host?: string, port?: number): AgentEndpointScript | undefined {
    if (host) {
      const exact = this.agents.get(`${user}@${host}:${port ?? 5060}`) ?? this.agents.get(`${user}@${host}`);
      if (exact) return exact;
    }
    return this.agents.get(user);
  }

  /**
   * The phone registered as user@domain in the directory (what user/<user>@<domain> reaches): a
   * '1001@domain' key, else a '1001' key whose script registers in that domain (script.domain, by default
   * the agents' domain).
   */
  registeredAgent(user: string, domain: string): AgentEndpointScript | undefined {
    const exact = this.agents.get(`${user}@${domain}`);
    if (exact) return exact;
    const plain = this.agents.get(user);
    if (plain && (plain.domain ?? this.opts.agentsDomain).toLowerCase() === domain.toLowerCase())
      return plain;
    return undefined;
  }

  /** switch_core_get_domain: the global `domain` variable (the stock vars.xml sets it to the machine's IP). */
  get defaultDomain(): string {
    return this.globals.domain || this.bus.identity.hostname;
  }

  /**
   * Routing (CS_ROUTING): hunt the dialplan for `destination` in `context` with the channel's variables as they
   * are now, and copy back what the hunt set (inline set, DP_MATCH). No actions: no route.
   */
  hunt(ch: Channel, destination: string, context: string): DialplanAction[] {
    const variables = ch.vars.toObject();
    const before = { ...variables };
    let actions: DialplanAction[] = [];
    try {
      actions = this.opts.dialplan({
        destination,
        callerIdNumber: ch.profile.callerIdNumber ?? '',
        callerIdName: ch.profile.callerIdName ?? '',
        context,
        variables,
      });
    } catch (err) {
      this.log.error({ err }, 'dialplan failed');
    }
    for (const [k, v] of Object.entries(variables)) if (before[k] !== v) ch.vars.set(k, v);
    return actions;
  }

  /**
   * After an API originate succeeds the new leg's caller id is flipped (switch_ivr_originate ->
   * switch_channel_flip_cid): the callee becomes the caller, the old caller id the callee.
   */
  flipCid(ch: Channel): void {
    const p = ch.profile;
    ch.vars.set('endpoint_disposition', 'ANSWER');
    ch.vars.set('pre_transfer_caller_id_number', p.callerIdNumber);
    ch.vars.set('channel_cid_flipped', 'yes');
    const [name, num] = [p.callerIdName, p.callerIdNumber];
    p.callerIdName = p.calleeIdName;
    p.callerIdNumber = p.calleeIdNumber;
    p.calleeIdName = name;
    p.calleeIdNumber = num;
  }

  /** switch_channel_expand_variables: ${var} from the channel, $${var} from the switch globals. */
  expand(ch: Channel, text: string): string {
    if (!text.includes('$')) return text;
    return text.replace(/\$\$?\{([^}]+)\}/g, (whole, name: string) => {
      if (whole.startsWith('$$')) return this.globals[name] ?? '';
      const api = /^strftime\((.*)\)$/.exec(name);
      if (api) return strftime(api[1] ?? '');
      return ch.vars.get(name) ?? '';
    });
  }

  readonly globals: Record<string, string> = {};

  attachMedia(ch: Channel): void {
    if (!ch.mediaUp && ch.tech === 'sofia') setMediaVars(ch, this.opts.localIp, ch.direction === 'inbound');
  }
}

export { Session };
