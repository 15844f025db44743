// The ACD end to end: the switch emulator's callers and agents, a real router, real Redis.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/records/call-records.ts';
import type { EmulatedCall } from '../../src/switch-emulator/index.ts';
import { type Stack, startStack, waitFor } from '../helpers/stack.ts';
import { recentDays, recentRecords } from '../helpers/recent-records.ts';

let stack: Stack;
beforeEach(async () => {
  stack = await startStack({ HOTLINE_CALLBACK_DIAL: 'sofia/hotline_carrier/{number}@127.0.0.1' });
});
afterEach(async () => {
  await stack.stop();
});

const records = (): Promise<CallRecord[]> => recentRecords(stack.admin);
async function recordOf(call: EmulatedCall): Promise<CallRecord> {
  try {
    return await waitFor(async () => (await records()).find((r) => r.uuid === call.uuid), 10_000, 'record');
  } catch (err) {
    // A call that never ended: what the router said about it is what tells why (seen once, in a loaded full run).
    const mine = stack.logs.filter((l) => l.includes(call.uuid) || l.includes('"callId"')).slice(-40);
    throw new Error(`${(err as Error).message}\n${mine.join('')}`, { cause: err });
  }
}
async function setQueue(skill: string, patch: Record<string, unknown>) {
  const q = (await stack.admin('/admin/queues')).body.find((x: { skill: string }) => x.skill === skill);
  const r = await stack.admin(`/admin/queues/${skill}`, { method: 'PUT', body: { ...q, ...patch } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

describe('priority classes', () => {
  it('answers care callers first in a scripted peak, their average wait under target', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    await stack.addAgent('g2', '1002', { general: 1 });
    for (const ext of ['1001', '1002'])
      stack.emulator.setAgent(ext, { behaviour: 'answer', answerAfterMs: 50 });
    const careNumbers = ['13900000003', '13900000006', '13900000009'];
    for (const n of careNumbers) {
      await stack.admin(`/admin/care-list/${n}`, {
        method: 'PUT',
        body: { kind: 'elderly', operator: '测试' },
      });
    }
    const calls: EmulatedCall[] = [];
    for (let i = 0; i < 10; i++) {
      calls.push(
        stack.emulator.placeCall({
          destination: '12345',
          callerIdNumber: `1390000000${i}`,
          hangupAfterBridgeMs: 1000,
        }),
      );
      await sleep(150);
    }
    await Promise.all(calls.map((c) => c.ended));
    const recs = await Promise.all(calls.map(recordOf));
    const wait = (r: CallRecord) => r.answeredAt! - r.queuedAt!;
    const care = recs.filter((r) => r.priority === 'care');
    const normal = recs.filter((r) => r.priority === 'normal');
    expect(care).toHaveLength(3);
    expect(recs.every((r) => r.outcome === 'answered')).toBe(true);
    expect(mean(care.map(wait))).toBeLessThan(mean(normal.map(wait)));
    expect(mean(care.map(wait))).toBeLessThanOrEqual(30_000);
    // A care caller is answered before every normal caller still waiting when it queued.
    let jumps = 0;
    for (const c of care) {
      for (const n of normal.filter((n) => n.queuedAt! < c.queuedAt! && n.answeredAt! > c.queuedAt!)) {
        expect(
          n.answeredAt!,
          `normal caller queued at ${n.queuedAt} vs care at ${c.queuedAt}`,
        ).toBeGreaterThan(c.answeredAt!);
        jumps++;
      }
    }
    expect(jumps).toBeGreaterThan(0);
  }, 40_000);
});

describe('skills, overflow and fallback', () => {
  it('overflows a specialist call to the general pool after the queue’s overflow time', async () => {
    await setQueue('hrss', { overflowAfterS: 2, maxWaitS: 60 });
    await stack.addAgent('g1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    const call = stack.emulator.placeCall({
      destination: '12333',
      callerIdNumber: '13800001111',
      hangupAfterBridgeMs: 100,
      dtmf: [{ afterAnswerMs: 100, digits: '3' }],
    });
    const rec = await recordOf(call);
    expect(rec).toMatchObject({ outcome: 'answered', agent: 'g1', skill: 'hrss' });
    expect(rec.answeredAt! - rec.queuedAt!).toBeGreaterThanOrEqual(2000);
  });

  it('moves a call past its maximum wait to the fallback queue', async () => {
    await setQueue('environment', {
      overflowAfterS: 0,
      maxWaitS: 2,
      fallback: { kind: 'queue', skill: 'urban' },
    });
    await stack.addAgent('u1', '1001', { urban: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    const call = stack.emulator.placeCall({
      destination: '12369',
      callerIdNumber: '13800002222',
      hangupAfterBridgeMs: 100,
      dtmf: [{ afterAnswerMs: 100, digits: '1' }],
    });
    const rec = await recordOf(call);
    expect(rec).toMatchObject({ outcome: 'answered', agent: 'u1', skill: 'urban' });
    expect(rec.answeredAt! - rec.queuedAt!).toBeGreaterThanOrEqual(2000);
  });

  it('virtual hold: a caller past the maximum wait is called back, keeping the place in line', async () => {
    await setQueue('environment', { overflowAfterS: 0, maxWaitS: 2, fallback: { kind: 'callback' } });
    const call = stack.emulator.placeCall({
      destination: '12369',
      callerIdNumber: '+8613800003333',
      dtmf: [{ afterAnswerMs: 100, digits: '1' }],
    });
    const first = await call.ended;
    expect(first.hangupBy).not.toBe('caller');
    await sleep(300);
    expect(await records()).toEqual([]); // still in line, not ended
    // An environment agent comes; the router rings the agent, then the citizen, and bridges them.
    stack.emulator.setAgent('13800003333', { behaviour: 'answer', answerAfterMs: 100, talkMs: 300 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    const desk = await stack.connectDesktop('e1').catch(() => null);
    await stack.addAgent('e1', '1001', { environment: 1 });
    void desk;
    const rec = await waitFor(
      async () => (await records()).find((r) => r.callback),
      10_000,
      'callback record',
    );
    expect(rec).toMatchObject({ outcome: 'answered', agent: 'e1', callback: true, caller: '13800003333' });
  });
});

describe('agent states', () => {
  /** g1 on 1001, then g2 on 1002: g1 has been idle longer, so it is offered the first call. */
  const twoGeneralAgents = async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    await sleep(5);
    await stack.addAgent('g2', '1002', { general: 1 });
  };

  it('re-offers on ring timeout, counts the no-answer, and sets not ready after K misses', async () => {
    const s = (await stack.admin('/admin/acd/settings')).body;
    await stack.admin('/admin/acd/settings', { method: 'PUT', body: { ...s, maxNoAnswer: 1 } });
    await twoGeneralAgents();
    stack.emulator.setAgent('1001', { behaviour: 'no-answer' });
    stack.emulator.setAgent('1002', { behaviour: 'answer', answerAfterMs: 50 });
    const call = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13800004444',
      hangupAfterBridgeMs: 100,
    });
    const rec = await recordOf(call);
    expect(rec).toMatchObject({ outcome: 'answered', agent: 'g2', noAnswerAgents: ['g1'] });
    const g1 = (await stack.admin('/admin/agents')).body.find((a: { id: string }) => a.id === 'g1');
    expect(g1).toMatchObject({ state: 'not_ready', reason: 'no-answer', noAnswerStreak: 1 });
  });

  it('a phone that hangs up as it answers: the caller, never put through, goes to the next agent', async () => {
    await twoGeneralAgents();
    // 1001's leg is gone right after its answer, before the router's uuid_bridge reaches it.
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50, hangupAfterAnswerMs: 0 });
    stack.emulator.setAgent('1002', { behaviour: 'answer', answerAfterMs: 50 });
    const call = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13800004545',
      hangupAfterBridgeMs: 100,
    });
    const rec = await recordOf(call);
    expect(rec).toMatchObject({ outcome: 'answered', agent: 'g2', noAnswerAgents: ['g1'] });
    const g1 = (await stack.admin('/admin/agents')).body.find((a: { id: string }) => a.id === 'g1');
    expect(g1).toMatchObject({ state: 'ready' });
  });

  it('a phone that drops every call as it answers is set not ready (phone-drops) after the no-answer limit', async () => {
    const s = (await stack.admin('/admin/acd/settings')).body;
    await stack.admin('/admin/acd/settings', { method: 'PUT', body: { ...s, maxNoAnswer: 2 } });
    await twoGeneralAgents();
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50, hangupAfterAnswerMs: 0 });
    stack.emulator.setAgent('1002', { behaviour: 'answer', answerAfterMs: 50 });
    const agent = async (id: string) =>
      (await stack.admin('/admin/agents')).body.find((a: { id: string }) => a.id === id);
    // Each caller is offered to g1 first (the longest idle: g2 has just finished a call), loses that offer to the
    // phone and is put through to g2.
    for (const [i, streak] of [1, 2].entries()) {
      const call = stack.emulator.placeCall({
        destination: '12345',
        callerIdNumber: `1380000470${i}`,
        hangupAfterBridgeMs: 100,
      });
      const rec = await recordOf(call);
      expect(rec).toMatchObject({ outcome: 'answered', agent: 'g2', noAnswerAgents: ['g1'] });
      expect(await agent('g1')).toMatchObject({ dropStreak: streak });
    }
    expect(await agent('g1')).toMatchObject({ state: 'not_ready', reason: 'phone-drops' });
    // The next caller goes straight to g2, with no lost offer first.
    await waitFor(async () => (await agent('g2'))?.state === 'ready', 5_000, 'g2 ready');
    const third = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13800004709',
      hangupAfterBridgeMs: 100,
    });
    expect(await recordOf(third)).toMatchObject({ outcome: 'answered', agent: 'g2', noAnswerAgents: [] });
  });

  it('a caller whose joins keep failing is let go after the second, recorded as failed, never as served', async () => {
    await twoGeneralAgents();
    // Both phones drop as they answer: what an overloaded switch, whose joins take seconds, looks like.
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50, hangupAfterAnswerMs: 0 });
    stack.emulator.setAgent('1002', { behaviour: 'answer', answerAfterMs: 50, hangupAfterAnswerMs: 0 });
    const call = stack.emulator.placeCall({ destination: '12345', callerIdNumber: '13800004646' });
    const rec = await recordOf(call);
    expect(rec).toMatchObject({ outcome: 'failed', noAnswerAgents: ['g1', 'g2'] });
    expect(rec.answeredAt).toBeUndefined();
  });

  it('never offers an agent in wrap-up; ending wrap-up early makes the agent offerable at once', async () => {
    await setQueue('general', { wrapupS: 60 });
    await stack.addAgent('g1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    const first = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13800005555',
      hangupAfterBridgeMs: 100,
    });
    await recordOf(first);
    expect((await stack.admin('/admin/agents')).body[0].state).toBe('wrapup');
    const second = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13800005556',
      hangupAfterBridgeMs: 100,
    });
    await sleep(1500);
    expect((await records()).length).toBe(1);
    expect((await stack.admin('/admin/agents/g1/end-wrapup', { method: 'POST' })).status).toBe(200);
    const rec = await recordOf(second);
    expect(rec).toMatchObject({ outcome: 'answered', agent: 'g1' });
  });
});

