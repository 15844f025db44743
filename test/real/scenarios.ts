// Call scenarios the real tier runs both with sockets (call-flow.test.ts) and with parked callers
// (parked-calls.test.ts): the same steps and expectations, whichever way the caller reaches the router.
import { expect } from 'vitest';
import { waitFor } from '../helpers/stack.ts';
import { placeCall } from './sip.ts';
import type { RealStack } from './stack.ts';

interface Agent {
  id: string;
  extension: string;
}

/** The call record of a caller, once written. */
export const recordOn = (s: RealStack, number: string, timeoutMs = 15_000) =>
  waitFor(async () => (await s.records()).find((x) => x.caller === number), timeoutMs, `record of ${number}`);

/** 12333 by SIP INFO: 1 (the pension sub-menu), then 0 there reaches a human of the desk. */
export async function sipInfoThenZero(s: RealStack, who: string, agent: Agent): Promise<void> {
  await s.addAgent(agent.id, agent.extension, { hrss: 1 });
  const call = await placeCall(s.fs, {
    dialled: '12333',
    callerId: who,
    steps: [{ wait: 1500 }, { info: '1' }, { wait: 1500 }, { info: '0' }, { wait: 6000 }, { hangup: true }],
  });
  await call.done;
  const rec = await recordOn(s, who);
  expect(rec).toMatchObject({ outcome: 'answered', agent: agent.id, skill: 'hrss', priorityReason: 'zero' });
  expect(rec.ivrPath.slice(0, 2)).toEqual(['12333主菜单(按1)', '养老保险(按0)']);
}

/** A care-list caller is served before a normal caller who waited longer (the agent comes on duty after both). */
export async function careFirst(s: RealStack, normal: string, care: string, agent: Agent): Promise<void> {
  const listed = await s.admin(`/admin/care-list/${care}`, {
    method: 'PUT',
    body: { kind: 'elderly', operator: 'test' },
  });
  expect(listed.status).toBe(200);
  const c1 = await placeCall(s.fs, {
    dialled: '12345',
    callerId: normal,
    steps: [{ wait: 19_000 }, { hangup: true }],
  });
  await new Promise((r) => setTimeout(r, 1500));
  const c2 = await placeCall(s.fs, {
    dialled: '12345',
    callerId: care,
    steps: [{ wait: 17_000 }, { hangup: true }],
  });
  await new Promise((r) => setTimeout(r, 11_000));
  await s.addAgent(agent.id, agent.extension, { general: 1 });
  await Promise.all([c1.done, c2.done]);
  const [rn, rc] = [await recordOn(s, normal), await recordOn(s, care)];
  expect(rc).toMatchObject({ outcome: 'answered', agent: agent.id, priority: 'care' });
  // The normal caller, queued first, is served only after the care caller (if at all before hanging up).
  if (rn.outcome === 'answered') expect(rn.answeredAt).toBeGreaterThan(rc.endedAt - 1000);
}

/** An agent transfers the caller to the market desk from the desktop; the desk's agent serves it. */
export async function transferToDesk(
  s: RealStack,
  who: string,
  from: Agent,
  to: Agent,
  offerWaitMs = 15_000,
): Promise<void> {
  await s.addAgent(from.id, from.extension, { general: 1 });
  const desk = await s.connectDesktop(from.id);
  const call = await placeCall(s.fs, {
    dialled: '12345',
    callerId: who,
    steps: [{ wait: 20_000 }, { hangup: true }],
  });
  const offer = (await desk.next('offer', offerWaitMs)) as { callId: string };
  await desk.next('answered', 10_000);
  await s.addAgent(to.id, to.extension, { market: 1 });
  desk.send(
    JSON.stringify({ type: 'transfer', callId: offer.callId, target: { kind: 'queue', skill: 'market' } }),
  );
  await call.done;
  const rec = await recordOn(s, who);
  expect(rec).toMatchObject({ outcome: 'answered', agent: to.id });
  expect(rec.transfers?.[0]).toMatchObject({ from: from.id, to: 'queue:market' });
  desk.close();
}
