// The realfs bench's arithmetic (src/bench/realfs-analysis.ts, realfs-sipp.ts): sipp's -trace_msg log parsed,
// both sides correlated by caller id, latency, failures and out-of-order pairs; and its options.
import { describe, expect, it } from 'vitest';
import {
  type AgentSide,
  agentSide,
  type CallerSide,
  callerSide,
  figures,
  inversions,
  offerFigures,
} from '../../src/bench/realfs-analysis.ts';
import { parseMessageLog } from '../../src/bench/realfs-sipp.ts';
import { parseRealfsArgs } from '../../src/bench/realfs.ts';

const entry = (time: string, dir: 'sent' | 'recv', msg: string) =>
  `----------------------------------------------- 2026-12-03 ${time}\n` +
  (dir === 'sent' ? 'UDP message sent (100 bytes):\n\n' : 'UDP message received [100] bytes :\n\n') +
  `${msg}\n\n`;

const invite = (ruser: string, from: string, callId: string) =>
  `INVITE sip:${ruser}@127.0.0.1:5080 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK-1\nFrom: "${from}" <sip:${from}@127.0.0.1:1>;tag=1\nTo: <sip:${ruser}@127.0.0.1>\nCall-ID: ${callId}\nCSeq: 1 INVITE\nContent-Length: 0`;
const resp = (status: string, callId: string, method = 'INVITE') =>
  `SIP/2.0 ${status}\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK-1\nFrom: <sip:x@h>;tag=1\nTo: <sip:y@h>;tag=2\nCall-ID: ${callId}\nCSeq: 1 ${method}\nContent-Length: 0`;
const bye = (callId: string) =>
  `BYE sip:x@127.0.0.1 SIP/2.0\nFrom: <sip:x@h>;tag=2\nTo: <sip:y@h>;tag=1\nCall-ID: ${callId}\nCSeq: 9 BYE\nContent-Length: 0`;

