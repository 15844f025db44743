// Parked callers on a real FreeSWITCH 1.10.12: the dialplan parks the caller (hotline_call_control=park) instead of
// connecting a socket to the router, and the router drives the channel by uuid over its inbound sockets
// (HOTLINE_PARKED_CALL_SOCKETS, src/esl/parked-calls.ts). The call scenarios that run on the channel itself:
// straight to an agent, a menu key, a caller who gives up while queued, the survey after the agent hangs up.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/stack.ts';
import { havePeers } from './freeswitch.ts';
import { placeCall, startPhones, type Phones } from './sip.ts';
import { startRealStack, type RealStack } from './stack.ts';
import { careFirst, recordOn, sipInfoThenZero, transferToDesk } from './scenarios.ts';

let n = 0;
const caller = () => `1390100${String(1000 + n++).padStart(4, '0')}`;

describe.skipIf(!havePeers)('real FreeSWITCH: parked callers driven over inbound sockets', () => {
  let s: RealStack;
  let phones: Phones;
  let talkers: Phones;
  beforeAll(async () => {
    s = await startRealStack(
      { HOTLINE_PARKED_CALL_SOCKETS: '2' },
      // The shipped dialplan, told to park hotline callers (hotline_call_control, as an operator sets it).
      { env: { FS_HOTLINE_CALL_CONTROL: 'park' } },
    );
    await waitFor(
      async () => (await s.admin('/health')).body.parkedCalls?.state === 'connected',
      10_000,
      'parked-call sockets up',
    );
    phones = await startPhones(s.fs, ['1001', '1002'], { behaviour: 'answer', ringMs: 200 });
    talkers = await startPhones(s.fs, ['1005'], { behaviour: 'answer', ringMs: 200, talkMs: 1500 });
  });
  afterAll(async () => {
    phones?.stop();
    talkers?.stop();
    await s?.stop();
  });
  afterEach(async () => {
    const agents = (await s.admin('/admin/agents')).body as Array<{ id: string }>;
    for (const a of agents ?? [])
      await s.admin(`/admin/agents/${a.id}/state`, { method: 'POST', body: { state: 'logged_out' } });
  });

  const recordOf = (number: string, timeoutMs = 15_000) => recordOn(s, number, timeoutMs);

  it('12345: the parked caller reaches the agent with no socket of its own, and is recorded', async () => {
    await s.addAgent('p1', '1001', { general: 1 });
    const desk = await s.connectDesktop('p1');
    const who = caller();
    const call = await placeCall(s.fs, {
      dialled: '12345',
      callerId: who,
      steps: [{ wait: 15_000 }, { hangup: true }],
    });
    expect(await desk.next('offer', 15_000)).toMatchObject({ line: '12345' });
    await desk.next('answered', 10_000);
    expect(phones.invites()).toContain('1001');
    await call.done;
    expect(await recordOf(who)).toMatchObject({ outcome: 'answered', agent: 'p1', line: '12345' });
    const health = (await s.admin('/health')).body;
    expect(health.parkedCalls.sessions).toBeGreaterThanOrEqual(1);
    expect(health.socketServer.sessions).toBe(0);
    // The router's own link takes neither the parked caller's hangup (the parked-call event socket has it) nor
    // the job of its agent's originate (only its own jobs, by a filter on each).
    expect(health.eslInbound.events.CHANNEL_HANGUP_COMPLETE ?? 0).toBe(0);
    expect(health.eslInbound.events.BACKGROUND_JOB ?? 0).toBe(0);
    desk.close();
  });

  it('a legacy menu takes an RFC 2833 key from a parked caller: 12315, 1 for the consumer-complaints desk', async () => {
    await s.addAgent('p2', '1002', { market: 1 });
    const who = caller();
    const call = await placeCall(s.fs, {
      dialled: '12315',
      callerId: who,
      steps: [{ wait: 1500 }, { rfc2833: '1' }, { wait: 6000 }, { hangup: true }],
    });
    await call.done;
    const rec = await recordOf(who);
    expect(rec).toMatchObject({ outcome: 'answered', agent: 'p2', skill: 'market' });
    expect(rec.ivrPath[0]).toBe('12315主菜单(按1)');
  });

  it('a parked caller keys by SIP INFO, and 0 from a sub-menu reaches a human', () =>
    sipInfoThenZero(s, caller(), { id: 'ph1', extension: '1002' }));

  it('a parked care-list caller is served before a normal caller who waited longer', () =>
    careFirst(s, caller(), caller(), { id: 'pc1', extension: '1002' }));

  it('an agent transfers a parked caller to another desk', () =>
    // The parked caller's first offer comes after the 12345 greeting and menu.
    transferToDesk(s, caller(), { id: 'pt1', extension: '1001' }, { id: 'pt2', extension: '1002' }, 40_000));

  it('a parked caller who hangs up while queued is recorded as abandoned', async () => {
    const who = caller();
    const call = await placeCall(s.fs, {
      dialled: '12345',
      callerId: who,
      steps: [{ wait: 13_000 }, { hangup: true }],
    });
    await call.done;
    const rec = await recordOf(who);
    expect(rec.outcome).toBe('abandoned');
    expect(rec.queuedAt).toBeGreaterThan(0);
  });

  it('survey: parked again when the agent hangs up, the caller goes on to the survey on the same sockets', async () => {
    await s.addAgent('p5', '1005', { general: 1 });
    const who = caller();
    // 1005 hangs up 1.5 s after answering; the caller stays silent through the survey, which then ends.
    const call = await placeCall(s.fs, { dialled: '12345', callerId: who, steps: [{ awaitBye: 60_000 }] });
    // The 12345 greeting and menu alone take 11.2 s before the offer (seen in the router's log): 15 s left CI's loaded
    // machine under 4 s of slack, and it ran out once. The caller waits 60 s for the survey's end either way.
    await waitFor(() => talkers.invites().length > 0, 40_000, 'agent rung');
    await call.done;
    const rec = await recordOf(who);
    expect(rec).toMatchObject({ outcome: 'answered', agent: 'p5' });
    // FreeSWITCH hung the caller up at the survey's end, not at the agent's hang-up.
    expect(rec.endedAt - rec.answeredAt).toBeGreaterThan(4000);
  });
});
