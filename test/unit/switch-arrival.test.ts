// A caller's place in line when they reach the queue directly: when the switch took the call, on the router's clock.
import esl from 'modesl';
import { describe, expect, it } from 'vitest';
import { switchArrival } from '../../src/calls/call-session.ts';
import { channelInfoOf } from '../../src/esl/channel-control.ts';

describe('switchArrival', () => {
  const now = 1_800_000_000_000;

  it("takes the channel's creation when it is a moment ago", () => {
    expect(switchArrival(now - 35, now)).toBe(now - 35);
  });

  it('falls back to now for a creation it cannot trust', () => {
    expect(switchArrival(Number.NaN, now)).toBe(now);
    // A switch whose clock runs ahead of this router's.
    expect(switchArrival(now + 20, now)).toBe(now);
    // Long past: an old channel (adopted, or a clock far behind) is not a new arrival.
    expect(switchArrival(now - 120_000, now)).toBe(now);
  });

  it("reads FreeSWITCH's Caller-Channel-Created-Time (microseconds) from the channel's data", () => {
    const e = new esl.Event('CHANNEL_PARK');
    e.addHeader('Unique-ID', '3f1c2b9e-5c1d-4d7e-9a51-0d6c3b2a1f00');
    e.addHeader('Caller-Channel-Created-Time', '1800000000123456');
    expect(channelInfoOf(e).createdAt).toBe(1_800_000_000_123);
    const bare = new esl.Event('CHANNEL_DATA');
    expect(channelInfoOf(bare).createdAt).toBeNaN();
  });
});
