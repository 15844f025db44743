// Channel states (switch_channel_state_t) in FreeSWITCH's numbering; events carry both the name
// (Channel-State, from the running state) and the number (Channel-State-Number, from the target state).
export const CHANNEL_STATES = [
  'CS_NEW',
  'CS_INIT',
  'CS_ROUTING',
  'CS_SOFT_EXECUTE',
  'CS_EXECUTE',
  'CS_EXCHANGE_MEDIA',
  'CS_PARK',
  'CS_CONSUME_MEDIA',
  'CS_HIBERNATE',
  'CS_RESET',
  'CS_HANGUP',
  'CS_REPORTING',
  'CS_DESTROY',
  'CS_NONE',
] as const;
export type ChannelState = (typeof CHANNEL_STATES)[number];

export function stateNumber(s: ChannelState): number {
  return CHANNEL_STATES.indexOf(s);
}

/** switch_channel_callstate_t names as they appear in Channel-Call-State. */
export type CallState =
  'DOWN' | 'DIALING' | 'RINGING' | 'EARLY' | 'ACTIVE' | 'HELD' | 'RING_WAIT' | 'HANGUP' | 'UNHELD';

/** Answer-State values (switch_channel_event_set_basic_data). */
export type AnswerState = 'ringing' | 'early' | 'answered' | 'hangup';
