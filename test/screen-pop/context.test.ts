// What the pop carries beyond the call flow's fields: the caller's previous calls in the last 30
// days (outcomes, survey scores, the repeat flag), policy links, the priority class in Chinese; and
// a caller number that reaches the agent in full but never a log line.
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CallRecord, CallRecordStore } from '../../src/records/call-records.ts';
import { Keys } from '../../src/redis/keys.ts';
import { indexCallRecord, lookupHistory } from '../../src/screen-pop/caller-history.ts';
import { REDIS_URL } from '../helpers/redis.ts';
import { type Stack, startStack, waitFor } from '../helpers/stack.ts';

let stack: Stack;
let redis: Redis;
beforeEach(async () => {
  stack = await startStack();
  redis = new Redis(REDIS_URL);
});
afterEach(async () => {
  redis.disconnect();
  await stack.stop();
});

const DAY = 86400_000;

function record(over: Partial<CallRecord>): CallRecord {
  const arrivedAt = over.arrivedAt ?? Date.now() - DAY;
  return {
    id: `old-${Math.random().toString(36).slice(2)}`,
    uuid: 'u',
    line: '12345',
    mergeMode: 'hub',
    skill: 'general',
    caller: '13900001234',
    dialled: '12345',
    priority: 'normal',
    ivrPath: ['欢迎语(按0)', '转人工服务'],
    arrivedAt,
    answeredAt: arrivedAt + 20_000,
    endedAt: arrivedAt + 200_000,
    agent: 'g9',
    outcome: 'answered',
    hangupCause: 'NORMAL_CLEARING',
    noAnswerAgents: [],
    instance: 'old',
    ...over,
  };
}

async function seed(recs: CallRecord[]): Promise<void> {
  const keys = new Keys(stack.prefix);
  const store = new CallRecordStore(redis, keys);
  for (const r of recs) {
    await store.write(r);
    await indexCallRecord(redis, keys, r);
  }
}

describe('the caller in the pop', () => {
  it('shows previous calls with outcomes and survey scores, flags a repeat caller, adds links', async () => {
    await seed([
      record({
        id: 'prev-1',
        arrivedAt: Date.now() - 3 * DAY,
        survey: { speed: 4, resolution: 2, attitude: 5 },
      }),
      record({ id: 'prev-2', arrivedAt: Date.now() - 1 * DAY, outcome: 'abandoned', answeredAt: undefined }),
      record({ id: 'too-old', arrivedAt: Date.now() - 45 * DAY }),
      record({ id: 'other', caller: '13900009999' }),
    ]);
    const links = [
      ['line:12345', [{ title: '12345 热线服务规范', url: 'https://example.gov.cn/12345' }]],
      ['skill:general', [{ title: '综合咨询知识库', url: 'https://kb.example.gov.cn/general' }]],
      [
        'ivr:12345:转人工服务',
        [
          { title: '人工服务指引', url: 'https://example.gov.cn/human' },
          { title: '12345 热线服务规范', url: 'https://example.gov.cn/12345' },
        ],
      ],
    ] as const;
    for (const [scope, l] of links) {
      const r = await stack.admin(`/admin/screenpop/links/${encodeURIComponent(scope)}`, {
        method: 'PUT',
        body: { links: l },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    expect(
      (await stack.admin('/admin/screenpop/links/nonsense', { method: 'PUT', body: { links: [] } })).status,
    ).toBe(400);

    await stack.addAgent('g1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 100 });
    const desk = await stack.connectDesktop('g1');
    const call = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '+86 139 0000 1234',
      hangupAfterBridgeMs: 200,
      dtmf: [{ afterAnswerMs: 50, digits: '0' }],
    });
    const offer = await desk.next('offer');
    if (offer.type !== 'offer') throw new Error('not an offer');
    expect(offer).toMatchObject({
      caller: '13900001234',
      line: '12345',
      lineName: '政务服务便民热线',
      mergeModeLabel: '12345主号',
      skill: 'general',
      priority: 'normal',
      ivrPath: ['欢迎语(按0)', '转人工服务'],
    });
    expect(offer.priorityLabel).toMatch(/^普通/);
    expect(offer.history).toMatchObject({
      days: 30,
      count: 2,
      repeat: true,
      survey: { answered: 1, average: 3.7 },
    });
    expect(offer.history.calls.map((c) => [c.callId, c.outcome, c.outcomeLabel])).toEqual([
      ['prev-2', 'abandoned', '排队中挂机'],
      ['prev-1', 'answered', '已接通'],
    ]);
    expect(offer.history.calls[1]).toMatchObject({
      survey: { speed: 4, resolution: 2, attitude: 5 },
      talkS: 180,
    });
    expect(offer.links.map((l) => l.title)).toEqual(['12345 热线服务规范', '综合咨询知识库', '人工服务指引']);
    await call.ended;

    // Agents see the number in full; logs never do.
    const logs = stack.logs.join('');
    expect(logs).toContain('offering call to agent');
    expect(logs).not.toContain('13900001234');
  });

  it('indexes a finished call so that the next call from the number shows it', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    const desk = await stack.connectDesktop('g1');
    const first = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13700002468',
      hangupAfterBridgeMs: 200,
      dtmf: [{ afterAnswerMs: 50, digits: '0' }],
    });
    const o1 = await desk.next('offer');
    expect(o1.type === 'offer' && o1.history).toMatchObject({ count: 0, repeat: false, calls: [] });
    await first.ended;
    await desk.next('ended');
    const keys = new Keys(stack.prefix);
    await waitFor(
      async () => (await lookupHistory(redis, keys, '13700002468', '')).count === 1,
      5000,
      'first call indexed',
    );
    await waitFor(
      async () => (await stack.router.parts.acd.getAgent('g1'))?.state === 'ready',
      5000,
      'agent ready again',
    );
    const second = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13700002468',
      hangupAfterBridgeMs: 200,
      dtmf: [{ afterAnswerMs: 50, digits: '0' }],
    });
    const o2 = await desk.next('offer');
    if (o2.type !== 'offer') throw new Error('not an offer');
    expect(o2.history).toMatchObject({ count: 1, repeat: true });
    expect(o2.history.calls[0]).toMatchObject({ outcome: 'answered', agent: 'g1', line: '12345' });
    await second.ended;
  });

  it('brings back the card of the ringing call to a desktop that starts afresh', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 1500 });
    const call = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13700001357',
      hangupAfterBridgeMs: 200,
      dtmf: [{ afterAnswerMs: 50, digits: '0' }],
    });
    await waitFor(
      async () => (await stack.router.parts.acd.getAgent('g1'))?.state === 'ringing',
      5000,
      'ringing',
    );
    const late = await stack.connectDesktop('g1');
    const hello = await late.next('hello');
    expect(hello.type === 'hello' && hello.state).toBe('ringing');
    const offer = await late.next('offer');
    expect(offer.type === 'offer' && offer.caller).toBe('13700001357');
    await late.next('answered');
    await call.ended;
  });
});
