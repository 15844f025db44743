// One-key transfer to 110 (国办发〔2022〕12号): the talking agent sends the caller to the police line configured for
// the hotline, blind or as a three-way call the agent then leaves; the record shows it; a line that does not answer
// gives the caller back to the desk's queue (blind) or leaves the conversation as it was (three-way). Real Redis,
// real ESL, the switch emulator as FreeSWITCH (the real server: test/real/call-flow.test.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startStack, waitFor } from '../helpers/stack.ts';
import { recentRecords } from '../helpers/recent-records.ts';

let stack: Stack;
beforeEach(async () => {
  stack = await startStack({
    HOTLINE_EMERGENCY_LINES: '110=sip:110@127.0.0.1:5099,120=sip:120@127.0.0.1:5098',
    HOTLINE_REFERRAL_TRUNKS: '110=10.110.0.1',
  });
});
afterEach(async () => {
  await stack.stop();
});

const recordOf = (uuid: string) =>
  waitFor(async () => (await recentRecords(stack.admin)).find((r) => r.uuid === uuid), 15_000, 'record');

describe('one-key transfer to an emergency line', () => {
  it('sends the caller to 110, recorded as transferred; the desktop lists the configured lines', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    stack.emulator.setAgent('110', { behaviour: 'answer', answerAfterMs: 100 });
    const desk = await stack.connectDesktop('g1');
    const call = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13800009110',
      hangupAfterBridgeMs: 1500,
    });
    const answered = (await desk.next('answered')) as { callId: string };
    desk.send(
      JSON.stringify({
        type: 'transfer',
        callId: answered.callId,
        target: { kind: 'emergency', service: '110' },
      }),
    );
    const rec = await recordOf((await call.ended).uuid);
    expect(rec.outcome).toBe('transferred');
    expect(rec.transfers!.map((t) => [t.from, t.to])).toEqual([['g1', 'emergency:110']]);
    // 119 is not configured here: refused with the reason, nothing happens to the call.
    const token = (await stack.admin('/admin/agents/g1/token', { method: 'POST', body: {} })).body.token;
    const dir = await fetch(`${stack.http}/agent/api/directory`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(
      ((await dir.json()) as { emergency: Array<{ service: string }> }).emergency.map((e) => e.service),
    ).toEqual(['110', '120']);
  });

  it('a line that does not answer gives the caller back to the queue, served by the next agent', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    await stack.addAgent('g2', '1002', { general: 1 }, false);
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    stack.emulator.setAgent('1002', { behaviour: 'answer', answerAfterMs: 50 });
    // 120 is configured, but nothing answers at its address.
    const desk = await stack.connectDesktop('g1');
    const call = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13800009120',
      hangupAfterBridgeMs: 3000,
    });
    const answered = (await desk.next('answered')) as { callId: string };
    await stack.admin('/admin/agents/g2/state', { method: 'POST', body: { state: 'ready' } });
    desk.send(
      JSON.stringify({
        type: 'transfer',
        callId: answered.callId,
        target: { kind: 'emergency', service: '120' },
      }),
    );
    const rec = await recordOf((await call.ended).uuid);
    expect(rec).toMatchObject({ outcome: 'answered', agent: 'g2' });
    expect(rec.transfers!.map((t) => t.to)).toEqual(['emergency:120']);
  }, 40_000);

  it('refuses a line the hotline has not configured', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    const desk = await stack.connectDesktop('g1');
    stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13800009119',
      hangupAfterBridgeMs: 2000,
    });
    const answered = (await desk.next('answered')) as { callId: string };
    desk.send(
      JSON.stringify({
        type: 'transfer',
        callId: answered.callId,
        target: { kind: 'emergency', service: '119' },
        ref: 'r1',
      }),
    );
    const result = (await desk.next('result')) as { ok: boolean; message?: string };
    expect(result.ok).toBe(false);
    expect(result.message).toContain('未配置 119');
  });

  it('holds a three-way call with 110; the agent leaves and the citizen stays with 110 until it hangs up', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    // 110 answers and talks 1.5 s after the agent has left, then hangs up.
    stack.emulator.setAgent('110', { behaviour: 'answer', answerAfterMs: 100, talkMs: 2500 });
    const desk = await stack.connectDesktop('g1');
    const call = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13800009111',
      hangupAfterBridgeMs: 30_000,
    });
    const answered = (await desk.next('answered')) as { callId: string };
    const ask = (target: object) =>
      desk.send(JSON.stringify({ type: 'transfer', callId: answered.callId, target }));
    ask({ kind: 'emergency', service: '110', threeWay: true });
    const joined = (await desk.next('result')) as { ok: boolean; message?: string };
    expect(joined).toMatchObject({ ok: true });
    expect(joined.message).toContain('三方通话已接通');
    // A blind transfer is refused while the three-way call is on.
    ask({ kind: 'queue', skill: 'general' });
    expect(((await desk.next('result')) as { ok: boolean; message?: string }).message).toContain(
      '三方通话中',
    );
    await new Promise((r) => setTimeout(r, 1000));
    ask({ kind: 'leave' });
    expect(await desk.next('result')).toMatchObject({ ok: true });
    expect(await desk.next('ended')).toMatchObject({ callId: answered.callId, outcome: 'transferred' });
    const ended = await call.ended;
    // The citizen was not cut off when the agent left: the call lasted until 110 hung up.
    expect(ended.hangupBy).not.toBe('caller');
    const rec = await recordOf(ended.uuid);
    expect(rec).toMatchObject({ outcome: 'transferred', agent: 'g1' });
    expect(rec.transfers!.map((t) => [t.from, t.to, t.threeWay])).toEqual([['g1', 'emergency:110', true]]);
    expect(rec.endedAt - rec.answeredAt!).toBeGreaterThan(2000);
  }, 30_000);

  it('a three-way call the line does not answer leaves the conversation as it was', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    const desk = await stack.connectDesktop('g1');
    const call = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13800009121',
      hangupAfterBridgeMs: 4000,
    });
    const answered = (await desk.next('answered')) as { callId: string };
    desk.send(
      JSON.stringify({
        type: 'transfer',
        callId: answered.callId,
        target: { kind: 'emergency', service: '120', threeWay: true },
      }),
    );
    const result = (await desk.next('result')) as { ok: boolean; message?: string };
    expect(result.ok).toBe(false);
    expect(result.message).toContain('120 未接通');
    const ended = await call.ended;
    expect(ended.hangupBy).toBe('caller');
    const rec = await recordOf(ended.uuid);
    expect(rec).toMatchObject({ outcome: 'answered', agent: 'g1' });
    expect(rec.transfers).toBeUndefined();
  }, 30_000);

  it('a call 110 transfers in goes to a human at once and pops with its case number and note', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    const desk = await stack.connectDesktop('g1');
    const call = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13800009112',
      peer: { ip: '10.110.0.1', port: 5060 },
      sipHeaders: { 'X-Referral-Case': 'JQ9', 'X-Referral-Note': encodeURIComponent('请12345跟进') },
      hangupAfterBridgeMs: 500,
    });
    const offer = await desk.next('offer');
    expect(offer).toMatchObject({
      ivrPath: ['110报警服务台转入'],
      priorityLabel: '普通：110转入',
      referral: { from: '110', fromLabel: '110报警服务台', caseId: 'JQ9', note: '请12345跟进' },
    });
    const rec = await recordOf((await call.ended).uuid);
    expect(rec).toMatchObject({ outcome: 'answered', referral: { from: '110', caseId: 'JQ9' } });
  });
});
