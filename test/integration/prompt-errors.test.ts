// A prompt FreeSWITCH cannot play (its file is missing) is logged and counted (/health socketServer.promptErrors),
// and the caller still has the menu's time to press a key: never an instant "no input". The emulator does what the
// real FreeSWITCH does with a missing file (test/real/prompts.test.ts shows the real one).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MenuDocument } from '../../src/ivr/types.ts';
import type { CallRecord } from '../../src/records/call-records.ts';
import { knownSoundsDurationMs, type CallerScript } from '../../src/switch-emulator/index.ts';
import { type Stack, startStack, waitFor } from '../helpers/stack.ts';
import { recentRecords } from '../helpers/recent-records.ts';

let stack: Stack;
beforeEach(async () => {
  // Only the shipped sounds exist, each playing 300 ms, as on a FreeSWITCH installed with freeswitch-conf/.
  stack = await startStack({}, { fileDurationMs: knownSoundsDurationMs(undefined, 300) });
  await stack.addAgent('p1', '1001', { hrss: 1, market: 1, general: 1 });
  stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
});
afterEach(async () => {
  await stack.stop();
});

async function callAndRecord(script: CallerScript): Promise<CallRecord> {
  const call = stack.emulator.placeCall({ hangupAfterBridgeMs: 100, ...script });
  await call.ended;
  return waitFor(
    async () => (await recentRecords(stack.admin)).find((r) => r.uuid === call.uuid),
    8000,
    'record',
  );
}

const promptErrors = async (): Promise<number> =>
  (await stack.admin('/health')).body.socketServer.promptErrors as number;

describe('prompts FreeSWITCH cannot play', () => {
  it('a menu whose prompt file is missing still waits for the key, and the error is logged and counted', async () => {
    const doc: MenuDocument = {
      line: '12333',
      mode: 'menu',
      human: { skill: 'hrss', label: '人工' },
      root: 'main',
      nodes: {
        main: {
          type: 'menu',
          label: '未录音菜单',
          prompt: { file: 'ivr/12333/not-recorded-yet.wav', text: '养老保险请按1。' },
          options: [{ digit: '1', next: 'q' }],
          timeoutMs: 3000,
        },
        q: { type: 'queue', label: '人社专席', skill: 'hrss' },
      },
    };
    const pub = await stack.admin('/admin/ivr/12333/publish', {
      method: 'POST',
      body: { operator: '值班长王', doc },
    });
    expect(pub.status, JSON.stringify(pub.body)).toBe(200);
    expect(await promptErrors()).toBe(0);
    const rec = await callAndRecord({
      destination: '12333',
      callerIdNumber: '13800007777',
      dtmf: [{ afterAnswerMs: 1800, digits: '1' }],
    });
    const main = rec.ivrSteps!.find((s) => s.node === 'main')!;
    expect(main.exit).toBe('digit:1');
    expect(main.leftAt! - main.enteredAt).toBeGreaterThanOrEqual(1500);
    expect(rec.outcome).toBe('answered');
    expect(await promptErrors()).toBe(1);
    const line = stack.logs.find((l) => l.includes('prompt could not be played'));
    expect(line).toContain('ivr/12333/not-recorded-yet.wav');
    expect(line).toContain('"level":40');
    expect(line).not.toContain('13800007777');
  });

  it('the shipped menus, queue prompts and hold music play without a prompt error', async () => {
    const rec = await callAndRecord({
      destination: '12315',
      callerIdNumber: '13800008888',
      dtmf: [{ afterAnswerMs: 150, digits: '1' }],
    });
    expect(rec.ivrPath[0]).toBe('12315主菜单(按1)');
    expect(rec.outcome).toBe('answered');
    expect(await promptErrors()).toBe(0);
  });
});
