// Two real router processes sharing one Redis prefix and one switch: the agent's desktop is on
// instance A, the call's channel on instance B; B's offer reaches the desktop through Redis. A desktop
// that moves from A to B resumes there with exactly what it missed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchEmulator, hotlineCallDialplan } from '../../src/switch-emulator/index.ts';
import { waitFor } from '../helpers/stack.ts';
import {
  adminCall,
  type ChildRouter,
  cleanup,
  startChildRouter,
  TestDesktop,
  testPrefix,
} from './helpers.ts';

let emulator: SwitchEmulator;
let a: ChildRouter;
let b: ChildRouter;
let prefix: string;
let target = 0; // which router's ESL port calls go to

beforeAll(async () => {
  prefix = testPrefix();
  emulator = new SwitchEmulator({
    dialplan: (call) => hotlineCallDialplan(`127.0.0.1:${target}`)(call),
    fileDurationMs: () => 200,
  });
  await emulator.start();
  const common = {
    HOTLINE_REDIS_PREFIX: prefix,
    HOTLINE_FS_PORT: String(emulator.eslPort),
    HOTLINE_RING_TIMEOUT_S: '5',
    HOTLINE_WRAPUP_S: '0',
  };
  [a, b] = await Promise.all([
    startChildRouter({ ...common, HOTLINE_INSTANCE_ID: 'router-a' }),
    startChildRouter({ ...common, HOTLINE_INSTANCE_ID: 'router-b' }),
  ]);
  target = b.eslPort;
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await emulator?.stop();
  await cleanup(prefix);
});

async function token(port: number, agentId: string): Promise<string> {
  return (await adminCall(port, `/admin/agents/${agentId}/token`, { method: 'POST', body: {} })).body.token;
}

describe('two router instances', () => {
  it('delivers an offer decided on instance B to a desktop connected to instance A', async () => {
    await adminCall(a.httpPort, '/admin/agents/x1', {
      method: 'PUT',
      body: { name: '坐席x1', extension: '1001', skills: { general: 1 } },
    });
    emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 200 });
    const desk = await TestDesktop.open(`ws://127.0.0.1:${a.httpPort}/agent/ws`);
    desk.send({ type: 'login', token: await token(a.httpPort, 'x1') });
    expect(await desk.next('hello')).toMatchObject({ instance: 'router-a' });
    // The call waits in B's queue (hold music playing) before the agent becomes ready on A.
    const call = emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13900005555',
      hangupAfterBridgeMs: 300,
      dtmf: [{ afterAnswerMs: 50, digits: '0' }],
    });
    await waitFor(() => b.output.some((l) => l.includes('queued for a human')), 10_000, 'queued on B');
    await new Promise((r) => setTimeout(r, 300));
    desk.send({ type: 'ready' });
    await desk.next('state', 5000, (m) => m.state === 'ready');
    const offer = await desk.next('offer', 10_000);
    expect(offer).toMatchObject({
      caller: '13900005555',
      line: '12345',
      ivrPath: ['欢迎语(按0)', '转人工服务'],
    });
    await desk.next('answered');
    await desk.next('ended');
    await call.ended;
    // The call lived on B: B offered it; A only carried the desktop.
    expect(b.output.join('\n')).toContain('offering call to agent');
    expect(a.output.join('\n')).not.toContain('offering call to agent');
    expect(a.output.join('\n')).toContain('agent desktop connected');
    expect(b.output.join('\n')).not.toContain('agent desktop connected');
    desk.close();
  });

  it('resumes on B what was sent while the desktop was away from A', async () => {
    const desk = await TestDesktop.open(
      `ws://127.0.0.1:${a.httpPort}/agent/ws?token=${await token(a.httpPort, 'x1')}`,
    );
    await desk.next('hello');
    const { body } = await adminCall(b.httpPort, '/admin/desktop/message', {
      method: 'POST',
      body: { agentIds: ['x1'], text: '经由B发送' },
    });
    const got = await desk.next('supervisor');
    expect(got).toMatchObject({ text: '经由B发送', seq: body.sent[0].seq });
    const lastSeq = got.seq as number;
    desk.close();
    await desk.closed;
    const tidal = await adminCall(a.httpPort, '/admin/desktop/tidal', {
      method: 'POST',
      body: { agentIds: ['x1'], at: '09:00', toPool: 'front' },
    });
    const moved = await TestDesktop.open(`ws://127.0.0.1:${b.httpPort}/agent/ws`);
    moved.send({ type: 'login', token: await token(b.httpPort, 'x1'), lastSeq });
    expect(await moved.next('hello')).toMatchObject({ instance: 'router-b', resumed: 1 });
    expect(await moved.next('tidal')).toMatchObject({ seq: tidal.body.sent[0].seq, time: '09:00' });
    expect(moved.seqs()).toEqual([lastSeq + 1]);
    moved.close();
  });
});
