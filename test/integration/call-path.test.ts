// End to end on real protocols: the switch emulator (ESL over TCP) drives the unmodified modesl
// client inside a real router, with real Redis and a real WebSocket to the agent's desktop.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/records/call-records.ts';
import { type Stack, startStack, waitFor } from '../helpers/stack.ts';
import { recentRecords } from '../helpers/recent-records.ts';

let stack: Stack;

beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.stop();
});

async function recordOf(callUuid: string): Promise<CallRecord> {
  return waitFor(
    async () => {
      return (await recentRecords(stack.admin)).find((r) => r.uuid === callUuid);
    },
    10_000,
    'call record',
  );
}

describe('a call travels end to end', () => {
  it('takes a 12333 call to an agent with the 12333 skill and pops the screen', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    await stack.addAgent('h1', '1002', { hrss: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 100 });
    stack.emulator.setAgent('1002', { behaviour: 'answer', answerAfterMs: 100 });
    const desk = await stack.connectDesktop('h1');
    const other = await stack.connectDesktop('g1');

    // Through 12333's menu: 1 pension (pressed during the prompt: type-ahead), then 2 employees.
    const call = stack.emulator.placeCall({
      destination: '+862712333',
      callerIdNumber: '+8613812345678',
      hangupAfterBridgeMs: 300,
      dtmf: [
        { afterAnswerMs: 100, digits: '1' },
        { afterAnswerMs: 700, digits: '2' },
      ],
    });
    const offer = await desk.next('offer');
    expect(offer).toMatchObject({
      type: 'offer',
      caller: '13812345678',
      dialled: '+862712333',
      line: '12333',
      lineName: '人力资源和社会保障',
      mergeMode: 'dual',
      mergeModeLabel: '双号并行',
      priority: 'normal',
    });
    expect(offer.type === 'offer' && offer.ivrPath).toEqual([
      '12333主菜单(按1)',
      '养老保险(按2)',
      '职工养老',
    ]);
    expect(offer.type === 'offer' && offer.waitS).toBeGreaterThanOrEqual(0);
    await desk.next('answered');
    const summary = await call.ended;
    expect(summary.bridgedTo).toBeTruthy();
    const rec = await recordOf(call.uuid);
    expect(rec).toMatchObject({ line: '12333', outcome: 'answered', agent: 'h1', mergeMode: 'dual' });
    expect(rec.answeredAt).toBeGreaterThanOrEqual(rec.arrivedAt);
    expect(rec.endedAt).toBeGreaterThanOrEqual(rec.answeredAt!);
    expect(other.messages.filter((m) => m.type === 'offer')).toEqual([]);
    // Both legs are gone.
    await waitFor(() => stack.emulator.channels().length === 0, 5000, 'channels to clear');
    // The inbound link took the caller's hangup, not the applications it ran (modesl subscribes
    // CHANNEL_EXECUTE_COMPLETE on its own; the link unsubscribes it).
    const events = await waitFor(
      async () => {
        const h = await fetch(`${stack.http}/health`).then((r) => r.json());
        return h.eslInbound.events.CHANNEL_HANGUP_COMPLETE
          ? (h.eslInbound.events as Record<string, number>)
          : undefined;
      },
      5000,
      'the hangup on the inbound link',
    );
    expect(events.CHANNEL_EXECUTE_COMPLETE).toBeUndefined();
  });

  it('sends a caller who presses 0 to the queue', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    const desk = await stack.connectDesktop('g1');
    const call = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13900001111',
      hangupAfterBridgeMs: 200,
      dtmf: [{ afterAnswerMs: 50, digits: '0' }],
    });
    const offer = await desk.next('offer');
    expect(offer.type === 'offer' && offer.ivrPath).toEqual(['欢迎语(按0)', '转人工服务']);
    await call.ended;
    const rec = await recordOf(call.uuid);
    expect(rec.ivrPath).toEqual(['欢迎语(按0)', '转人工服务']);
    expect(rec.priorityReason).toBe('zero');
    expect(rec.queuedAt).toBeGreaterThan(0);
    expect(rec.outcome).toBe('answered');
  });

  it('records a caller who hangs up while waiting as abandoned and never offers the dead call', async () => {
    await stack.addAgent('g1', '1001', { general: 1 }, false);
    stack.emulator.setAgent('1001', { behaviour: 'answer' });
    const desk = await stack.connectDesktop('g1');
    const call = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13900002222',
      patienceMs: 900,
    });
    await call.ended;
    const rec = await recordOf(call.uuid);
    expect(rec.outcome).toBe('abandoned');
    expect(rec.agent).toBeUndefined();
    // The agent becomes ready after the caller left: nothing may ring.
    let rang = false;
    stack.emulator.on('agent:ringing', () => (rang = true));
    await stack.admin('/admin/agents/g1/state', { method: 'POST', body: { state: 'ready' } });
    await new Promise((r) => setTimeout(r, 1500));
    expect(rang).toBe(false);
    expect(desk.messages.filter((m) => m.type === 'offer')).toEqual([]);
    const { body } = await stack.admin('/admin/agents');
    expect(body.find((a: { id: string }) => a.id === 'g1').state).toBe('ready');
  });

  it('skips an agent who does not answer and gives the call to the next', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    await new Promise((r) => setTimeout(r, 10));
    await stack.addAgent('g2', '1002', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'no-answer' });
    stack.emulator.setAgent('1002', { behaviour: 'answer', answerAfterMs: 50 });
    const d1 = await stack.connectDesktop('g1');
    const d2 = await stack.connectDesktop('g2');
    const call = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13900003333',
      hangupAfterBridgeMs: 200,
    });
    const first = await d1.next('offer');
    const second = await d2.next('offer', 10_000);
    expect(second.type === 'offer' && first.type === 'offer' && second.callId).toBe(
      first.type === 'offer' && first.callId,
    );
    await d1.next('ended');
    await call.ended;
    const rec = await recordOf(call.uuid);
    expect(rec).toMatchObject({ outcome: 'answered', agent: 'g2', noAnswerAgents: ['g1'] });
    // The record says when the first phone (g1's) rang: after the arrival, before g2's answer.
    expect(rec!.offeredAt).toBeGreaterThanOrEqual(rec!.arrivedAt);
    expect(rec!.offeredAt).toBeLessThan(rec!.answeredAt!);
  });
});

