// An overloaded FreeSWITCH (staged: every outbound socket's connect answered late): a share of new callers is told
// the line is busy as early media and let go with 486, recorded as busy; an elderly or disabled caller never is; and
// once the switch answers in time again, nobody is. Real router, real Redis, the emulator for the switch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallSummary } from '../../src/switch-emulator/index.ts';
import { type Stack, startStack, waitFor } from '../helpers/stack.ts';
import { recentRecords } from '../helpers/recent-records.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({});
});
afterAll(async () => stack?.stop());

interface Health {
  socketServer: { switchPressure: { turnedAway: number; busyShare: number; connectMs: number } };
}

const records = async () => await recentRecords(stack.admin);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `n` callers, one every `gapMs`, who give up after `patienceMs`; resolves with what each heard. */
async function burst(first: number, n: number, gapMs: number, patienceMs: number): Promise<CallSummary[]> {
  const ended: Array<Promise<CallSummary>> = [];
  for (let i = 0; i < n; i++) {
    ended.push(
      stack.emulator.placeCall({ destination: '12345', callerIdNumber: String(first + i), patienceMs }).ended,
    );
    await sleep(gapMs);
  }
  return Promise.all(ended);
}

describe('an overloaded switch', () => {
  it('turns a share of new callers away with a busy message, never a care caller, and none once it recovers', async () => {
    const care = '13900005000';
    expect(
      (await stack.admin(`/admin/care-list/${care}`, { method: 'PUT', body: { kind: 'elderly' } })).status,
    ).toBe(200);
    stack.emulator.setConnectDelay(80);
    // Two seconds of arrivals at 20 calls/s: the connect times fill the half-second windows.
    const burstDone = burst(13900001000, 40, 50, 2500);
    await waitFor(
      async () =>
        ((await stack.admin('/health')).body as Health).socketServer.switchPressure.busyShare >= 0.4,
      10_000,
      'a busy share of 0.4',
    );
    // The care caller calls six times while at least 0.4 of new callers are turned away: never one of them.
    const careEnds: CallSummary[] = [];
    for (let i = 0; i < 6; i++)
      careEnds.push(
        await stack.emulator.placeCall({ destination: '12345', callerIdNumber: care, patienceMs: 300 }).ended,
      );
    const first = await burstDone;
    const all = await waitFor(
      async () => {
        const r = await records();
        return r.length >= 46 ? r : null;
      },
      20_000,
      'every caller recorded',
    );
    const busy = all.filter((r) => r.outcome === 'busy');
    expect(busy.length).toBeGreaterThan(0);
    expect(busy.length).toBeLessThan(40);
    for (const r of busy) {
      expect(r.ivrPath).toEqual(['线路繁忙']);
      expect(r.answeredAt).toBeUndefined();
    }
    // What a busy caller's phone saw: never answered (early media only), then 486 Busy Here (USER_BUSY).
    const busyCallers = new Set(busy.map((r) => r.caller));
    const seen = first.filter((c) => busyCallers.has(c.callerIdNumber));
    expect(seen).toHaveLength(busy.length);
    for (const c of seen) expect(c).toMatchObject({ answered: false, hangupCause: 'USER_BUSY' });
    expect(all.filter((r) => r.caller === care).map((r) => r.outcome)).not.toContain('busy');
    expect(careEnds.map((c) => c.hangupCause)).not.toContain('USER_BUSY');
    const health = (await stack.admin('/health')).body as Health;
    expect(health.socketServer.switchPressure.turnedAway).toBe(busy.length);
    expect(health.socketServer.switchPressure.connectMs).toBeGreaterThanOrEqual(80);

    // Recovered: connect answered at once again. The share comes down a step per half second in which FreeSWITCH
    // kept up (or had nothing to say): from its highest (0.8) in 8 s.
    stack.emulator.setConnectDelay(0);
    await sleep(8500);
    const later = await burst(13900003000, 10, 50, 1000);
    expect(later.filter((c) => c.hangupCause === 'USER_BUSY')).toHaveLength(0);
  }, 60_000);
});
