// The specialist desks 12345 ships with (涉企服务专席, 方言专席): a key during the greeting reaches the desk's
// agents; when nobody there is free the call overflows to the general pool; a caller who presses nothing reaches a
// general agent as before. The switch emulator's caller presses keys on real ESL; real Redis.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/records/call-records.ts';
import type { CallerScript } from '../../src/switch-emulator/index.ts';
import { type Stack, startStack, waitFor } from '../helpers/stack.ts';
import { recentRecords } from '../helpers/recent-records.ts';

let stack: Stack;
beforeEach(async () => {
  stack = await startStack({}, { fileDurationMs: () => 600 });
});
afterEach(async () => {
  await stack.stop();
});

async function callAndRecord(script: Omit<CallerScript, 'destination'>): Promise<CallRecord> {
  const call = stack.emulator.placeCall({ hangupAfterBridgeMs: 100, ...script, destination: '12345' });
  await call.ended;
  return waitFor(
    async () => (await recentRecords(stack.admin)).find((r) => r.uuid === call.uuid),
    15_000,
    'record',
  );
}

describe('12345 specialist desks', () => {
  it('ships the desks as queues that overflow to the general pool', async () => {
    const queues = (await stack.admin('/admin/queues')).body as Array<{
      skill: string;
      name: string;
      overflowTo: string;
      overflowAfterS: number;
    }>;
    expect(queues.find((q) => q.skill === 'enterprise')).toMatchObject({
      name: '涉企服务专席',
      overflowTo: 'general',
      overflowAfterS: 30,
    });
    expect(queues.find((q) => q.skill === 'dialect')).toMatchObject({
      name: '方言专席',
      overflowTo: 'general',
    });
  });

  it('a key during the greeting reaches the desk; nobody pressing reaches a general agent', async () => {
    await stack.addAgent('g1', '1001', { general: 1 });
    await stack.addAgent('e1', '1002', { enterprise: 1 });
    await stack.addAgent('d1', '1003', { dialect: 1 });
    for (const x of ['1001', '1002', '1003'])
      stack.emulator.setAgent(x, { behaviour: 'answer', answerAfterMs: 50 });

    const ent = await callAndRecord({
      callerIdNumber: '13800005551',
      dtmf: [{ afterAnswerMs: 200, digits: '1' }],
    });
    expect(ent).toMatchObject({
      outcome: 'answered',
      skill: 'enterprise',
      priority: 'enterprise',
      agent: 'e1',
    });
    expect(ent.ivrPath).toEqual(['欢迎语(按1)', '涉企服务专席']);
    const dia = await callAndRecord({
      callerIdNumber: '13800005552',
      dtmf: [{ afterAnswerMs: 200, digits: '2' }],
    });
    expect(dia).toMatchObject({ outcome: 'answered', skill: 'dialect', agent: 'd1' });
    const plain = await callAndRecord({ callerIdNumber: '13800005553' });
    expect(plain).toMatchObject({
      outcome: 'answered',
      skill: 'general',
      agent: 'g1',
      priorityReason: 'direct',
    });
  });

  it('with nobody at the desk, its caller overflows to a general agent', async () => {
    const q = ((await stack.admin('/admin/queues')).body as Array<Record<string, unknown>>).find(
      (x) => x.skill === 'dialect',
    )!;
    expect(
      (await stack.admin('/admin/queues/dialect', { method: 'PUT', body: { ...q, overflowAfterS: 1 } }))
        .status,
    ).toBe(200);
    await stack.addAgent('g1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    const rec = await callAndRecord({
      callerIdNumber: '13800005554',
      dtmf: [{ afterAnswerMs: 200, digits: '2' }],
    });
    expect(rec).toMatchObject({ outcome: 'answered', skill: 'dialect', agent: 'g1' });
    expect(rec.answeredAt! - rec.queuedAt!).toBeGreaterThanOrEqual(1000);
  });
});
