// Sub-center lines (设分中心): during the sub-center's hours the edge sends the call to the sub-center's SIP
// address; busy, unreachable or not answering in time, the caller comes to 12345's own seats with the line's skill.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LINES } from '../../src/number-plan/lines.ts';
import type { CallRecord } from '../../src/records/call-records.ts';
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
import { recentRecords } from '../helpers/recent-records.ts';

let stack: EdgeStack;
const legal = DEFAULT_LINES.find((l) => l.number === '12348')!;

async function pointSubcenterAt(port: number, extra: Record<string, unknown> = {}): Promise<void> {
  await stack.router.parts.numberPlan.putLine({
    ...legal,
    subcenterUri: `sip:12348@127.0.0.1:${port}`,
    ...extra,
  } as typeof legal);
}

async function recordFor(pred: (r: CallRecord) => boolean): Promise<CallRecord> {
  return waitFor(
    async () => {
      return (await recentRecords(stack.admin)).find(pred);
    },
    10_000,
    'call record',
  );
}

describe.skipIf(!haveSipp)('sub-center lines through the SIP edge', () => {
  beforeEach(async () => {
    stack = await startEdgeStack();
    await stack.addAgent('l1', '1005', { legal: 1 });
    stack.emulator.setAgent('1005', { behaviour: 'answer', answerAfterMs: 50 });
  });
  afterEach(async () => {
    await stack?.stop();
  });

  it("a sub-center that answers 486 Busy: the caller falls back to 12345's seats with the legal skill", async () => {
    const port = await freeUdpPort();
    await pointSubcenterAt(port);
    const subcenter = await startSipp({ scenario: `${FIXTURE_SCENARIOS}/uas_busy.xml`, port, timeoutS: 15 });
    await settle();
    const desk = await stack.connectDesktop('l1');
    const caller = runSipp({
      scenario: 'uac_call.xml',
      target: stack.sip,
      service: '12348',
      durationMs: 1500,
      keys: { caller: '13700001111', digit: '0', extra: 'X-Carrier: test' },
    });
    const offer = await desk.next('offer', 10_000);
    expect(offer).toMatchObject({ line: '12348', caller: '13700001111' });
    const ch = stack.emulator.channels().find((c) => c.variables['sip_h_X-Hotline-Line'] === '12348');
    expect(ch?.variables['sip_h_X-Hotline-Fallback']).toBe('subcenter-busy');
    expect(ch?.variables['sip_h_X-Hotline-Skill']).toBe('legal');
    const sc = await subcenter.done;
    expect(sc.code, sc.errors).toBe(0);
    // The sub-center saw the caller and the line in its INVITE.
    const invite = received(sc).find((m) => m.startsWith('INVITE'))!;
    expect(invite).toMatch(/^From: .*<sip:13700001111@/m);
    expect(invite).toMatch(/^X-Hotline-Line: 12348$/m);
    const run = await caller;
    expect(run.code, run.errors).toBe(0);
    const rec = await recordFor((r) => r.line === '12348' && r.endedAt !== undefined);
    expect(rec).toMatchObject({ outcome: 'answered', agent: 'l1' });
    expect(stack.edge.stats).toMatchObject({ fallbacks: 1, toPool: 1, toSubcenter: 0 });
  }, 40_000);

  it('a sub-center that rings without answering is cancelled after its timeout and the caller falls back', async () => {
    const port = await freeUdpPort();
    await pointSubcenterAt(port);
    const subcenter = await startSipp({
      scenario: `${FIXTURE_SCENARIOS}/uas_noanswer.xml`,
      port,
      timeoutS: 15,
    });
    await settle();
    const desk = await stack.connectDesktop('l1');
    const started = Date.now();
    const caller = runSipp({
      scenario: 'uac_call.xml',
      target: stack.sip,
      service: '12348',
      durationMs: 1000,
      keys: { caller: '13700002222', digit: '0', extra: 'X-Carrier: test' },
    });
    await desk.next('offer', 15_000);
    // HOTLINE_SIP_SUBCENTER_TIMEOUT_S=3 in the test stack.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    const ch = stack.emulator.channels().find((c) => c.variables['sip_h_X-Hotline-Line'] === '12348');
    expect(ch?.variables['sip_h_X-Hotline-Fallback']).toBe('subcenter-timeout');
    const sc = await subcenter.done;
    expect(sc.code, sc.errors).toBe(0); // it got its CANCEL
    expect((await caller).code).toBe(0);
  }, 40_000);

  it('a sub-center that does not exist on the network (ICMP-less silence) is given up and the caller falls back', async () => {
    await pointSubcenterAt(await freeUdpPort());
    const desk = await stack.connectDesktop('l1');
    const caller = runSipp({
      scenario: 'uac_call.xml',
      target: stack.sip,
      service: '12348',
      durationMs: 800,
      keys: { caller: '13700003333', digit: '0', extra: 'X-Carrier: test' },
    });
    await desk.next('offer', 15_000);
    const ch = stack.emulator.channels().find((c) => c.variables['sip_h_X-Hotline-Line'] === '12348');
    expect(ch?.variables['sip_h_X-Hotline-Fallback']).toMatch(/^subcenter-(timeout|unreachable)$/);
    expect((await caller).code).toBe(0);
  }, 40_000);

  it('a sub-center that answers keeps the call: no FreeSWITCH involved, BYE passed through', async () => {
    const port = await freeUdpPort();
    await pointSubcenterAt(port);
    const subcenter = await startSipp({ scenario: 'uas_answer_info_bye.xml', port, timeoutS: 15 });
    await settle();
    const run = await runSipp({
      scenario: 'uac_call.xml',
      target: stack.sip,
      service: '12348',
      durationMs: 800,
      keys: { caller: '13700004444', digit: '5', extra: 'X-Carrier: test' },
    });
    expect(run.code, run.errors).toBe(0);
    const sc = await subcenter.done;
    expect(sc.code, sc.errors).toBe(0);
    // The DTMF INFO reached the sub-center too (relayed in the dialog).
    expect(received(sc).some((m) => m.startsWith('INFO') && /Signal=5/.test(m))).toBe(true);
    expect(stack.fs[0]!.stats.invites).toBe(0);
    expect(stack.edge.stats).toMatchObject({ toSubcenter: 1, fallbacks: 0 });
  }, 40_000);

  it("outside the sub-center's hours the call goes straight to 12345's seats", async () => {
    const port = await freeUdpPort();
    // Open only for a minute the day after tomorrow (Shanghai time): closed now, whatever the clock says.
    const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
    const today = new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', weekday: 'short' })
      .format(new Date())
      .toLowerCase()
      .slice(0, 3);
    const later = days[(days.indexOf(today) + 2) % 7]!;
    await pointSubcenterAt(port, { subcenterHours: `${later} 00:00-00:01` });
    const desk = await stack.connectDesktop('l1');
    const caller = runSipp({
      scenario: 'uac_call.xml',
      target: stack.sip,
      service: '12348',
      durationMs: 800,
      keys: { caller: '13700005555', digit: '0', extra: 'X-Carrier: test' },
    });
    await desk.next('offer', 10_000);
    const ch = stack.emulator.channels().find((c) => c.variables['sip_h_X-Hotline-Line'] === '12348');
    expect(ch?.variables['sip_h_X-Hotline-Fallback']).toBeUndefined();
    expect((await caller).code).toBe(0);
    expect(stack.edge.stats).toMatchObject({ toSubcenter: 0, fallbacks: 0, toPool: 1 });
  }, 40_000);
});
