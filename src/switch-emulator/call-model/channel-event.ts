import type { CallerProfile, Channel } from './channel.ts';
import type { CallSite, EventBus, SwitchEvent } from './event.ts';

// Events that carry the variable_* block (switch_channel_event_set_extended_data's list in switch_channel.c);
// CHANNEL_STATE, CHANNEL_CALLSTATE and DTMF do not.
const WITH_VARIABLES = new Set([
  'CHANNEL_CREATE',
  'CHANNEL_ORIGINATE',
  'CHANNEL_UUID',
  'CHANNEL_ANSWER',
  'CHANNEL_PARK',
  'CHANNEL_UNPARK',
  'CHANNEL_BRIDGE',
  'CHANNEL_UNBRIDGE',
  'CHANNEL_PROGRESS',
  'CHANNEL_PROGRESS_MEDIA',
  'CHANNEL_HANGUP',
  'CHANNEL_HANGUP_COMPLETE',
  'REQUEST_PARAMS',
  'CHANNEL_DATA',
  'CHANNEL_EXECUTE',
  'CHANNEL_EXECUTE_COMPLETE',
  'CHANNEL_DESTROY',
  'SESSION_HEARTBEAT',
  'API',
  'RECORD_START',
  'RECORD_STOP',
  'PLAYBACK_START',
  'PLAYBACK_STOP',
  'CALL_UPDATE',
  'MEDIA_BUG_START',
  'MEDIA_BUG_STOP',
  'CHANNEL_HOLD',
  'CHANNEL_UNHOLD',
  'CUSTOM',
]);

/** switch_caller_profile_event_set_data: "<prefix>-Field" headers, empty fields left out. */
export function profileHeaders(p: CallerProfile, prefix: string, withIndex = true): Array<[string, string]> {
  const h: Array<[string, string]> = [];
  const add = (k: string, v: string | undefined): void => {
    if (v !== undefined && v !== '') h.push([`${prefix}-${k}`, v]);
  };
  add('Direction', p.direction);
  add('Logical-Direction', p.logicalDirection);
  add('Username', p.username);
  add('Dialplan', p.dialplan);
  add('Caller-ID-Name', p.callerIdName);
  add('Caller-ID-Number', p.callerIdNumber);
  add('Orig-Caller-ID-Name', p.origCallerIdName);
  add('Orig-Caller-ID-Number', p.origCallerIdNumber);
  add('Callee-ID-Name', p.calleeIdName);
  add('Callee-ID-Number', p.calleeIdNumber);
  add('Network-Addr', p.networkAddr);
  add('ANI', p.ani);
  add('Destination-Number', p.destinationNumber);
  add('Unique-ID', p.uuid);
  add('Source', p.source);
  if (withIndex) add('Transfer-Source', p.transferSource);
  add('Context', p.context);
  add('RDNIS', p.rdnis);
  add('Channel-Name', p.channelName);
  if (withIndex) add('Profile-Index', p.profileIndex);
  const t = p.times;
  h.push(
    [`${prefix}-Profile-Created-Time`, String(t.profileCreated)],
    [`${prefix}-Channel-Created-Time`, String(t.created)],
    [`${prefix}-Channel-Answered-Time`, String(t.answered)],
    [`${prefix}-Channel-Progress-Time`, String(t.progress)],
    [`${prefix}-Channel-Progress-Media-Time`, String(t.progressMedia)],
    [`${prefix}-Channel-Hangup-Time`, String(t.hangup)],
    [`${prefix}-Channel-Transfer-Time`, String(t.transfer)],
    [`${prefix}-Channel-Resurrect-Time`, String(t.resurrect)],
    [`${prefix}-Channel-Bridged-Time`, String(t.bridged)],
    [`${prefix}-Channel-Last-Hold`, String(t.lastHold)],
    [`${prefix}-Channel-Hold-Accum`, String(t.holdAccum)],
    [`${prefix}-Screen-Bit`, 'true'],
    [`${prefix}-Privacy-Hide-Name`, 'false'],
    [`${prefix}-Privacy-Hide-Number`, 'false'],
  );
  return h;
}

/** switch_channel_event_set_basic_data. */
export function basicHeaders(ch: Channel): Array<[string, string]> {
  const h: Array<[string, string]> = [
    ['Channel-State', ch.runningState],
    ['Channel-Call-State', ch.callState],
    ['Channel-State-Number', String(ch.stateNumber)],
    ['Channel-Name', ch.name],
    ['Unique-ID', ch.uuid],
    ['Call-Direction', ch.direction],
    ['Presence-Call-Direction', ch.direction],
    ['Channel-HIT-Dialplan', ch.hitDialplan ? 'true' : 'false'],
  ];
  if (ch.presenceId) h.push(['Channel-Presence-ID', ch.presenceId]);
  h.push(['Channel-Call-UUID', ch.vars.get('call_uuid') ?? ch.uuid], ['Answer-State', ch.answerState]);
  if (ch.hangupCause) h.push(['Hangup-Cause', ch.hangupCause]);
  if (ch.codec) {
    const { name, rate, bitRate } = ch.codec;
    h.push(
      ['Channel-Read-Codec-Name', name],
      ['Channel-Read-Codec-Rate', String(rate)],
      ['Channel-Read-Codec-Bit-Rate', String(bitRate)],
      ['Channel-Write-Codec-Name', name],
      ['Channel-Write-Codec-Rate', String(rate)],
      ['Channel-Write-Codec-Bit-Rate', String(bitRate)],
    );
  }
  return h;
}

/** switch_channel_event_set_data: basic data, caller profile, other leg, then the variables where FS adds them. */
export function channelDataHeaders(ch: Channel, eventName: string): Array<[string, string]> {
  const h = basicHeaders(ch);
  h.push(...profileHeaders(ch.profile, 'Caller'));
  if (ch.other) {
    h.push(['Other-Type', ch.other.type]);
    h.push(...profileHeaders(ch.other.profile, 'Other-Leg', false));
  }
  if (WITH_VARIABLES.has(eventName)) {
    for (const [k, v] of ch.vars.entries()) h.push([`variable_${k}`, v]);
  }
  return h;
}

export interface ChannelEventOptions {
  /** Headers FS adds before the channel data (Bridge-A-Unique-ID, Hangup-Cause on HANGUP_COMPLETE, ...). */
  pre?: Array<[string, string]>;
  /** Headers FS adds after the channel data (Application-*, DTMF-*). */
  post?: Array<[string, string]>;
  site?: CallSite;
}

export function buildChannelEvent(
  bus: EventBus,
  ch: Channel,
  name: string,
  o: ChannelEventOptions = {},
): SwitchEvent {
  const headers = bus.stamp(name, o.site);
  if (o.pre) headers.push(...o.pre);
  headers.push(...channelDataHeaders(ch, name));
  if (o.post) headers.push(...o.post);
  return { name, headers };
}