describe('FreeSWITCH link robustness', () => {
  it('survives the event socket going away and coming back', async () => {
    const link = stack.router.parts.fsLink;
    await waitFor(() => link.state === 'connected', 5000, 'link up');
    stack.emulator.dropInboundConnections();
    await waitFor(() => link.state !== 'connected', 5000, 'link down');
    const h = await fetch(`${stack.http}/health`).then((r) => r.json());
    expect(h.status).toBe('degraded');
    await waitFor(() => link.state === 'connected', 10_000, 'link back');
    expect(link.reconnects).toBeGreaterThanOrEqual(1);
    const h2 = await fetch(`${stack.http}/health`).then((r) => r.json());
    expect(h2).toMatchObject({ status: 'ok', eslInbound: { ok: true, state: 'connected' } });
  });

  it('logs and counts a malformed ESL frame and keeps working', async () => {
    const link = stack.router.parts.fsLink;
    await waitFor(() => link.state === 'connected', 5000, 'link up');
    stack.emulator.injectRaw('inbound', 'Content-Type: text/event-json\nContent-Length: 9\n\n{garbage}');
    stack.emulator.injectRaw('inbound', 'Reply-Text: %ZZ broken\n\n');
    await waitFor(() => link.protocolErrors >= 2, 5000, 'protocol errors counted');
    expect(stack.logs.join('')).toContain('ESL protocol error (inbound)');
    expect(link.state).toBe('connected');
    expect(await link.api('status')).toMatch(/UP/);
    const h = await fetch(`${stack.http}/health`).then((r) => r.json());
    expect(h.eslInbound.protocolErrors).toBeGreaterThanOrEqual(2);
  });

  it('serves its HTTP API while FreeSWITCH is down', async () => {
    await stack.emulator.stop();
    await waitFor(() => stack.router.parts.fsLink.state !== 'connected', 5000, 'link down');
    const res = await fetch(`${stack.http}/health`);
    expect(res.status).toBe(200);
    expect((await res.json()).eslInbound.ok).toBe(false);
    const lines = await stack.admin('/admin/lines');
    expect(lines.status).toBe(200);
    expect(lines.body.map((l: { number: string }) => l.number)).toContain('12345');
  });
});
