// The overload control on the real FreeSWITCH: with the threshold at 1 ms every burst of new sockets reads as an
// overloaded switch, so a share of a burst of callers is told the line is busy as early media and gets 486 Busy
// Here from FreeSWITCH, each recorded as busy and never answered. (Staging a truly overloaded switch takes the
// realfs bench: `npm run bench -- realfs --modes=router --rates=30,35,40`.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/stack.ts';
import { havePeers } from './freeswitch.ts';
import { placeCall, type Sipp } from './sip.ts';
import { startRealStack, type RealStack } from './stack.ts';

describe.skipIf(!havePeers)('real FreeSWITCH: an overloaded switch turns callers away', () => {
  let s: RealStack;
  beforeAll(async () => {
    s = await startRealStack({ HOTLINE_SHED_CONNECT_MS: '1' });
  });
  afterAll(async () => s?.stop());

  it('tells a share of a burst of callers the line is busy (early media, then 486), recorded as busy', async () => {
    // Nobody on duty: callers let in wait in the queue, then hang up.
    // Two bursts 0.7 s apart: the first fills a half second (each burst all at once, as a sipp takes a moment to
    // start), the second finds its verdict.
    const burst = (from: number) =>
      Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const who = `1390000${String(from + i)}`;
          const steps = [{ wait: 6000 }, { hangup: true as const }];
          return { who, sipp: await placeCall(s.fs, { dialled: '12345', callerId: who, steps }) };
        }),
      );
    const calls: Array<{ who: string; sipp: Sipp }> = await burst(6000);
    await new Promise((r) => setTimeout(r, 700));
    calls.push(...(await burst(6100)));
    await Promise.all(calls.map((c) => c.sipp.done));
    const recs = await waitFor(
      async () => {
        const r = await s.records();
        return r.filter((x) => calls.some((c) => c.who === x.caller)).length === calls.length ? r : null;
      },
      30_000,
      'every caller recorded',
    );
    const busy = recs.filter((r) => r.outcome === 'busy');
    expect(busy.length).toBeGreaterThan(0);
    expect(busy.length).toBeLessThan(calls.length);
    for (const r of busy) {
      expect(r).toMatchObject({ ivrPath: ['线路繁忙'] });
      expect(r.answeredAt).toBeUndefined();
      const trace = calls.find((c) => c.who === r.caller)!.sipp.messages();
      expect(trace).toMatch(/SIP\/2\.0 183 /);
      expect(trace).toMatch(/SIP\/2\.0 486 /);
      expect(trace).not.toMatch(/SIP\/2\.0 200 OK[\s\S]*CSeq: 1 INVITE/);
    }
    const health = (await s.admin('/health')).body;
    expect(health.socketServer.switchPressure.turnedAway).toBe(busy.length);
  }, 120_000);
});
