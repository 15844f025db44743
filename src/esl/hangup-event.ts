// A channel's end as the router hears it from FreeSWITCH, whichever socket brought it.
import type { Event } from 'modesl';

/**
 * CHANNEL_HANGUP_COMPLETE on the router's inbound link, or CHANNEL_HANGUP on the parked-call event socket: with
 * parked callers on, the link leaves theirs out (src/esl/README.md) and the event socket, which takes no
 * HANGUP_COMPLETE, already carries the same headers (hangup cause, times, bridge variables).
 */
export function isHangupEvent(e: Event): boolean {
  const name = e.getHeader('Event-Name');
  return name === 'CHANNEL_HANGUP_COMPLETE' || name === 'CHANNEL_HANGUP';
}
