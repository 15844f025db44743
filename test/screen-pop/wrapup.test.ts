// Wrap-up on the desktop: an answered call ends in wrap-up with its length; when the ACD ends it by
// itself the desktop hears wrapup_ended and the new state, once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.ts';

let stack: Stack;
beforeEach(async () => {
  stack = await startStack({ HOTLINE_WRAPUP_S: '2' });
});
afterEach(async () => {
  await stack.stop();
});

describe('wrap-up messages', () => {
  it('starts after an answered call and ends by itself with the agent ready', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    const desk = await stack.connectDesktop('g1');
    const call = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13900008888',
      hangupAfterBridgeMs: 200,
      dtmf: [{ afterAnswerMs: 50, digits: '0' }],
    });
    const offer = await desk.next('offer');
    const callId = offer.type === 'offer' ? offer.callId : '';
    await desk.next('answered');
    await call.ended;
    expect(await desk.next('ended')).toMatchObject({ callId, outcome: 'answered' });
    const started = await desk.next('wrapup_started');
    expect(started).toMatchObject({ callId });
    expect(started.type === 'wrapup_started' && started.durationS).toBeGreaterThan(0);
    expect(started.type === 'wrapup_started' && started.durationS).toBeLessThanOrEqual(2);
    expect(await desk.next('wrapup_ended', 10_000)).toMatchObject({ callId, by: 'timer' });
    expect(await desk.next('state', 5000)).toMatchObject({ state: 'ready' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(desk.messages.filter((m) => m.type === 'wrapup_ended')).toHaveLength(1);
    const seqs = desk.messages.map((m) => (m as { seq?: number }).seq).filter((s) => s !== undefined);
    expect(seqs).toEqual([...seqs].sort((a, b) => a! - b!));
  });
});
