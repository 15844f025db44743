// Promise-based control of one caller's channel, over its outbound event socket or (a parked caller) over the
// router's inbound sockets (channel-link.ts). The call flow talks to this interface only, so it does not know about
// ESL frames, modesl or the switch behind it.
import { EventEmitter } from 'node:events';
import type { Event } from 'modesl';
import type { Logger } from '../logging/logger.ts';
import type { ChannelLink } from './channel-link.ts';

export interface ChannelInfo {
  uuid: string;
  destination: string;
  callerIdNumber: string;
  callerIdName: string;
  /** When FreeSWITCH created the channel (its INVITE arrived), epoch ms; NaN when the event does not say. */
  createdAt: number;
  /** Channel variables, without the variable_ prefix (sip_h_X-... carries SIP X- headers). */
  variables: Record<string, string>;
}

export interface AppResult {
  /** Application-Response, e.g. "FILE PLAYED" or "PLAYBACK ERROR". */
  response: string;
  variables: Record<string, string>;
}

export interface BridgeResult {
  /** True when the other leg answered and media was bridged. */
  bridged: boolean;
  /** originate_disposition: SUCCESS, NO_ANSWER, USER_BUSY, CALL_REJECTED, USER_NOT_REGISTERED, ... */
  disposition: string;
  otherUuid?: string;
  /**
   * Agent offers by originate only: whether the caller was put through (the caller's CHANNEL_BRIDGE came). False
   * when the agent answered but their leg was gone before the join completed: a phone that hangs up as it
   * answers, or a join slowed by an overloaded FreeSWITCH. The caller never heard the agent.
   */
  joined?: boolean;
}

export interface ChannelControlOptions {
  log?: Logger;
  /** Called for every prompt FreeSWITCH could not play (a missing or unreadable file). */
  onPromptError?: (app: 'play_and_get_digits' | 'playback', file: string) => void;
  /**
   * An api command got no reply in this long (FreeSWITCH answers in milliseconds): the peer has gone silent, and
   * the socket is closed instead of holding the call (and the socket) for ever. Default 10 s.
   */
  replyTimeoutMs?: number;
  /** Called when the peer went silent (before the socket is closed). */
  onSilent?: (command: string) => void;
}

/** What collectDigits plays while it waits for keys after its prompt could not be played. */
export const SILENT_PROMPT = 'silence_stream://250';

/**
 * Events: 'hangup'(cause), 'bridge'(otherUuid), 'closed'. FreeSWITCH sends only the channel events these need
 * (outbound-server.ts drops the others at the source).
 */
export class ChannelControl extends EventEmitter {
  readonly info: ChannelInfo;
  hungUp = false;
  hangupCause = '';
  /** The socket closed while the channel was (as far as we know) still up. */
  socketLost = false;
  /** Prompts this channel could not play (see collectDigits and playback). */
  promptErrors = 0;
  private closed = false;
  private readonly startWaiters = new Map<string, () => void>();
  /** See answerBeforeMedia. */
  private answerDue = false;
  /** The router ended the agent's leg (killLeg) during the current offer or conversation. */
  private legKilled = false;
  /** In a conversation joined by offerAgent's uuid_bridge. */
  private joined = false;
  /** CHANNEL_UNBRIDGE and CHANNEL_PARK are subscribed (subscribeJoinEvents). */
  private joinEventsOn = false;
  /** CHANNEL_EXECUTE and CHANNEL_EXECUTE_COMPLETE are subscribed (the first tracked application). */
  private appEventsOn = false;
  /** This router had the caller answered (or a previous one did, as far as the channel data says). */
  answered = false;
  /**
   * From the socket's accept to FreeSWITCH's reply to `connect`, ms: about 4 on an idle switch (it creates the
   * listener's queues, reads the command a byte at a time, serialises the channel's variables); far more when
   * FreeSWITCH is short of CPU. NaN when not measured.
   */
  connectMs = NaN;
  /** A parked caller: from its CHANNEL_PARK's timestamp to its arrival here, ms (parked-calls.ts). */
  parkDelayMs = NaN;
  /**
   * The last join's time, ms: from the agent's answer reaching this router (the originate's BACKGROUND_JOB) to the
   * caller's CHANNEL_BRIDGE; for a join that never completed, to the offer's end (at least that long). A few tens of
   * ms when FreeSWITCH keeps up; seconds when it is short of CPU, while the agent hears silence. NaN before one.
   */
  joinMs = NaN;