describe('measures', () => {
  it('keeps 15-minute interval measures by line, class and skill', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    const a = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13800006666',
      hangupAfterBridgeMs: 300,
    });
    await recordOf(a);
    const b = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13800006667',
      patienceMs: 100,
    });
    await recordOf(b);
    const rows = [];
    for (const day of recentDays()) rows.push(...(await stack.admin(`/admin/stats?date=${day}`)).body.rows);
    // The two calls may fall on either side of a quarter-hour boundary (or midnight): add up their line's rows.
    const mine = rows.filter(
      (r: { line: string; priority: string }) => r.line === '12345' && r.priority === 'normal',
    );
    const sum = (k: string) => mine.reduce((n: number, r: Record<string, number>) => n + (r[k] ?? 0), 0);
    expect(mine.every((r: { skill: string }) => r.skill === 'general')).toBe(true);
    expect({
      offered: sum('offered'),
      answered: sum('answered'),
      abandoned: sum('abandoned'),
      shortAbandoned: sum('shortAbandoned'),
    }).toEqual({ offered: 2, answered: 1, abandoned: 1, shortAbandoned: 1 });
    const answeredRow = mine.find((r: { answered: number }) => r.answered === 1);
    // A short abandon does not count against the answer rate.
    expect(answeredRow.answerRate).toBe(1);
    expect(answeredRow.asaS).toBeGreaterThanOrEqual(0);
    expect(answeredRow.ahtS).toBeGreaterThan(0.2);
  });
});

