// One-key transfer to 110 (国办发〔2022〕12号): the talking agent sends the caller to the police line configured for
// the hotline; the record shows it; a line that does not answer gives the caller back to the desk's queue. Real
// Redis, real ESL, the switch emulator as FreeSWITCH (the real server: test/real/call-flow.test.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/records/call-records.ts';
import { type Stack, startStack, waitFor } from '../helpers/stack.ts';

let stack: Stack;
beforeEach(async () => {
  stack = await startStack({
    HOTLINE_EMERGENCY_LINES: '110=sip:110@127.0.0.1:5099,120=sip:120@127.0.0.1:5098',
  });
});
afterEach(async () => {
  await stack.stop();
});

const recordOf = (uuid: string) =>
  waitFor(
    async () =>
      ((await stack.admin('/admin/records')).body.records as CallRecord[]).find((r) => r.uuid === uuid),
    15_000,
    'record',
  );

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
});
