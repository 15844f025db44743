// Faults under calls on the real FreeSWITCH (the fault suite, `npm run chaos`, stages them on the emulator with two
// routers; a router killed with callers queued or talking is in failover.test.ts): here Redis goes away for 3 s
// while sipp callers keep arriving and agents' phones keep answering.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOwnRedis, type OwnRedis } from '../../src/chaos/redis-server.ts';
import { waitFor } from '../helpers/stack.ts';
import { havePeers } from './freeswitch.ts';
import { placeCall, startPhones, type Phones } from './sip.ts';
import { startRealStack, type RealStack } from './stack.ts';

const CALLS = 12;
const EVERY_MS = 600;

describe.skipIf(!havePeers)('real FreeSWITCH: faults under calls', () => {
  let redis: OwnRedis;
  let s: RealStack;
  let phones: Phones;
  beforeAll(async () => {
    // A redis-server of the test's own, which it can stop and start again (append-only file kept, as in production).
    redis = await startOwnRedis();
    s = await startRealStack({ HOTLINE_REDIS_URL: redis.url });
    phones = await startPhones(s.fs, ['1001', '1002', '1003'], {
      behaviour: 'answer',
      ringMs: 200,
      talkMs: 1500,
    });
    // 12345 without its greeting: callers reach the queue at once, so the outage finds some waiting, some being
    // offered and some talking.
    const cur = await s.admin('/admin/ivr/12345');
    const human = cur.body.doc.human as { skill: string; label?: string };
    const pub = await s.admin('/admin/ivr/12345/publish', {
      method: 'POST',
      body: {
        doc: {
          line: '12345',
          mode: 'menu',
          human,
          root: 'agent',
          nodes: { agent: { type: 'queue', label: human.label ?? '转人工服务', skill: human.skill } },
        },
      },
    });
    expect(pub.status).toBe(200);
    for (const [i, ext] of ['1001', '1002', '1003'].entries()) await s.addAgent(`f${i}`, ext, { general: 1 });
  });
  afterAll(async () => {
    phones?.stop();
    await s?.stop();
    await redis?.stop();
  });

  it('a 3 s Redis restart: every caller is served and recorded once, no agent is left busy', async () => {
    const numbers = Array.from({ length: CALLS }, (_, i) => `1391000${String(2000 + i)}`);
    const calls = [];
    let restart: Promise<void> | null = null;
    for (const [i, who] of numbers.entries()) {
      calls.push(
        await placeCall(s.fs, {
          dialled: '12345',
          callerId: who,
          // Each caller stays until FreeSWITCH ends the call (the agent's phone hangs up after 1.5 s of talk).
          steps: [{ awaitBye: 40_000 }],
          timeoutS: 60,
        }),
      );
      // The outage starts with the fourth caller: calls queued, ringing and talking are all caught in it.
      if (i === 3) restart = redis.restart(3000);
      await new Promise((r) => setTimeout(r, EVERY_MS));
    }
    await restart;
    const results = await Promise.all(calls.map((c) => c.done));
    // Every caller was answered and got FreeSWITCH's BYE after the conversation (sipp exits 0 only then). A caller
    // that failed is shown with the end of its SIP trace, so that a failure says what the caller saw.
    expect(
      results.map((r, i) =>
        r.code === 0 ? 0 : `${numbers[i]}: ${r.code}\n${r.stderr.slice(-500)}\n${r.messages.slice(-3000)}`,
      ),
    ).toEqual(numbers.map(() => 0));
    // One record per caller, each answered by an agent.
    const records = await waitFor(
      async () => {
        const recs = (
          (await s.records()) as Array<{
            caller: string;
            outcome: string;
            agent?: string;
            noAnswerAgents?: string[];
          }>
        ).filter((r) => numbers.includes(r.caller));
        return recs.length >= CALLS ? recs : undefined;
      },
      20_000,
      'a record of every caller',
    );
    expect(records.map((r) => r.caller).sort()).toEqual([...numbers].sort());
    expect(records.every((r) => r.outcome === 'answered' && r.agent)).toBe(true);
    // Every agent is free again: none left "talking" or reserved by a write lost in the outage.
    await waitFor(
      async () => {
        const agents = (await s.admin('/admin/agents')).body as Array<{ id: string; state: string }>;
        return agents.filter((a) => a.id.startsWith('f')).every((a) => a.state === 'ready') || undefined;
      },
      15_000,
      'every agent ready again',
    );
    // No caller was served by two agents: per caller, the phones answered one leg (one Call-ID), and one more only
    // for each agent the record names as not having served the caller (noAnswerAgents: a phone that answered and
    // hung up before FreeSWITCH put the caller through, on a loaded machine slower than the phones' 1.5 s of talk;
    // the router sends the caller back in line, CallSession.notPutThrough). A caller shed to the fallback ring
    // group showed here as three: every phone answered its own leg.
    const answeredLegs = new Map<string, Set<string>>();
    for (const block of phones.uas.messages().split(/^-{20,} /m)) {
      if (
        !/^UDP message sent/m.test(block) ||
        !/^SIP\/2\.0 200/m.test(block) ||
        !/^CSeq: \d+ INVITE/m.test(block)
      )
        continue;
      const from = /^From: [^\n]*?sip:(\d+)@/m.exec(block)?.[1];
      const callId = /^Call-ID: *(\S+)/im.exec(block)?.[1];
      if (!from || !callId || !numbers.includes(from)) continue;
      answeredLegs.set(from, (answeredLegs.get(from) ?? new Set()).add(callId));
    }
    const byCaller = new Map(records.map((r) => [r.caller, r]));
    // A failure says what the router warned of (callers' numbers are masked in its log).
    const warnings = () =>
      s.logs
        .join('')
        .split('\n')
        .filter((l) => /"level":(40|50)/.test(l) && !/redis error|redis connection/.test(l))
        .slice(-40)
        .join('\n');
    for (const n of numbers) {
      const legs = answeredLegs.get(n)?.size ?? 0;
      const why = `${n}: ${JSON.stringify(byCaller.get(n))}\n${warnings()}`;
      expect(legs, why).toBeGreaterThanOrEqual(1);
      expect(legs, why).toBeLessThanOrEqual(1 + (byCaller.get(n)?.noAnswerAgents?.length ?? 0));
    }
  }, 120_000);
});
