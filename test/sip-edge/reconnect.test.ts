// A drachtio-server restart takes the edge's dialogs with it: the calls up at that moment leave the edge's
// count and their pool member is no longer held busy by them; the edge reconnects and takes new calls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/stack.ts';
import { type EdgeStack, startEdgeStack } from './helpers/edge-stack.ts';
import { runSipp } from './helpers/sipp.ts';

let stack: EdgeStack;
beforeAll(async () => {
  stack = await startEdgeStack();
}, 30_000);
afterAll(async () => {
  await stack?.stop();
});

describe('SIP edge: drachtio-server restart', () => {
  it('clears the calls that were up and reconnects', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 100 });
    const call = runSipp({
      scenario: 'uac_call.xml',
      target: stack.sip,
      service: '12345',
      durationMs: 4000,
      timeoutS: 12,
      keys: { caller: '+8613812340001', digit: '0', extra: 'X-Test: reconnect' },
    });
    await waitFor(() => stack.edge.status().calls === 1, 10_000, 'the call up at the edge');
    expect(stack.edge.status().pool[0]?.activeCalls).toBe(1);
    stack.drachtio.dropClients();
    await waitFor(() => stack.edge.status().calls === 0, 5000, 'the edge to drop its calls');
    expect(stack.edge.status().pool[0]?.activeCalls).toBe(0);
    await waitFor(
      () => stack.edge.state === 'connected' && stack.drachtio.connectedClients === 1,
      10_000,
      'reconnect',
    );
    expect(stack.logs.join('')).toContain('call dropped from the edge: drachtio-server lost');
    await call.catch(() => undefined);
  }, 40_000);
});