describe('realfs bench analysis', () => {
  it("parses sipp's message log with microsecond timestamps", () => {
    const msgs = parseMessageLog(
      entry('10:00:00.000100', 'sent', invite('12345', '13900000001', 'c1')) +
        entry('10:00:00.250600', 'recv', resp('200 OK', 'c1')),
    );
    expect(msgs).toHaveLength(2);
    expect(msgs[0]).toMatchObject({ dir: 'sent', method: 'INVITE', ruser: '12345', fromUser: '13900000001' });
    expect(msgs[1]).toMatchObject({ dir: 'recv', status: 200, callId: 'c1', cseqMethod: 'INVITE' });
    expect(msgs[1]!.t - msgs[0]!.t).toBeCloseTo(250.5, 3);
  });

  it('correlates callers and agents by caller id: latency, bridged, failed, re-offers, out of order', () => {
    const callers = parseMessageLog(
      // A: rung after 100 ms, answered, ended by the far end.
      entry('10:00:00.000', 'sent', invite('12345', 'A', 'ca')) +
        // retransmission: ignored
        entry('10:00:00.500', 'sent', invite('12345', 'A', 'ca')) +
        entry('10:00:03.000', 'recv', bye('ca')) +
        // B: later than A, rung before A (out of order), answered.
        entry('10:00:00.020', 'sent', invite('12345', 'B', 'cb')) +
        entry('10:00:03.000', 'recv', bye('cb')) +
        // C: never rung, gave up.
        entry('10:00:00.040', 'sent', invite('12345', 'C', 'cc')) +
        entry('10:00:20.000', 'sent', bye('cc')) +
        // D: refused.
        entry('10:00:00.060', 'sent', invite('12345', 'D', 'cd')) +
        entry('10:00:00.070', 'recv', resp('503 Service Unavailable', 'cd')) +
        // E: gave up at 20 s; an agent was rung for it (and answered) only afterwards.
        entry('10:00:00.080', 'sent', invite('12345', 'E', 'ce')) +
        entry('10:00:20.080', 'sent', bye('ce')),
    );
    const phones = parseMessageLog(
      entry('10:00:00.050', 'recv', invite('1001', 'B', 'la')) +
        entry('10:00:00.100', 'recv', invite('1002', 'A', 'lb')) +
        // A's first agent did not answer; the second did.
        entry('10:00:00.900', 'recv', invite('1003', 'A', 'lc')) +
        entry('10:00:01.000', 'sent', resp('200 OK', 'lc')) +
        entry('10:00:00.300', 'sent', resp('200 OK', 'la')) +
        entry('10:00:25.000', 'recv', invite('1004', 'E', 'ld')) +
        entry('10:00:25.200', 'sent', resp('200 OK', 'ld')),
    );
    const f = figures(callerSide(callers), agentSide(phones));
    expect(f).toMatchObject({
      placed: 5,
      bridged: 2,
      failed: 3,
      neverRung: 3,
      gaveUp: 2,
      errorResponses: 1,
      rungAfterLeft: 1,
      answeredAfterLeft: 1,
      reoffers: 1,
      outOfOrder: 1,
      agentsUsed: 4,
    });
    expect(f.latencies.map((v) => Math.round(v))).toEqual([100, 30]);
    expect(Math.round(f.p50)).toBe(30);
    expect(Math.round(f.max)).toBe(100);
  });

  it('counts a caller whose agent answered but whose record says nobody was put through as failed', () => {
    const callers = parseMessageLog(
      entry('10:00:00.000', 'sent', invite('12345', 'A', 'ca')) +
        entry('10:00:05.000', 'recv', bye('ca')) +
        entry('10:00:00.100', 'sent', invite('12345', 'B', 'cb')) +
        entry('10:00:05.000', 'recv', bye('cb')),
    );
    const phones = parseMessageLog(
      entry('10:00:00.050', 'recv', invite('1001', 'A', 'la')) +
        entry('10:00:00.250', 'sent', resp('200 OK', 'la')) +
        entry('10:00:00.150', 'recv', invite('1002', 'B', 'lb')) +
        entry('10:00:00.350', 'sent', resp('200 OK', 'lb')),
    );
    // By the sipp logs alone both were served: their agents answered and FreeSWITCH ended both calls.
    expect(figures(callerSide(callers), agentSide(phones))).toMatchObject({
      bridged: 2,
      failed: 0,
      notJoined: 0,
    });
    const f = figures(callerSide(callers), agentSide(phones), (id) => id !== 'B');
    expect(f).toMatchObject({ bridged: 1, failed: 1, notJoined: 1 });
    // Still a latency sample: an agent was rung for B while B waited.
    expect(f.latencies).toHaveLength(2);
  });

  it('counts inversions only between calls in strict order', () => {
    expect(inversions([])).toBe(0);
    expect(
      inversions([
        { sent: 0, rung: 30 },
        { sent: 1, rung: 20 },
        { sent: 2, rung: 10 },
      ]),
    ).toBe(3);
    expect(
      inversions([
        { sent: 0, rung: 10 },
        { sent: 0, rung: 5 },
      ]),
    ).toBe(0);
    // Beyond a frame: only the pair rung 20 ms apart in reverse counts with a 19 ms allowance, none with 20.
    const calls = [
      { sent: 0, rung: 30 },
      { sent: 1, rung: 20 },
      { sent: 2, rung: 10 },
    ];
    expect(inversions(calls, 19)).toBe(1);
    expect(inversions(calls, 20)).toBe(0);
  });

  it('reads its options from the bench command line', () => {
    expect(parseRealfsArgs(['realfs'])).toMatchObject({
      rates: [5, 15, 25, 35],
      seconds: 15,
      agents: 50,
      modes: ['dialplan', 'callcenter', 'router'],
      routerMenu: 'queue',
    });
    expect(parseRealfsArgs(['realfs', '--quick']).rates).toEqual([5, 15]);
    expect(parseRealfsArgs(['--rates=10,20', '--seconds=5', '--modes=router,callcenter'])).toMatchObject({
      rates: [10, 20],
      seconds: 5,
      modes: ['router', 'callcenter'],
    });
    expect(() => parseRealfsArgs(['--modes=asterisk'])).toThrow(/modes/);
    expect(() => parseRealfsArgs(['--rates=0'])).toThrow(/rates/);
  });

  it("splits the order between the router's offers and FreeSWITCH's delivery of them", () => {
    const caller = (id: string, inviteAt: number, gaveUpAt = Infinity): CallerSide => ({
      callerId: id,
      inviteAt,
      gotBye: true,
      gaveUp: gaveUpAt !== Infinity,
      gaveUpAt,
      failStatus: 0,
    });
    const leg = (id: string, inviteAt: number): AgentSide => ({
      callerId: id,
      extension: `x${id}`,
      inviteAt,
      answered: true,
      answeredAt: inviteAt + 200,
    });
    const callers = new Map(
      [caller('A', 0), caller('B', 40), caller('C', 80), caller('D', 120), caller('E', 160, 170)].map((c) => [
        c.callerId,
        c,
      ]),
    );
    // A and B offered in order, B's phone rung first (FreeSWITCH's doing); D offered before C (the router's);
    // E rung only after it gave up (no sample), and a re-offer of A later changes nothing.
    const legs = [leg('A', 70), leg('B', 60), leg('C', 150), leg('D', 140), leg('E', 200), leg('A', 900)];
    const offered = new Map([
      ['A', 10],
      ['B', 50],
      ['C', 130],
      ['D', 125],
      ['E', 180],
    ]);
    const f = offerFigures(callers, legs, offered);
    expect(f.samples).toBe(4);
    expect(f.offeredOutOfOrder).toBe(1);
    expect(f.reorderedAfterOffer).toBe(1);
    // arrival to offer: 10, 10, 50, 5 ms; offer to ring: 60, 10, 20, 15 ms.
    expect(f.toOfferP50).toBe(10);
    expect(f.toOfferP95).toBe(50);
    expect(f.offerToRingP50).toBe(15);
    expect(f.offerToRingP95).toBe(60);
    // Without records nothing is claimed.
    expect(offerFigures(callers, legs, new Map()).samples).toBe(0);
  });
});
