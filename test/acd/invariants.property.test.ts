// Property-based: random interleavings of arrivals, abandons, agent state changes, decisions taken
// concurrently by two router instances, answers, no-answers, hang-ups, an instance dying and its
// reservations expiring; after every step the invariants must hold in the real Redis.
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assign } from '../../src/acd/policy.ts';
import { AcdStore } from '../../src/acd/store.ts';
import {
  DEFAULT_SETTINGS,
  defaultQueue,
  PRIORITY_CLASSES,
  type PriorityClass,
  type QueueConfig,
} from '../../src/acd/types.ts';
import { Keys } from '../../src/redis/keys.ts';
import { cleanup, REDIS_URL, testPrefix } from '../helpers/redis.ts';

const SKILLS = ['hrss', 'general'];
const AGENTS = ['a1', 'a2', 'a3', 'a4'];
const INSTANCES = ['A', 'B'] as const;
const queues = new Map<string, QueueConfig>(
  SKILLS.map((s) => [s, { ...defaultQueue(s), overflowAfterS: 0 }]),
);

type Action =
  | { k: 'arrive'; skill: string; cls: PriorityClass; owner: 0 | 1 }
  | { k: 'abandon'; n: number }
  | { k: 'ready' | 'notReady' | 'answer' | 'noAnswer' | 'hangup' | 'endWrapup'; agent: number }
  | { k: 'dispatch'; mode: 'one' | 'both' | 'stale' }
  | { k: 'kill'; inst: 0 | 1 }
  | { k: 'expire' };

const agentIdx = fc.nat(AGENTS.length - 1);
// Weighted so that calls, ready agents and decisions meet often enough to collide.
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('arrive' as const),
      skill: fc.constantFrom(...SKILLS),
      cls: fc.constantFrom(...PRIORITY_CLASSES),
      owner: fc.constantFrom(0 as const, 1 as const),
    }),
  },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('ready' as const), agent: agentIdx }) },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('dispatch' as const),
      mode: fc.constantFrom('one' as const, 'both' as const, 'stale' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('abandon' as const), n: fc.nat(20) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constantFrom(
        'notReady' as const,
        'answer' as const,
        'noAnswer' as const,
        'hangup' as const,
        'endWrapup' as const,
      ),
      agent: agentIdx,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('kill' as const), inst: fc.constantFrom(0 as const, 1 as const) }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('expire' as const) }) },
);

let redis: Redis;
beforeAll(() => {
  redis = new Redis(REDIS_URL);
});
afterAll(() => redis.disconnect());

async function checkInvariants(keys: Keys, acd: AcdStore, arrived: string[]): Promise<void> {
  const agents = await acd.listAgents();
  const holding = new Map<string, string>();
  for (const a of agents) {
    if (a.state === 'reserved' || a.state === 'ringing' || a.state === 'talking') {
      expect(a.callId, `${a.id} busy without a call`).toBeTruthy();
      // Never one call offered to two agents.
      expect(holding.has(a.callId!), `call ${a.callId} held by two agents`).toBe(false);
      holding.set(a.callId!, a.id);
    }
  }
  const inQueues = new Map<string, number>();
  for (const s of SKILLS) {
    for (const c of PRIORITY_CLASSES) {
      for (const id of await redis.zrange(keys.queue(s, c), '0', '-1'))
        inQueues.set(id, (inQueues.get(id) ?? 0) + 1);
    }
  }
  for (const id of arrived) {
    const call = await acd.getCall(id);
    // Never lose a call: every call that arrived is somewhere, in one known state.
    expect(call, `call ${id} vanished`).not.toBeNull();
    const st = call!.state;
    expect(['queued', 'offering', 'talking', 'ended', 'lost']).toContain(st);
    expect(inQueues.get(id) ?? 0, `call ${id} (${st}) queue entries`).toBe(st === 'queued' ? 1 : 0);
    if (st === 'offering' || st === 'talking') {
      // Never one agent offered two calls: the call's agent holds exactly this call.
      expect(holding.get(id), `call ${id} (${st}) has agent ${call!.agent}`).toBe(call!.agent);
    }
  }
}

