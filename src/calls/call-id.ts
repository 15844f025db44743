// Call ids that sort by when this router took the call (UUID version 7, RFC 9562: the Unix time in ms, then a
// counter within the ms, then random bits), so that two callers whose place in line is the same millisecond keep
// the order the router took them in. That tie is common: FreeSWITCH stamps a channel's creation with its timer's
// clock, which moves in 20 ms steps (switch_micro_time_now returns the last tick; 20 ms unless a 1 ms timer is
// in use), and the queue breaks equal times by call id (acd/policy.ts, and the queue's sorted set in Redis).
// With random (version 4) ids, callers created within one step were served in a random order.
import { randomUUID } from 'node:crypto';

/** The 12-bit counter of version 7's rand_a field. */
const MAX_SEQ = 0xfff;

let lastMs = 0;
let seq = 0;

export function newCallId(now: number = Date.now()): string {
  let ms = Math.floor(now);
  if (ms > lastMs) {
    seq = 0;
  } else {
    // The same millisecond, or a clock stepped back: stay on the last one and count, so that ids never go back.
    ms = lastMs;
    seq += 1;
    if (seq > MAX_SEQ) {
      ms += 1;
      seq = 0;
    }
  }
  lastMs = ms;
  // The random tail (variant and 62 bits) from randomUUID, which draws from a cached pool: one getrandom system
  // call per 128 ids instead of one per id, on every caller's path.
  const msHex = ms.toString(16).padStart(12, '0');
  return `${msHex.slice(0, 8)}-${msHex.slice(8)}-7${seq.toString(16).padStart(3, '0')}-${randomUUID().slice(19)}`;
}