  constructor(
    private readonly link: ChannelLink,
    private readonly opts: ChannelControlOptions = {},
  ) {
    super();
    const data = link.data;
    this.info = channelInfoOf(data);
    this.answered = data.getHeader('Answer-State') === 'answered';
    link.on('CHANNEL_HANGUP', (e: Event) => this.onHangup(e));
    link.on('CHANNEL_HANGUP_COMPLETE', (e: Event) => this.onHangup(e));
    link.on('CHANNEL_BRIDGE', (e: Event) => {
      // Bridged: the agent's answer answered the caller.
      this.answerDue = false;
      this.emit('bridge', e.getHeader('Other-Leg-Unique-ID') ?? e.getHeader('Bridge-B-Unique-ID') ?? '');
    });
    link.on('CHANNEL_EXECUTE', (e: Event) => {
      const id = e.getHeader('Application-UUID') ?? '';
      const w = this.startWaiters.get(id);
      if (w) {
        this.startWaiters.delete(id);
        w();
      }
    });
    link.onGone(() => {
      // With linger FreeSWITCH sends a notice when the channel is gone; the socket may stay open.
      if (!this.hungUp) this.onHangup(null);
    });
    link.onClosed(() => this.onClosed());
  }

  /** Whether this caller is driven over the inbound sockets (parked by the dialplan) rather than its own socket. */
  get parked(): boolean {
    return this.link.kind === 'parked';
  }

  get uuid(): string {
    return this.info.uuid;
  }

  /** An application nobody waits for: a bare sendmsg to this socket's channel, without an Event-UUID to track. */
  private sendApp(app: string, arg: string): void {
    this.link.sendApp(app, arg);
  }

  /** Runs a dialplan application and resolves when FreeSWITCH reports it complete. */
  execute(app: string, arg = ''): Promise<AppResult> {
    return this.executeTracked(app, arg).done;
  }

  /**
   * Runs an application and also tells when FreeSWITCH started it (its CHANNEL_EXECUTE): an application queued
   * behind others cannot be interrupted with uuid_break before it has started.
   */
  executeTracked(app: string, arg = ''): { started: Promise<boolean>; done: Promise<AppResult> } {
    let appUuid = '';
    let markStarted: (v: boolean) => void = () => {};
    const started = new Promise<boolean>((r) => (markStarted = r));
    const done = new Promise<AppResult>((resolve) => {
      if (this.hungUp || this.closed) {
        markStarted(false);
        resolve({ response: 'HANGUP', variables: {} });
        return;
      }
      // After a hangup FreeSWITCH may never complete a queued application, so the caller's
      // hangup settles every pending one.
      const onGone = () => {
        this.startWaiters.delete(appUuid);
        markStarted(false);
        resolve({ response: 'HANGUP', variables: {} });
      };
      this.once('hangup', onGone);
      this.subscribeAppEvents();
      if (this.answerDue && app !== 'bridge') {
        // Sent before the application, which FreeSWITCH therefore runs on an answered channel.
        this.answerDue = false;
        void this.answerNow().catch(() => undefined);
      }
      appUuid = this.link.execute(app, arg, (evt: Event) => {
        this.off('hangup', onGone);
        this.startWaiters.delete(appUuid);
        markStarted(true);
        resolve({ response: evt.getHeader('Application-Response') ?? '', variables: variablesOf(evt) });
      });
      if (appUuid) this.startWaiters.set(appUuid, () => markStarted(true));
    });
    return { started, done };
  }

  async answer(): Promise<void> {
    this.answered = true;
    await this.execute('answer');
  }

  /**
   * The caller is to be answered, but only just before the first application that plays or records something: a
   * bridge to an agent answers the caller itself when the agent answers (FreeSWITCH passes the answer on, with
   * ringback meanwhile), and an answer sent first held the agent's ring up behind it (uuid_answer keeps FreeSWITCH
   * busy with the caller's 200 OK and media for 10-16 ms, and this socket's next command waits for it).
   */
  answerBeforeMedia(): void {
    this.answerDue = true;
  }

  async set(name: string, value: string): Promise<void> {
    await this.execute('set', `${name}=${value}`);
  }

