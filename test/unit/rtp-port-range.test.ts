import { describe, expect, it } from 'vitest';
import { HANDED_OUT_PORTS } from '../helpers/ports.ts';
import { rtpPortRange } from '../real/freeswitch.ts';

describe("the test FreeSWITCH's RTP ports", () => {
  it('never reach the ports the harness hands out (FreeSWITCH does not try a port before it uses it)', () => {
    for (let i = 0; i < 2000; i++) {
      const [start, end] = rtpPortRange();
      expect(start % 2).toBe(0);
      expect(start).toBeGreaterThanOrEqual(1024);
      expect(end - start).toBe(1998);
      expect(end).toBeLessThan(HANDED_OUT_PORTS.first);
    }
  });
});
