// An overload that shows only after the arrival (staged: every uuid_bridge joins its legs 300 ms late, while new
// sockets still connect at once): the joins' time feeds the same overload control, so a share of new callers is
// told the line is busy, each recorded as busy; once joins are quick again, nobody is. Real router, real Redis, the
// emulator for the switch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallSummary } from '../../src/switch-emulator/index.ts';
import { type Stack, startStack, waitFor } from '../helpers/stack.ts';
import { recentRecords } from '../helpers/recent-records.ts';

let stack: Stack;
beforeAll(async () => {
  // The arrival control off: every caller turned away here is turned away for the joins.
  stack = await startStack({ HOTLINE_SHED_CONNECT_MS: '0' });
});
afterAll(async () => stack?.stop());

interface Health {
  socketServer: {
    joinPressure: { turnedAway: number; busyShare: number; joinMs: number };
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `n` callers, one every `gapMs`; resolves with what each heard. */
async function arrivals(first: number, n: number, gapMs: number): Promise<CallSummary[]> {
  const ended: Array<Promise<CallSummary>> = [];
  for (let i = 0; i < n; i++) {
    ended.push(
      // The caller ends each conversation (no survey to wait for).
      stack.emulator.placeCall({
        destination: '12345',
        callerIdNumber: String(first + i),
        patienceMs: 8000,
        hangupAfterBridgeMs: 100,
      }).ended,
    );
    await sleep(gapMs);
  }
  return Promise.all(ended);
}

describe('an overloaded switch, seen in its joins', () => {
  it('turns a share of new callers away while joins are slow, and none once they are quick again', async () => {
    for (let i = 0; i < 16; i++) {
      const ext = String(3001 + i);
      await stack.addAgent(`j${ext}`, ext, { general: 1 });
      stack.emulator.setAgent(ext, { behaviour: 'answer', answerAfterMs: 20, talkMs: 5000 });
    }
    stack.emulator.setJoinDelay(300);
    // 25 calls/s for 2.4 s: joins complete at about that rate, so the half-second windows fill (the control needs
    // two in a row with five joins each; if the first falls short, the share starts half a second later).
    const first = await arrivals(13900007000, 60, 40);
    const recs = await waitFor(
      async () => {
        const r = (await recentRecords(stack.admin)).filter((x) => x.caller.startsWith('139000070'));
        return r.length >= 60 ? r : null;
      },
      20_000,
      'every caller recorded',
    );
    const busy = recs.filter((r) => r.outcome === 'busy');
    expect(busy.length).toBeGreaterThan(0);
    expect(busy.length).toBeLessThan(60);
    expect(recs.filter((r) => r.outcome !== 'busy').every((r) => r.outcome === 'answered')).toBe(true);
    for (const r of busy) expect(r.answeredAt).toBeUndefined();
    const busyCallers = new Set(busy.map((r) => r.caller));
    for (const c of first.filter((x) => busyCallers.has(x.callerIdNumber)))
      expect(c).toMatchObject({ answered: false, hangupCause: 'USER_BUSY' });
    const health = (await stack.admin('/health')).body as Health;
    expect(health.socketServer.joinPressure.turnedAway).toBe(busy.length);
    expect(health.socketServer.joinPressure.joinMs).toBeGreaterThanOrEqual(300);

    // Quick again: the share comes down a step per half second (from at most 0.8 in 8 s).
    stack.emulator.setJoinDelay(0);
    await sleep(8500);
    const later = await arrivals(13900008000, 10, 50);
    expect(later.filter((c) => c.hangupCause === 'USER_BUSY')).toHaveLength(0);
  }, 60_000);
});