  /**
   * Plays a prompt and collects digits (FreeSWITCH's play_and_get_digits). A digit pressed during
   * the prompt stops it and counts. Returns the digits, or '' on timeout.
   *
   * A prompt FreeSWITCH cannot open (a missing or unreadable file) makes play_and_get_digits return
   * at once, without waiting for keys: switch_ivr_read clears read_result and, when the prompt
   * fails, never sets it again, while a caller who pressed nothing leaves read_result "failure"
   * (or "timeout"). Such a prompt is logged and counted, and the keys are then awaited in silence
   * for the same timeout, so that the caller is not taken for one who pressed nothing.
   */
  async collectDigits(opts: {
    prompt: string;
    min?: number;
    max?: number;
    tries?: number;
    timeoutMs?: number;
    validDigits?: string;
    invalidPrompt?: string;
  }): Promise<string> {
    const v = 'hotline_digits';
    const regex = `^[${opts.validDigits ?? '0-9*#'}]+$`;
    const arg = (prompt: string) =>
      [
        opts.min ?? 1,
        opts.max ?? 1,
        opts.tries ?? 1,
        opts.timeoutMs ?? 5000,
        '#',
        prompt,
        opts.invalidPrompt ?? 'silence_stream://250',
        v,
        regex,
      ].join(' ');
    const r = await this.execute('play_and_get_digits', arg(opts.prompt));
    if (r.response === 'HANGUP' || this.hungUp || r.variables.read_result) return r.variables[v] ?? '';
    this.promptError('play_and_get_digits', opts.prompt);
    const again = await this.execute('play_and_get_digits', arg(SILENT_PROMPT));
    return again.variables[v] ?? '';
  }

  /** Plays a file; one FreeSWITCH cannot play (FILE NOT FOUND, PLAYBACK ERROR) is logged and counted. */
  async playback(file: string): Promise<AppResult> {
    const r = await this.execute('playback', file);
    if ((r.response === 'FILE NOT FOUND' || r.response === 'PLAYBACK ERROR') && !this.hungUp) {
      this.promptError('playback', file);
    }
    return r;
  }

  private promptError(app: 'play_and_get_digits' | 'playback', file: string): void {
    this.promptErrors++;
    this.opts.log?.warn(
      { app, file, uuid: this.uuid },
      'prompt could not be played (missing or unreadable file): check the sounds directory',
    );
    this.opts.onPromptError?.(app, file);
  }

  /** Bridges to an endpoint, e.g. `{leg_timeout=15}user/1001`. Resolves when the bridge ends or fails. */
  async bridge(dialString: string): Promise<BridgeResult> {
    let otherUuid: string | undefined;
    const onBridge = (u: string) => {
      otherUuid = u;
    };
    this.on('bridge', onBridge);
    const r = await this.execute('bridge', dialString);
    this.off('bridge', onBridge);
    const disposition = r.variables.originate_disposition ?? (otherUuid ? 'SUCCESS' : 'UNKNOWN');
    return { bridged: otherUuid !== undefined, disposition, otherUuid: otherUuid ?? r.variables.bridge_uuid };
  }

