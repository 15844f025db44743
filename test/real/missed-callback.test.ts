// Missed-call callback on the real FreeSWITCH: a caller hangs up in the queue with nobody on duty; when an agent
// comes on duty the router rings the agent's registered phone, then calls the citizen back out through the
// carrier profile (a sipp UAS stands for the citizen's phone), bridges the two, and records the callback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/stack.ts';
import { havePeers } from './freeswitch.ts';
import { placeCall, startPhones, type Phones } from './sip.ts';
import { startRealStack, type RealStack } from './stack.ts';

describe.skipIf(!havePeers)('real FreeSWITCH: missed-call callback', () => {
  let s: RealStack;
  let citizen: Phones;
  let agent: Phones;
  beforeAll(async () => {
    // The citizen's phone: answers, talks 1.5 s, hangs up. Not registered: reached by address on the carrier side.
    citizen = await startPhones({ agentsPort: 0, agentPassword: '' }, [], {
      behaviour: 'answer',
      ringMs: 200,
      talkMs: 1500,
    });
    s = await startRealStack({
      HOTLINE_MISSED_CALLBACK: 'on',
      HOTLINE_MISSED_CALLBACK_HOURS: '00:00-24:00',
      HOTLINE_CALLBACK_DIAL: `sofia/hotline_carrier/{number}@127.0.0.1:${citizen.port}`,
    });
    agent = await startPhones(s.fs, ['1001'], { behaviour: 'answer', ringMs: 200 });
  });
  afterAll(async () => {
    citizen?.stop();
    agent?.stop();
    await s?.stop();
  });

  it('calls back a caller who hung up in the queue once an agent is free, and records it', async () => {
    const who = '13911112345';
    const call = await placeCall(s.fs, {
      dialled: '12345',
      callerId: who,
      steps: [{ wait: 4000 }, { hangup: true }],
    });
    expect((await call.done).code).toBe(0);
    const missed = await waitFor(
      async () => (await s.records()).find((r) => r.caller === who),
      15_000,
      'the missed call recorded',
    );
    expect(['abandoned', 'ended-in-ivr']).toContain(missed.outcome);
    await s.addAgent('c1', '1001', { general: 1 });
    const back = await waitFor(
      async () => (await s.records()).find((r) => r.missedCallback),
      30_000,
      'the missed-call callback record',
    );
    expect(back).toMatchObject({ caller: who, outcome: 'answered', agent: 'c1', callback: true });
    expect(agent.invites()).toContain('1001');
    expect(citizen.invites()).toContain(who);
  });
});
