// The overload control fed with joins, on the real FreeSWITCH: with HOTLINE_SHED_JOIN_MS at 1 ms every join (an
// agent's answer to the caller put through, a frame or more on any switch) reads as slow, so once two half seconds
// of joins have come in, a share of the callers who arrive after them is told the line is busy (486 Busy Here),
// each recorded as busy, while the rest are put through. (A truly overloaded switch takes the realfs bench:
// `npm run bench -- realfs --modes=routerpark --rates=45`.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMessageLog } from '../../src/bench/realfs-sipp.ts';
import { waitFor } from '../helpers/stack.ts';
import { havePeers } from './freeswitch.ts';
import { QUICK_12345 } from './routers.ts';
import { placeCalls, startPhones, type Phones } from './sip.ts';
import { startRealStack, type RealStack } from './stack.ts';

describe.skipIf(!havePeers)('real FreeSWITCH: slow joins turn callers away', () => {
  let s: RealStack;
  let phones: Phones;
  // The shipped directory's ten softphones (1001-1010).
  const extensions = Array.from({ length: 10 }, (_, i) => String(1001 + i));
  beforeAll(async () => {
    // The arrival control off: one slow connect on a loaded machine must not turn callers away for another reason.
    s = await startRealStack({ HOTLINE_SHED_JOIN_MS: '1', HOTLINE_SHED_CONNECT_MS: '0' });
    // FreeSWITCH's default of 30 new sessions a second would refuse some of 20 callers and their agents' legs a
    // second (503, DESTINATION_OUT_OF_ORDER): that limit is not what this test is about.
    await s.fs.api('fsctl sps 1000');
    phones = await startPhones(s.fs, extensions, { behaviour: 'answer', ringMs: 100, talkMs: 400 });
    for (const ext of extensions) await s.addAgent(`sj${ext}`, ext, { general: 1 });
    // No greeting: callers reach the queue, and their joins the control, as they arrive.
    const pub = await s.admin('/admin/ivr/12345/publish', {
      method: 'POST',
      body: { operator: 'test', doc: QUICK_12345 },
    });
    expect(pub.status, JSON.stringify(pub.body)).toBe(200);
  }, 120_000);
  afterAll(async () => {
    phones?.stop();
    await s?.stop();
  });

  it('tells a share of later callers the line is busy (486), recorded as busy; the others are put through', async () => {
    const callerIds = Array.from({ length: 60 }, (_, i) => `1390000${String(7100 + i)}`);
    // 20 calls/s for 3 s; each caller stays 4 s after its answer unless FreeSWITCH ends the call first.
    const sipp = await placeCalls(s.fs, {
      dialled: '12345',
      callerIds,
      perSecond: 20,
      steps: [{ wait: 4000 }, { hangup: true }],
      timeoutS: 60,
    });
    await sipp.done;
    const mine = new Set(callerIds);
    const recs = await waitFor(
      async () => {
        const r = (await s.records()).filter((x) => mine.has(x.caller));
        return r.length === callerIds.length ? r : null;
      },
      30_000,
      'every caller recorded',
    );
    const busy = recs.filter((r) => r.outcome === 'busy');
    expect(busy.length).toBeGreaterThan(0);
    expect(busy.length).toBeLessThan(callerIds.length);
    // The join control's first half second starts at the first caller's verdict, and it needs two of them with
    // five joins each: nobody is turned away in the first second, whatever the phones do.
    const firstTen = new Set(callerIds.slice(0, 10));
    expect(busy.filter((r) => firstTen.has(r.caller))).toHaveLength(0);
    expect(recs.filter((r) => r.outcome === 'answered').length).toBeGreaterThanOrEqual(10);
    // What each busy caller's phone got: 486, never a 200 OK to its INVITE.
    const responses = parseMessageLog(sipp.messages()).filter(
      (m) => m.dir === 'recv' && m.status > 0 && m.cseqMethod === 'INVITE',
    );
    for (const r of busy) {
      expect(r).toMatchObject({ ivrPath: ['线路繁忙'] });
      expect(r.answeredAt).toBeUndefined();
      const statuses = responses.filter((m) => m.fromUser === r.caller).map((m) => m.status);
      expect(statuses).toContain(486);
      expect(statuses).not.toContain(200);
    }
    const health = (await s.admin('/health')).body;
    expect(health.socketServer.joinPressure.turnedAway).toBe(busy.length);
  }, 120_000);
});