  /**
   * Rings an agent the way mod_callcenter does, without waiting for the caller's channel to take a turn: the
   * agent's leg is originated at once by a FreeSWITCH thread (`bgapi originate ... &park()` on this socket, whose
   * BACKGROUND_JOB comes back here by its Job-Owner-UUID), and joined to the caller with `uuid_bridge` when the
   * agent answers. The caller keeps hearing what they heard (hold music, or a ringback tone as early media) until then.
   * Emits 'bridge' when the agent answered, and 'join'(ms) once the join is done or given up (not when the caller
   * hung up first);
   * resolves when the conversation is over (CHANNEL_UNBRIDGE or a hangup)
   * or the agent's leg failed (its hangup cause as disposition). See src/esl/README.md for what the caller's
   * channel does after the conversation.
   */
  offerAgent(o: {
    /** `{vars}endpoint` for the agent's leg; origination_uuid must be `legUuid`. */
    dial: string;
    legUuid: string;
    /**
     * The caller hears nothing of ours yet: pre-answered (uuid_bridge joins only channels with media; the answer
     * itself waits for the agent's), with this ringback tone as early media meanwhile; '' sends 180 instead and
     * answers the caller when the agent answers; null: the caller hears what already plays.
     */
    ringback: string | null;
    /**
     * When the agent hangs up: `hangup` (nothing follows: FreeSWITCH ends the call) or `dialplan` (the caller goes
     * on to the after-conversation extension, which brings it back to this router for the survey).
     */
    afterConversation: 'hangup' | 'dialplan';
  }): Promise<BridgeResult> {
    const leg = o.legUuid;
    return new Promise<BridgeResult>((resolve) => {
      if (this.hungUp || this.closed) return resolve({ bridged: false, disposition: 'ORIGINATOR_CANCEL' });
      let answered = false;
      let settled = false;
      let putThrough = false;
      let answerSeenAt = 0;
      this.legKilled = false;
      // A parked caller has no dialplan to go on in after the conversation: it stays parked (park_after_bridge) and
      // this router goes on with it (the survey) over the same link.
      const keepParkAfter = this.parked && o.afterConversation === 'dialplan';
      const joinTimed = () => {
        this.joinMs = performance.now() - answerSeenAt;
        this.emit('join', this.joinMs);
      };
      const onCallerBridge = () => {
        if (putThrough) return;
        putThrough = true;
        joinTimed();
        // The join is done: the conversation's end is as planned again (hang-up or dialplan), unless the router
        // has ended the agent's leg meanwhile (a transfer), which wants the caller parked.
        if (!this.legKilled && !keepParkAfter) this.link.api(`uuid_setvar ${this.uuid} park_after_bridge`);
      };
      const done = (r: BridgeResult) => {
        if (settled) return;
        settled = true;
        this.joined = false;
        if (answered) r.joined = putThrough;
        // A join given up (the agent's leg went first) took at least this long. A caller who hung up says nothing
        // (a parked caller's hangup event may come after the join's -ERR: rare, and a short sample); nor does a leg
        // this router ended itself (a transfer asked for at once), which times the router, not the switch.
        if (answered && !putThrough && !this.hungUp && !this.legKilled) joinTimed();
        this.link.off('CHANNEL_BRIDGE', onCallerBridge);
        // The agent did not answer: the ringback must not go on under what the caller hears next.
        if (!r.bridged && o.ringback && !this.hungUp && !this.closed)
          this.link.api(`uuid_break ${this.uuid} all`);
        this.off('hangup', onGone);
        this.link.off('CHANNEL_UNBRIDGE', onUnbridge);
        this.link.off('CHANNEL_PARK', onUnbridge);
        resolve(r);
      };
      const onGone = () => {
        // The socket lingers after the caller's hangup: the agent's phone stops ringing.
        if (!answered && !this.closed) this.link.api(`uuid_kill ${leg}`);
        done({
          bridged: answered,
          disposition: answered ? 'SUCCESS' : 'ORIGINATOR_CANCEL',
          otherUuid: answered ? leg : undefined,
        });
      };
      const onUnbridge = () => done({ bridged: true, disposition: 'SUCCESS', otherUuid: leg });
      this.once('hangup', onGone);
      this.link.on('CHANNEL_UNBRIDGE', onUnbridge);
      const onJob = (evt: Event | null, replyText: string) => {
        if (settled) return;
        if (!evt)
          return done({ bridged: false, disposition: /^-ERR\s+([A-Z_]+)/.exec(replyText)?.[1] ?? 'UNKNOWN' });
        const body = (evt.getBody() ?? '').trim();
        if (!body.startsWith('+OK')) {
          const cause = /^-ERR\s+([A-Z_]+)/.exec(body)?.[1] ?? 'UNKNOWN';
          return done({ bridged: false, disposition: cause });
        }
        answered = true;
        answerSeenAt = performance.now();
        this.joined = true;
        // FreeSWITCH sends a channel's events in order: CHANNEL_BRIDGE, when it comes, precedes the UNBRIDGE or PARK.
        this.link.on('CHANNEL_BRIDGE', onCallerBridge);
        this.answerDue = false;
        this.emit('bridge', leg);
        // One after another on this socket, not waiting for each reply (FreeSWITCH carries them out in order): what
        // plays (ringback, music) stops, and nothing queued is left to play after the conversation; the conversation
        // must outlive this router (socket_resume would reset the channel when this socket closes); and the join,
        // which answers a pre-answered caller. The conversation is over at CHANNEL_UNBRIDGE, or at CHANNEL_PARK when
        // the caller is parked without one.
        this.link.api(`uuid_break ${this.uuid} all`);
        if (!mediaUp) this.link.api(`uuid_answer ${this.uuid}`);
        this.answered = true;
        // An agent's leg gone before the join completes (hung up at once, or killed by a transfer) would hang the
        // caller up with it: the caller is parked instead, under this socket. uuid_bridge_park_on_cancel covers a
        // leg gone while the caller waits for it; park_after_bridge one gone before the caller's thread looks for
        // it (uuid_bridge_on_soft_execute hangs the caller up with DESTINATION_OUT_OF_ORDER otherwise), and is
        // taken back at the caller's CHANNEL_BRIDGE.
        // hotline_agent_answered at once too: a conversation that outlives this router must not be queued again.
        // (A parked caller has no socket to resume: FreeSWITCH reads every byte of a command with two system calls.)
        this.link.api(
          `uuid_setvar_multi ${this.uuid} ${this.parked ? '' : 'socket_resume=false;'}uuid_bridge_park_on_cancel=true;park_after_bridge=true;hotline_agent_answered=true` +
            (o.afterConversation === 'hangup' ? ';hangup_after_bridge=true' : ''),
        );
        this.link.on('CHANNEL_PARK', onUnbridge);
        this.subscribeJoinEvents();
        this.link.api(`uuid_bridge ${this.uuid} ${leg}`, (r: Event) => {
          // The agent hung up at once, or the caller did: there was no conversation to wait for.
          if (!(r.getBody() ?? '').startsWith('+OK')) {
            void this.apiSettled(`uuid_setvar ${this.uuid} socket_resume true`);
            done({ bridged: true, disposition: 'SUCCESS', otherUuid: leg });
          }
        });
      };
      this.link.bgapi(`originate ${o.dial} &park()`, onJob);
      let mediaUp = this.answered;
      if (o.ringback) {
        // A parked caller's playback starts at once (the park loop takes the message) and pre-answers the channel
        // itself, long before an agent can answer: no api of its own, which would hold the command socket's
        // listener thread 10-45 ms and cost FreeSWITCH about 3 us of CPU per byte read.
        if (!this.parked) this.link.api(`uuid_pre_answer ${this.uuid}`);
        this.sendApp('playback', o.ringback);
        mediaUp = true;
      } else if (o.ringback === '') {
        // 180 only: the caller's phone plays its own ringback; answered when the agent answers.
        this.sendApp('ring_ready', '');
      }
    });
  }

