// A desktop that dies while its phone rings: heartbeats find the dead socket, the hub reports the
// desktop lost, and the call is handled as a no-answer and re-offered, long before the ring timeout.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/records/call-records.ts';
import { type Stack, startStack, waitFor } from '../helpers/stack.ts';
import { TestDesktop } from './helpers.ts';
import { recentRecords } from '../helpers/recent-records.ts';

let stack: Stack;
beforeEach(async () => {
  // A 30 s ring: a re-offer within seconds can only come from the desktop-lost path.
  stack = await startStack({ HOTLINE_RING_TIMEOUT_S: '30' });
  stack.router.parts.hub.configure({ heartbeatMs: 200, deadAfterMs: 700, lostGraceMs: 300 });
});
afterEach(async () => {
  await stack.stop();
});

async function desktop(agentId: string): Promise<TestDesktop> {
  const { body } = await stack.admin(`/admin/agents/${agentId}/token`, { method: 'POST', body: {} });
  return TestDesktop.open(`ws://127.0.0.1:${stack.router.httpPort}/agent/ws?token=${body.token}`);
}

async function recordOf(uuid: string): Promise<CallRecord> {
  return waitFor(
    async () => (await recentRecords(stack.admin)).find((r) => r.uuid === uuid),
    10_000,
    'call record',
  );
}

describe('a desktop lost while ringing', () => {
  it('is found dead by heartbeats and the call is re-offered to the next agent as a no-answer', async () => {
    const hub = stack.router.parts.hub;
    const lost: string[] = [];
    hub.onDesktopLost((a) => lost.push(a));
    await stack.addAgent('g1', '1001', { general: 1 });
    await new Promise((r) => setTimeout(r, 10));
    await stack.addAgent('g2', '1002', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'no-answer' });
    stack.emulator.setAgent('1002', { behaviour: 'answer', answerAfterMs: 100 });
    const d1 = await desktop('g1');
    const d2 = await desktop('g2');
    const call = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13900004444',
      hangupAfterBridgeMs: 200,
      dtmf: [{ afterAnswerMs: 50, digits: '0' }],
    });
    const first = await d1.next('offer');
    await waitFor(
      async () => (await stack.router.parts.acd.getAgent('g1'))?.state === 'ringing',
      5000,
      'ringing',
    );
    const frozenAt = Date.now();
    // The desktop's machine freezes: its socket stays open but answers nothing.
    d1.freeze();
    const second = await d2.next('offer', 10_000);
    expect(second.type === 'offer' && second.callId).toBe(first.type === 'offer' && first.callId);
    expect(Date.now() - frozenAt).toBeLessThan(8000);
    expect(lost).toContain('g1');
    expect(hub.stats.desktopsLost).toBeGreaterThanOrEqual(1);
    expect(await hub.hasLiveDesktop('g1')).toBe(false);
    await call.ended;
    const rec = await recordOf(call.uuid);
    expect(rec).toMatchObject({ outcome: 'answered', agent: 'g2', noAnswerAgents: ['g1'] });
    expect(stack.logs.join('')).toContain('desktop lost while ringing');
  });

  it('does not count a desktop that comes back within the grace period', async () => {
    const hub = stack.router.parts.hub;
    hub.configure({ lostGraceMs: 1500 });
    const lost: string[] = [];
    hub.onDesktopLost((a) => lost.push(a));
    await stack.addAgent('g1', '1001', { general: 1 });
    const d1 = await desktop('g1');
    await d1.next('hello');
    d1.close();
    await new Promise((r) => setTimeout(r, 300));
    const again = await desktop('g1');
    await again.next('hello');
    await new Promise((r) => setTimeout(r, 1800));
    expect(lost).toEqual([]);
    again.close();
    await waitFor(() => lost.includes('g1'), 5000, 'lost after the grace period');
  });

  it('an idle agent whose desktop is gone goes not ready (desktop-lost) and is not offered calls', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    await new Promise((r) => setTimeout(r, 10));
    await stack.addAgent('g2', '1002', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 100 });
    stack.emulator.setAgent('1002', { behaviour: 'answer', answerAfterMs: 100 });
    const d1 = await desktop('g1');
    await d1.next('hello');
    const d2 = await desktop('g2');
    await d2.next('hello');
    // g1 has been idle longest and would be offered the next call; its desktop closes and does not come back.
    d1.close();
    await waitFor(
      async () => {
        const a = await stack.router.parts.acd.getAgent('g1');
        return a?.state === 'not_ready' && a.reason === 'desktop-lost';
      },
      5000,
      'g1 not ready',
    );
    const call = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13900005555',
      hangupAfterBridgeMs: 200,
      dtmf: [{ afterAnswerMs: 50, digits: '0' }],
    });
    await call.ended;
    expect((await recordOf(call.uuid)).agent).toBe('g2');
    // Back at the desk: the desktop says why, and the agent sets ready again.
    const back = await desktop('g1');
    expect(await back.next('hello')).toMatchObject({ state: 'not_ready', reason: 'desktop-lost' });
    back.close();
    d2.close();
  });
});
