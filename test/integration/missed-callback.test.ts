// Missed-call callback (漏接电话回拨): a caller who hung up before reaching a human is called back once agents are
// idle, with the outcome recorded; a number on the do-not-call list never is; and a number is called back at most
// once per window.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack, waitFor } from '../helpers/stack.ts';
import { recentRecords } from '../helpers/recent-records.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    HOTLINE_CALLBACK_DIAL: 'sofia/hotline_carrier/{number}@127.0.0.1',
    HOTLINE_MISSED_CALLBACK: 'on',
    HOTLINE_MISSED_CALLBACK_HOURS: '00:00-24:00',
  });
});
afterAll(async () => stack?.stop());

const records = async () => await recentRecords(stack.admin);

describe('missed-call callback', () => {
  it('calls back a caller who hung up unanswered, never a do-not-call number, once per window', async () => {
    expect((await stack.admin('/admin/do-not-call/13800002222', { method: 'PUT' })).status).toBe(200);
    expect((await stack.admin('/admin/do-not-call/12a', { method: 'PUT' })).status).toBe(400);
    // Nobody on duty: both callers give up.
    for (const n of ['13800001111', '13800002222'])
      await stack.emulator.placeCall({ destination: '12345', callerIdNumber: n, patienceMs: 2500 }).ended;
    const missed = await waitFor(
      async () => {
        const r = await records();
        return r.filter((x) => x.outcome === 'abandoned' || x.outcome === 'ended-in-ivr').length >= 2
          ? r
          : null;
      },
      10_000,
      'two missed calls recorded',
    );
    expect(missed).toHaveLength(2);
    const dnc = await stack.admin('/admin/do-not-call');
    expect(dnc.body).toEqual({ numbers: [expect.not.stringContaining('13800002222')], pending: 1 });

    // An agent comes on duty; the citizen answers the callback.
    stack.emulator.setAgent('13800001111', { behaviour: 'answer', answerAfterMs: 50, talkMs: 300 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    await stack.addAgent('g1', '1001', { general: 1 });
    const back = await waitFor(
      async () => (await records()).find((r) => r.missedCallback),
      15_000,
      'the missed-call callback record',
    );
    expect(back).toMatchObject({ caller: '13800001111', outcome: 'answered', agent: 'g1', callback: true });
    expect(back.ivrPath).toEqual(['漏接回拨']);

    // The same number misses again (nobody ready), then an agent is free: not called back within the window;
    // the do-not-call number never.
    await waitFor(
      async () =>
        (
          await stack.admin('/admin/agents/g1/state', {
            method: 'POST',
            body: { state: 'not_ready', reason: 'break' },
          })
        ).status === 200,
      10_000,
      'agent g1 on a break',
    );
    await stack.emulator.placeCall({ destination: '12345', callerIdNumber: '13800001111', patienceMs: 1500 })
      .ended;
    await stack.admin('/admin/agents/g1/state', { method: 'POST', body: { state: 'ready' } });
    await new Promise((r) => setTimeout(r, 5000));
    const all = await records();
    expect(all.filter((r) => r.caller === '13800001111' && !r.callback)).toHaveLength(2);
    expect(all.filter((r) => r.missedCallback)).toHaveLength(1);
    expect(all.some((r) => r.callback && r.caller === '13800002222')).toBe(false);
    expect((await stack.admin('/admin/do-not-call')).body.pending).toBe(0);
  }, 45_000);
});
