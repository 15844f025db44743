import type { AnswerState, CallState, ChannelState } from './states.ts';
import { stateNumber } from './states.ts';
import { VarMap } from './var-map.ts';

/** Timestamps of a caller profile, in microseconds since the epoch (0 = not yet). */
export interface ProfileTimes {
  profileCreated: number;
  created: number;
  answered: number;
  progress: number;
  progressMedia: number;
  hangup: number;
  transfer: number;
  resurrect: number;
  bridged: number;
  lastHold: number;
  holdAccum: number;
}

/** switch_caller_profile_t: only non-empty fields are serialised, as switch_caller_profile_event_set_data does. */
export interface CallerProfile {
  direction: 'inbound' | 'outbound';
  logicalDirection: 'inbound' | 'outbound';
  username?: string;
  dialplan?: string;
  callerIdName?: string;
  callerIdNumber?: string;
  origCallerIdName?: string;
  origCallerIdNumber?: string;
  calleeIdName?: string;
  calleeIdNumber?: string;
  networkAddr?: string;
  ani?: string;
  destinationNumber: string;
  /** The number dialled before a transfer (switch_ivr_session_transfer sets it to the old destination). */
  rdnis?: string;
  uuid: string;
  source: string;
  /** Set when the leg was transferred (uuid_bridge counts as one): "<epoch>:<uuid>:uuid_br:<other>". */
  transferSource?: string;
  context: string;
  channelName: string;
  profileIndex: string;
  times: ProfileTimes;
}

export function emptyTimes(now: number): ProfileTimes {
  return {
    profileCreated: now,
    created: now,
    answered: 0,
    progress: 0,
    progressMedia: 0,
    hangup: 0,
    transfer: 0,
    resurrect: 0,
    bridged: 0,
    lastHold: 0,
    holdAccum: 0,
  };
}

export type Tech = 'sofia' | 'loopback' | 'null' | 'user';

/**
 * A call leg. Holds what switch_channel_t holds that shows up on the wire: states, flags, the caller profile,
 * the "other leg" profile copied in at bridge time, and the ordered variables.
 */
export class Channel {
  readonly vars = new VarMap();
  state: ChannelState = 'CS_NEW';
  runningState: ChannelState = 'CS_NEW';
  callState: CallState = 'DOWN';
  answerState: AnswerState = 'ringing';
  hitDialplan = false;
  answered = false;
  preAnswered = false;
  ringReady = false;
  mediaUp = false;
  /** Read/write codec once media is up (PCMU for SIP legs, L16 for loopback/null). */
  codec?: { name: string; rate: number; bitRate: number };
  hangupCause?: string;
  hangupBy?: 'caller' | 'switch' | 'agent' | 'router';
  /** The bridged partner's uuid while bridged. */
  bridgedTo?: string;
  /** Last bridge partner, kept after unbridge for summaries. */
  lastBridgedTo?: string;
  other?: { type: 'originatee' | 'originator'; profile: CallerProfile };
  presenceId?: string;
  /** SIP variables sofia adds at reporting time, after the *_usec block (hangup disposition, failure status). */
  cdrSipVars: Array<[string, string]> = [];
  /** Last application started on the leg and its argument (CDR last_app / last_arg). */
  lastApp?: string;
  lastArg?: string;
  /** Set when the leg's hangup has been fully reported (CHANNEL_HANGUP_COMPLETE fired). */
  destroyed = false;
  readonly createdMs = Date.now();
  /** DTMF digits received but not yet consumed by an application (switch_channel_queue_dtmf). */
  readonly dtmfQueue: Array<{ digit: string; duration: number; source: string }> = [];

  constructor(
    readonly uuid: string,
    public name: string,
    readonly direction: 'inbound' | 'outbound',
    readonly tech: Tech,
    /** Replaced by a transfer (a new caller profile, switch_channel_set_caller_profile). */
    public profile: CallerProfile,
  ) {}

  get stateNumber(): number {
    return stateNumber(this.state);
  }

  /** switch_channel_up: not yet hung up. */
  get up(): boolean {
    return this.hangupCause === undefined;
  }
}