  /**
   * The end of a conversation joined by uuid_bridge shows as CHANNEL_UNBRIDGE (or CHANNEL_PARK when the caller is
   * parked without one); they are asked for only now, once per channel, so that the socket application's own park
   * at the start of every call is not serialised and sent for nothing.
   */
  private subscribeAppEvents(): void {
    if (this.appEventsOn) return;
    this.appEventsOn = true;
    this.link.subscribe(['CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE']);
  }

  private subscribeJoinEvents(): void {
    if (this.joinEventsOn) return;
    this.joinEventsOn = true;
    this.link.subscribe(['CHANNEL_UNBRIDGE', 'CHANNEL_PARK']);
  }

  /**
   * Stops the application the channel is running (music on hold) so the next one runs at once. Not
   * `uuid_break ... all`: that would also flush applications already queued behind it (a bridge).
   */
  breakCurrent(): Promise<void> {
    return this.apiSettled(`uuid_break ${this.uuid}`).then(() => undefined);
  }

  /** An api command on this socket; settles with '' if the channel goes away first. */
  private apiSettled(command: string): Promise<string> {
    return new Promise((resolve) => {
      if (this.hungUp || this.closed) return resolve('');
      const gone = () => {
        clearTimeout(silent);
        resolve('');
      };
      this.once('hangup', gone);
      this.once('closed', gone);
      const silent = setTimeout(() => {
        if (this.closed) return;
        this.opts.log?.warn(
          { uuid: this.uuid, command: command.split(' ')[0] },
          'ESL peer went silent; socket closed',
        );
        this.opts.onSilent?.(command);
        this.link.destroy();
      }, this.opts.replyTimeoutMs ?? 10_000);
      silent.unref();
      this.link.api(command, (evt: Event) => {
        clearTimeout(silent);
        this.off('hangup', gone);
        this.off('closed', gone);
        resolve(evt.getBody());
      });
    });
  }

