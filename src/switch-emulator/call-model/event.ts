import { EventEmitter } from 'node:events';

/** One FreeSWITCH event as the core fires it: ordered headers (duplicates allowed, as FS allows) and an optional body. */
export interface SwitchEvent {
  name: string;
  subclass?: string;
  headers: Array<[string, string]>;
  body?: string;
}

export interface CallSite {
  file: string;
  func: string;
  line: number;
}

// Where FreeSWITCH 1.10.12 fires each event (Event-Calling-* headers as recorded in the transcripts).
export const CALL_SITES: Record<string, CallSite> = {
  CHANNEL_CREATE: { file: 'switch_core_state_machine.c', func: 'switch_core_session_run', line: 626 },
  CHANNEL_DATA: { file: 'mod_event_socket.c', func: 'parse_command', line: 2021 },
  CHANNEL_EXECUTE: { file: 'switch_core_session.c', func: 'switch_core_session_exec', line: 2944 },
  CHANNEL_EXECUTE_COMPLETE: { file: 'switch_core_session.c', func: 'switch_core_session_exec', line: 2967 },
  CHANNEL_PROGRESS: {
    file: 'switch_channel.c',
    func: 'switch_channel_perform_mark_ring_ready_value',
    line: 3505,
  },
  CHANNEL_PROGRESS_MEDIA: {
    file: 'switch_channel.c',
    func: 'switch_channel_perform_mark_pre_answered',
    line: 3560,
  },
  CHANNEL_ANSWER: { file: 'switch_channel.c', func: 'switch_channel_perform_mark_answered', line: 3846 },
  CHANNEL_HANGUP: { file: 'switch_channel.c', func: 'switch_channel_perform_hangup', line: 3445 },
  CHANNEL_HANGUP_COMPLETE: {
    file: 'switch_core_state_machine.c',
    func: 'switch_core_session_reporting_state',
    line: 943,
  },
  CHANNEL_DESTROY: { file: 'switch_core_session.c', func: 'switch_core_session_perform_destroy', line: 1636 },
  CHANNEL_STATE: { file: 'switch_channel.c', func: 'switch_channel_perform_set_running_state', line: 2408 },
  CHANNEL_CALLSTATE: { file: 'switch_channel.c', func: 'switch_channel_perform_set_callstate', line: 340 },
  CHANNEL_BRIDGE: { file: 'switch_ivr_bridge.c', func: 'switch_ivr_multi_threaded_bridge', line: 1689 },
  CHANNEL_UNBRIDGE: { file: 'switch_ivr_bridge.c', func: 'switch_ivr_multi_threaded_bridge', line: 1879 },
  CHANNEL_PARK: { file: 'switch_ivr.c', func: 'switch_ivr_park', line: 1001 },
  CHANNEL_UNPARK: { file: 'switch_ivr.c', func: 'switch_ivr_park', line: 1213 },
  CHANNEL_ORIGINATE: { file: 'switch_ivr_originate.c', func: 'switch_ivr_originate', line: 3667 },
  CHANNEL_OUTGOING: {
    file: 'switch_core_session.c',
    func: 'switch_core_session_outgoing_channel',
    line: 781,
  },
  DTMF: { file: 'switch_channel.c', func: 'switch_channel_dequeue_dtmf', line: 677 },
  BACKGROUND_JOB: { file: 'mod_event_socket.c', func: 'api_exec', line: 1572 },
  HEARTBEAT: { file: 'switch_core.c', func: 'send_heartbeat', line: 91 },
};

export interface CoreIdentity {
  coreUuid: string;
  hostname: string;
  ipv4: string;
  ipv6: string;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');

/** "2026-11-22 15:20:14" in local time, as Event-Date-Local and the *_stamp CDR variables print it. */
export function localStamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
}

/** "Sun, 22 Nov 2026 15:20:14 GMT" (Event-Date-GMT). */
export function gmtStamp(ms: number): string {
  const d = new Date(ms);
  return `${WEEKDAYS[d.getUTCDay()]}, ${p2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} GMT`;
}

/** RFC 2822 date with numeric zone, as the default dialplan's strftime(%a, %d %b %Y %T %z) prints it. */
export function rfc2822(ms: number): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const a = Math.abs(off);
  return `${WEEKDAYS[d.getDay()]}, ${p2(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${sign}${p2(Math.floor(a / 60))}${p2(a % 60)}`;
}

/** Microseconds since the epoch, monotonic within the process (FreeSWITCH timestamps are usec). */
export function nowUsec(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

/**
 * The core event bus: stamps the common headers in switch_event_prep_for_delivery's order and hands
 * the event to every subscriber (ESL listeners) synchronously, so delivery order equals firing order.
 */
export class EventBus extends EventEmitter {
  private seq = 0;

  constructor(private readonly id: CoreIdentity) {
    super();
    this.setMaxListeners(0);
  }

  get coreUuid(): string {
    return this.id.coreUuid;
  }

  get identity(): CoreIdentity {
    return this.id;
  }

  /** Build the head of an event; `pre` are headers FS adds before prep (e.g. Event-Subclass sits first). */
  stamp(name: string, site: CallSite | undefined, subclass?: string): Array<[string, string]> {
    const us = nowUsec();
    const ms = Math.floor(us / 1000);
    const s = site ??
      CALL_SITES[name] ?? { file: 'switch_event.c', func: 'switch_event_fire_detailed', line: 1 };
    const h: Array<[string, string]> = [];
    if (subclass) h.push(['Event-Subclass', subclass]);
    h.push(
      ['Event-Name', name],
      ['Core-UUID', this.id.coreUuid],
      ['FreeSWITCH-Hostname', this.id.hostname],
      ['FreeSWITCH-Switchname', this.id.hostname],
      ['FreeSWITCH-IPv4', this.id.ipv4],
      ['FreeSWITCH-IPv6', this.id.ipv6],
      ['Event-Date-Local', localStamp(ms)],
      ['Event-Date-GMT', gmtStamp(ms)],
      ['Event-Date-Timestamp', String(us)],
      ['Event-Calling-File', s.file],
      ['Event-Calling-Function', s.func],
      ['Event-Calling-Line-Number', String(s.line)],
      ['Event-Sequence', String(++this.seq)],
    );
    return h;
  }

  fire(ev: SwitchEvent): void {
    this.emit('event', ev);
  }
}