describe('place in line', () => {
  it('a caller put straight into the queue waits from their arrival at the switch; a greeted one from the queue', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    // The shipped 12345 menu greets the caller first: their wait starts when they reach the queue.
    const greeted = await recordOf(
      stack.emulator.placeCall({
        destination: '12345',
        callerIdNumber: '13800006670',
        hangupAfterBridgeMs: 100,
      }),
    );
    expect(greeted.queuedAt).toBeGreaterThan(greeted.arrivedAt);
    const doc = {
      line: '12345',
      mode: 'direct',
      human: { skill: 'general', label: '转人工服务' },
      nodes: {},
    };
    const pub = await stack.admin('/admin/ivr/12345/publish', {
      method: 'POST',
      body: { operator: 'test', doc },
    });
    expect(pub.status, JSON.stringify(pub.body)).toBe(200);
    // Nothing played: their place in line is the channel's creation on the switch, whole ms.
    const direct = await recordOf(
      stack.emulator.placeCall({
        destination: '12345',
        callerIdNumber: '13800006671',
        hangupAfterBridgeMs: 100,
      }),
    );
    expect(direct.outcome).toBe('answered');
    expect(direct.queuedAt).toBe(direct.arrivedAt);
    expect(Number.isInteger(direct.arrivedAt)).toBe(true);
  });
});

