// Carrier calls through the SIP edge, end to end: sipp -> drachtio-server emulator -> the router's drachtio-srf
// app -> an emulated FreeSWITCH (SIP) -> its dialplan's socket -> the router's call flow -> agent desktop.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/records/call-records.ts';
import { waitFor } from '../helpers/stack.ts';
import { startEdgeStack, type EdgeStack } from './helpers/edge-stack.ts';
import { haveSipp, received, runSipp } from './helpers/sipp.ts';
import { recentRecords } from '../helpers/recent-records.ts';

let stack: EdgeStack;

describe.skipIf(!haveSipp)('carrier calls through the SIP edge', () => {
  beforeEach(async () => {
    stack = await startEdgeStack();
  });
  afterEach(async () => {
    await stack?.stop();
  });

  async function recordFor(pred: (r: CallRecord) => boolean): Promise<CallRecord> {
    return waitFor(
      async () => {
        return (await recentRecords(stack.admin)).find(pred);
      },
      10_000,
      'call record',
    );
  }

  it('a call to 12345 forwarded from retired 12333 (Diversion) reaches the 12333 line, pops the screen and is recorded', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    await stack.addAgent('h1', '1002', { hrss: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 100 });
    stack.emulator.setAgent('1002', { behaviour: 'answer', answerAfterMs: 100 });
    const desk = await stack.connectDesktop('h1');
    const other = await stack.connectDesktop('g1');

    const call = runSipp({
      scenario: 'uac_call.xml',
      target: stack.sip,
      service: '12345',
      durationMs: 2500,
      keys: {
        caller: '+8613812345678',
        digit: '0',
        extra: 'Diversion: <sip:12333@carrier.example.cn;user=phone>;reason=unconditional;counter=1',
      },
    });
    const offer = await desk.next('offer', 10_000);
    expect(offer).toMatchObject({
      type: 'offer',
      caller: '13812345678',
      line: '12333',
      lineName: '人力资源和社会保障',
      mergeMode: 'dual',
      mergeModeLabel: '双号并行',
    });
    // The FreeSWITCH channel carried the edge's X- headers as sip_h_ variables.
    const ch = stack.emulator.channels().find((c) => c.variables['sip_h_X-Hotline-Line']);
    expect(ch?.variables).toMatchObject({
      'sip_h_X-Hotline-Line': '12333',
      'sip_h_X-Hotline-Merge-Mode': 'dual',
      'sip_h_X-Hotline-Skill': 'hrss',
      'sip_h_X-Hotline-Priority': 'normal',
      'sip_h_X-Hotline-Dialled-Source': 'diversion',
      'sip_h_X-Hotline-Caller': '13812345678',
    });
    await desk.next('answered');
    const run = await call;
    expect(run.code, run.errors || run.stderr).toBe(0);
    const rec = await recordFor((r) => r.line === '12333' && r.endedAt !== undefined);
    expect(rec).toMatchObject({ line: '12333', outcome: 'answered', agent: 'h1', mergeMode: 'dual' });
    expect(other.messages.filter((m) => m.type === 'offer')).toEqual([]);
    // The caller heard 100 Trying from the server and 200 OK with FreeSWITCH's SDP through the edge.
    const got = received(run);
    expect(got.some((m) => m.startsWith('SIP/2.0 100 Trying'))).toBe(true);
    expect(got.find((m) => /^SIP\/2.0 200 OK[\s\S]*CSeq: 1 INVITE/.test(m))).toMatch(/o=FreeSWITCH/);
    expect(stack.edge.stats).toMatchObject({ invites: 1, toPool: 1, rejected: 0 });
    await waitFor(() => stack.emulator.channels().length === 0, 5000, 'channels to clear');
    if (process.env.DUMP) console.log(stack.logs.filter((l) => /sip-edge|warn|error/.test(l)).join(''));
  }, 30_000);

  it('reads the dialled number from the Request-URI (area code, +86) and the caller from P-Asserted-Identity', async () => {
    await stack.addAgent('m1', '1003', { market: 1 });
    stack.emulator.setAgent('1003', { behaviour: 'answer', answerAfterMs: 50 });
    const desk = await stack.connectDesktop('m1');
    const call = runSipp({
      scenario: 'uac_call.xml',
      target: stack.sip,
      service: '+862712315',
      durationMs: 1500,
      keys: {
        caller: 'anonymous',
        digit: '0',
        extra: 'P-Asserted-Identity: "Citizen" <tel:+8602788881234>',
      },
    });
    const offer = await desk.next('offer', 10_000);
    expect(offer).toMatchObject({ line: '12315', caller: '02788881234' });
    const run = await call;
    expect(run.code, run.errors).toBe(0);
  }, 30_000);

  it("a call from 110's trunk is passed on as transferred in, with its case number; the carrier's own headers are not", async () => {
    await stack.stop();
    stack = await startEdgeStack({ env: { HOTLINE_REFERRAL_TRUNKS: '110=127.0.0.1' } });
    await stack.addAgent('g1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    const desk = await stack.connectDesktop('g1');
    const call = runSipp({
      scenario: 'uac_call.xml',
      target: stack.sip,
      service: '12345',
      durationMs: 1500,
      keys: { caller: '+8613812340110', digit: '0', extra: 'X-Referral-Case: JQ2026-5' },
    });
    const offer = await desk.next('offer', 10_000);
    expect(offer).toMatchObject({
      ivrPath: ['110报警服务台转入'],
      referral: { from: '110', caseId: 'JQ2026-5' },
    });
    const ch = stack.emulator.channels().find((c) => c.variables['sip_h_X-Hotline-Line']);
    expect(ch?.variables).toMatchObject({
      'sip_h_X-Hotline-Referral': '110',
      'sip_h_X-Hotline-Referral-Case': 'JQ2026-5',
    });
    // drachtio-srf copies none of the carrier's headers to FreeSWITCH: only the edge's own say it.
    expect(ch?.variables['sip_h_X-Referral-Case']).toBeUndefined();
    const run = await call;
    expect(run.code, run.errors).toBe(0);
  }, 30_000);
});
