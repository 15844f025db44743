// The call scenarios of the earlier issues, end to end on a real FreeSWITCH 1.10.12 running the project's
// freeswitch-conf and dialplans as installed by install.sh: sipp callers on the carrier profile, sipp phones
// registered with digest on the agents profile, the router over the real event socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/stack.ts';
import { havePeers } from './freeswitch.ts';
import { placeCall, startPhones, type Phones } from './sip.ts';
import { startRealStack, type RealStack } from './stack.ts';

describe.skipIf(!havePeers)('real FreeSWITCH: call flow', () => {
  let s: RealStack;
  let phones: Phones;
  beforeAll(async () => {
    s = await startRealStack();
    phones = await startPhones(s.fs, ['1001', '1002'], { behaviour: 'answer', ringMs: 200 });
  });
  afterAll(async () => {
    phones?.stop();
    await s?.stop();
  });

  it('12345 direct: the registered agent is rung in the agents domain and answers', async () => {
    await s.addAgent('a1', '1001', { general: 1 });
    const desk = await s.connectDesktop('a1');
    const caller = await placeCall(s.fs, {
      dialled: '12345',
      callerId: '13800138000',
      steps: [{ wait: 6000 }, { hangup: true }],
    });
    const offer = await desk.next('offer', 15_000);
    expect(offer).toMatchObject({ line: '12345' });
    await desk.next('answered', 10_000);
    expect(phones.invites()).toContain('1001');
    const r = await caller.done;
    expect(r.code).toBe(0);
    const rec = await waitFor(
      async () => (await s.records()).find((x) => x.agent === 'a1'),
      10_000,
      'record',
    );
    expect(rec.outcome).toBe('answered');
    expect(s.fs.log()).not.toContain('USER_NOT_REGISTERED');
  });
});