  /**
   * Sets a channel variable at once through an api command. `set` is an application: it waits behind whatever
   * the channel is running (a bridge, hold music), and the dialplan's failover reads some variables the moment
   * the router's socket closes.
   */
  setNow(name: string, value: string): Promise<string> {
    return this.apiSettled(`uuid_setvar ${this.uuid} ${name} ${value}`);
  }

  /** Several channel variables in one api command, at once (values without ';' or spaces). */
  setManyNow(vars: Record<string, string>): Promise<string> {
    const pairs = Object.entries(vars).map(([k, v]) => {
      if (!/^[a-z_][a-z0-9_]*$/i.test(k) || /[;\s]/.test(v)) throw new Error(`bad channel variable ${k}`);
      return `${k}=${v}`;
    });
    return this.apiSettled(`uuid_setvar_multi ${this.uuid} ${pairs.join(';')}`);
  }

  /** Early media at once (api uuid_pre_answer): what plays next is heard, and the call is not answered. */
  async preAnswerNow(): Promise<void> {
    await this.apiSettled(`uuid_pre_answer ${this.uuid}`);
  }

  /**
   * Answers at once (api uuid_answer). The answer application would wait for the channel's next turn through
   * its application queue, up to a media frame (20 ms) later.
   */
  async answerNow(): Promise<void> {
    this.answered = true;
    const r = await this.apiSettled(`uuid_answer ${this.uuid}`);
    if (!r.startsWith('+OK') && !this.hungUp) await this.answer();
  }

  /**
   * Hangs up another channel (the agent's leg of this call's bridge) through this socket. A caller joined by
   * uuid_bridge is parked when it ends, under this socket, instead of going on in the dialplan (which is for a
   * conversation the agent ended: see offerAgent); and is again to fail over if this router dies.
   */
  killLeg(uuid: string): Promise<string> {
    this.legKilled = true;
    if (this.joined)
      void this.apiSettled(`uuid_setvar_multi ${this.uuid} park_after_bridge=true;socket_resume=true`);
    return this.apiSettled(`uuid_kill ${uuid}`);
  }

  hangup(cause = 'NORMAL_CLEARING'): void {
    if (this.closed) return;
    this.link.hangup(cause);
  }

  /** Ends the socket session (after the channel is gone, with linger). */
  exit(): void {
    if (this.closed) return;
    this.link.exit();
  }

  private onHangup(e: Event | null): void {
    if (this.hungUp) return;
    this.hungUp = true;
    this.hangupCause =
      e?.getHeader('Hangup-Cause') ?? e?.getHeader('variable_hangup_cause') ?? 'NORMAL_CLEARING';
    this.emit('hangup', this.hangupCause);
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    // No hangup event before the socket closed: the channel may well be up, and the dialplan has moved it on
    // (to the backup router, which adopts the call by its uuid).
    if (!this.hungUp) this.socketLost = true;
    if (!this.hungUp) this.onHangup(null);
    this.emit('closed');
  }
}

function variablesOf(evt: Event): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of evt.headers ?? []) {
    if (h.name.startsWith('variable_')) out[h.name.slice(9)] = h.value;
  }
  return out;
}

export function channelInfoOf(data: Event): ChannelInfo {
  const variables = variablesOf(data);
  return {
    uuid: data.getHeader('Unique-ID') ?? data.getHeader('Channel-Unique-ID') ?? '',
    destination:
      variables.hotline_dialed ??
      data.getHeader('Caller-Destination-Number') ??
      data.getHeader('Channel-Destination-Number') ??
      '',
    callerIdNumber:
      data.getHeader('Caller-Caller-ID-Number') ?? data.getHeader('Channel-Caller-ID-Number') ?? '',
    callerIdName: data.getHeader('Caller-Caller-ID-Name') ?? '',
    // Whole ms: records and counters keep integers (HINCRBY refuses a fraction).
    createdAt: Math.floor(Number(data.getHeader('Caller-Channel-Created-Time') ?? NaN) / 1000),
    variables,
  };
}