describe('caller in queue', () => {
  it('announces position and expected wait, and offers a callback that keeps the place in line', async () => {
    const s = (await stack.admin('/admin/acd/settings')).body;
    await stack.admin('/admin/acd/settings', {
      method: 'PUT',
      body: { ...s, announceEveryS: 5, callbackOfferAboveS: 0 },
    });
    // No agent on duty yet: the caller waits, hears the announcement at 5 s and presses 1.
    const call = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13800007777',
      dtmf: [{ afterAnswerMs: 6000, digits: '1' }],
    });
    const first = await call.ended;
    expect(first.hangupBy).not.toBe('caller');
    expect(stack.logs.join('')).toContain('caller chose a callback; place kept in line');
    stack.emulator.setAgent('13800007777', { behaviour: 'answer', answerAfterMs: 50, talkMs: 200 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    await stack.addAgent('g1', '1001', { general: 1 });
    const rec = await waitFor(
      async () => (await records()).find((r) => r.callback),
      10_000,
      'callback record',
    );
    expect(rec).toMatchObject({ outcome: 'answered', agent: 'g1', callback: true });
  }, 30_000);
});

describe('transfers by agents', () => {
  it('transfers a caller to another queue and, when a sub-center does not answer, back to 12345 seats', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    await stack.addAgent('h1', '1002', { hrss: 1 });
    await stack.addAgent('l1', '1003', { legal: 1 });
    for (const ext of ['1001', '1002', '1003'])
      stack.emulator.setAgent(ext, { behaviour: 'answer', answerAfterMs: 50 });
    const g1 = await stack.connectDesktop('g1');
    const h1 = await stack.connectDesktop('h1');
    const call = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13800008888',
      hangupAfterBridgeMs: 8000,
    });
    const offer = await g1.next('answered');
    const callId = (offer as { callId: string }).callId;
    g1.send(JSON.stringify({ type: 'transfer', callId, target: { kind: 'queue', skill: 'hrss' } }));
    await h1.next('answered');
    h1.send(JSON.stringify({ type: 'transfer', callId, target: { kind: 'subcenter', line: '12348' } }));
    const rec = await recordOf(call);
    // 12348's sub-center (an address nothing answers here) fails; the legal desk of 12345 takes it.
    expect(rec).toMatchObject({ outcome: 'answered', agent: 'l1', skill: 'legal' });
    expect(rec.transfers!.map((t) => [t.from, t.to])).toEqual([
      ['g1', 'queue:hrss'],
      ['h1', 'subcenter:12348'],
    ]);
  }, 30_000);
});