describe('ACD invariants under random interleavings (fast-check, real Redis)', () => {
  it('never offers one agent two calls, one call to two agents, nor loses a call', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 40 }), async (actions) => {
        const prefix = testPrefix();
        const keys = new Keys(prefix);
        const acd = new AcdStore(redis, keys);
        const arrived: string[] = [];
        try {
          for (const i of INSTANCES) await redis.set(keys.instanceAlive(i), '1', 'EX', 60);
          for (const a of AGENTS)
            await acd.upsertAgent({
              id: a,
              name: a,
              extension: a,
              skills: a === 'a4' ? { general: 1 } : { hrss: 1, general: 1 },
            });
          let n = 0;
          for (const act of actions) {
            const agentId = 'agent' in act ? AGENTS[act.agent]! : '';
            const agent = agentId ? await acd.getAgent(agentId) : null;
            switch (act.k) {
              case 'arrive': {
                const id = `c${n++}`;
                await acd.createCall({
                  id,
                  uuid: id,
                  owner: INSTANCES[act.owner],
                  line: '12345',
                  lineName: 'x',
                  mergeMode: 'hub',
                  skill: act.skill,
                  caller: '1',
                  dialled: '12345',
                  priority: act.cls,
                  ivrPath: [],
                  arrivedAt: Date.now(),
                });
                await acd.enqueue(id, act.skill, [], act.cls);
                arrived.push(id);
                break;
              }
              case 'abandon': {
                const id = arrived[act.n % Math.max(1, arrived.length)];
                if (id) await acd.finish(id, 0);
                break;
              }
              case 'ready':
                if (agent && ['logged_out', 'not_ready'].includes(agent.state))
                  await acd.setAgentState(agentId, 'ready');
                break;
              case 'notReady':
                if (agent && ['ready', 'logged_out'].includes(agent.state))
                  await acd.setAgentState(agentId, 'not_ready', 'break');
                break;
              case 'answer':
                if (agent && (agent.state === 'reserved' || agent.state === 'ringing') && agent.callId)
                  await acd.connect(agent.callId, agentId);
                break;
              case 'noAnswer':
                if (agent && (agent.state === 'reserved' || agent.state === 'ringing') && agent.callId)
                  await acd.noAnswer(agent.callId, agentId, 2);
                break;
              case 'hangup':
                if (agent?.state === 'talking' && agent.callId)
                  await acd.finish(agent.callId, n % 2 ? 10 : 0);
                break;
              case 'endWrapup':
                await acd.endWrapup(agentId);
                break;
              case 'dispatch': {
                const decide = async () =>
                  assign(
                    await acd.waiting(SKILLS),
                    await acd.readyAgents(),
                    Date.now(),
                    queues,
                    DEFAULT_SETTINGS,
                  );
                const apply = async (pairs: Awaited<ReturnType<typeof decide>>) => {
                  for (const p of pairs) await acd.reserve(p.callId, p.agentId, p.via, 30);
                };
                if (act.mode === 'stale') {
                  // One instance decides, then a care call arrives and the other instance decides and
                  // reserves first; the first applies its now stale decisions.
                  const stale = await decide();
                  const id = `c${n++}`;
                  await acd.createCall({
                    id,
                    uuid: id,
                    owner: 'B',
                    line: '12345',
                    lineName: 'x',
                    mergeMode: 'hub',
                    skill: 'general',
                    caller: '1',
                    dialled: '12345',
                    priority: 'care',
                    ivrPath: [],
                    arrivedAt: Date.now(),
                  });
                  await acd.enqueue(id, 'general', [], 'care');
                  arrived.push(id);
                  await apply(await decide());
                  await apply(stale);
                } else {
                  // Two instances decide on the same data at once; the scripts must keep them apart.
                  await Promise.all(
                    (act.mode === 'both' ? [1, 2] : [1]).map(async () => apply(await decide())),
                  );
                }
                break;
              }
              case 'kill':
                await redis.del(keys.instanceAlive(INSTANCES[act.inst]));
                break;
              case 'expire': {
                // Reservations whose router never confirmed time out.
                for (const a of await acd.listAgents()) await redis.hdel(keys.agent(a.id), 'resvUntil');
                await acd.sweep();
                break;
              }
            }
            await checkInvariants(keys, acd, arrived);
          }
        } finally {
          await cleanup(prefix);
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
