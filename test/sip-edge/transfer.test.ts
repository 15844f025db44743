// Transfers at the SIP level: an agent in 12345 sends the caller to a sub-center (FreeSWITCH's uuid_deflect: a
// REFER to the edge), and the sub-center sends them back (a REFER of its own). Each time the edge sets up the
// new leg first, moves the caller onto it with a re-INVITE, reports to the referrer with NOTIFY (sipfrag) and
// releases it; a transfer that fails leaves the caller where they were.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LINES } from '../../src/number-plan/lines.ts';
import { waitFor } from '../helpers/stack.ts';
import { startEdgeStack, type EdgeStack } from './helpers/edge-stack.ts';
import {
  FIXTURE_SCENARIOS,
  freeUdpPort,
  haveSipp,
  received,
  runSipp,
  settle,
  startSipp,
} from './helpers/sipp.ts';

let stack: EdgeStack;
const legal = DEFAULT_LINES.find((l) => l.number === '12348')!;

describe.skipIf(!haveSipp)('transfers through the SIP edge', () => {
  beforeEach(async () => {
    stack = await startEdgeStack();
    await stack.addAgent('g1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
  });
  afterEach(async () => {
    await stack?.stop();
  });

  it('an agent transfers the caller to the legal sub-center by REFER, and the sub-center sends them back', async () => {
    const port = await freeUdpPort();
    await stack.router.parts.numberPlan.putLine({ ...legal, subcenterUri: `sip:12348@127.0.0.1:${port}` });
    const subcenter = await startSipp({
      scenario: 'uas_refer_back.xml',
      port,
      timeoutS: 25,
      keys: { refer_to: `sip:12345@${stack.sip}` },
    });
    await settle();
    const desk = await stack.connectDesktop('g1');
    const caller = runSipp({
      scenario: 'uac_transferred.xml',
      target: stack.sip,
      service: '12345',
      durationMs: 1500,
      timeoutS: 25,
      keys: { caller: '13500001111', digit: '0', extra: 'X-Carrier: test' },
    });
    await desk.next('answered', 10_000);
    const fs = stack.fs[0]!;
    const first = fs.list().find((c) => c.state !== 'ended')!;
    expect(first.sipHeaders['X-Hotline-Line']).toBe('12345');

    // What FreeSWITCH does for `uuid_deflect <uuid> sip:12348@<edge>`.
    expect(await fs.deflect(first.uuid, `sip:12348@${stack.sip}`)).toBe(202);

    // The sub-center sends the caller back: a second call reaches FreeSWITCH, on the legal line's skill.
    await waitFor(() => fs.stats.invites === 2, 15_000, 'the call back to 12345');
    const back = fs.list().find((c) => c.callId !== first.callId)!;
    expect(back.sipHeaders).toMatchObject({
      'X-Hotline-Line': '12348',
      'X-Hotline-Skill': 'legal',
      'X-Hotline-Transfer': 'from-subcenter',
      'X-Hotline-Caller': '13500001111',
    });
    const run = await caller;
    expect(run.code, run.errors || run.stderr).toBe(0);
    // Moved twice: to the sub-center's media, then back to FreeSWITCH's.
    const reinvites = received(run).filter((m) => m.startsWith('INVITE'));
    expect(reinvites).toHaveLength(2);
    expect(reinvites[0]).toMatch(/o=subcenter/);
    expect(reinvites[1]).toMatch(/o=FreeSWITCH/);
    const sc = await subcenter.done;
    expect(sc.code, sc.errors || sc.stderr).toBe(0);
    const notifies = received(sc).filter((m) => m.startsWith('NOTIFY'));
    expect(notifies.map((n) => /SIP\/2\.0 \d+ [^\r\n]*/.exec(n.split(/\r?\n\r?\n/)[1] ?? '')?.[0])).toEqual([
      'SIP/2.0 100 Trying',
      'SIP/2.0 200 OK',
    ]);
    expect(stack.edge.stats.transfers).toBe(2);
    // The first FreeSWITCH leg was released by the edge once the sub-center had answered.
    await waitFor(
      () => fs.list().find((c) => c.callId === first.callId)?.state === 'ended',
      5000,
      'first leg ended',
    );
  }, 60_000);

  it('a REFER to a sub-center that is busy fails: NOTIFY 486, the caller stays with the agent', async () => {
    const port = await freeUdpPort();
    await stack.router.parts.numberPlan.putLine({ ...legal, subcenterUri: `sip:12348@127.0.0.1:${port}` });
    const subcenter = await startSipp({ scenario: `${FIXTURE_SCENARIOS}/uas_busy.xml`, port, timeoutS: 15 });
    await settle();
    const desk = await stack.connectDesktop('g1');
    const caller = runSipp({
      scenario: 'uac_call.xml',
      target: stack.sip,
      service: '12345',
      durationMs: 2500,
      keys: { caller: '13500002222', digit: '0', extra: 'X-Carrier: test' },
    });
    await desk.next('answered', 10_000);
    const fs = stack.fs[0]!;
    const first = fs.list().find((c) => c.state !== 'ended')!;
    const notifies: string[] = [];
    fs.on('notify', (_c, body) => notifies.push(body.trim()));
    expect(await fs.deflect(first.uuid, `sip:12348@${stack.sip}`)).toBe(202);
    expect((await subcenter.done).code).toBe(0);
    await waitFor(() => notifies.length === 2, 5000, 'NOTIFYs');
    expect(notifies).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 486 Busy Here']);
    await new Promise((r) => setTimeout(r, 300));
    expect(fs.list().find((c) => c.callId === first.callId)?.state).toBe('confirmed');
    // And a REFER to somewhere that is not a hotline number or sub-center is refused outright.
    expect(await fs.deflect(first.uuid, 'sip:13800138000@elsewhere.example')).toBe(403);
    const run = await caller;
    expect(run.code, run.errors).toBe(0);
  }, 40_000);
});
