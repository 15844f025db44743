// The replica's way of pairing (assignQueues over calls grouped by skill and class, with or without the
// per-skill index of ready agents) gives exactly the pairs of the reference: every waiting call ranked, each
// to the best eligible free agent (the policy as it was before the replica).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Assignment,
  assignQueues,
  chooseAgent,
  queueLists,
  rank,
  type ReadyIndex,
  better,
} from '../../src/acd/policy.ts';
import {
  type AcdSettings,
  type AgentStrategy,
  type AgentView,
  DEFAULT_SETTINGS,
  defaultQueue,
  PRIORITY_CLASSES,
  type QueueConfig,
  type WaitingCall,
} from '../../src/acd/types.ts';

const SKILLS = ['general', 'hrss', 'legal'];

/** The policy before the replica: rank every call, give each the best free agent. */
function reference(
  calls: readonly WaitingCall[],
  agents: readonly AgentView[],
  now: number,
  queues: ReadonlyMap<string, QueueConfig>,
  s: AcdSettings,
): Assignment[] {
  const free = agents.filter((a) => a.state === 'ready');
  const out: Assignment[] = [];
  for (const call of rank(calls, now, s)) {
    if (!free.length) break;
    const pick = chooseAgent(call, free, now, queues.get(call.skill), s.strategy);
    if (!pick) continue;
    out.push({ callId: call.id, agentId: pick.agent.id, via: pick.via });
    free.splice(free.indexOf(pick.agent), 1);
  }
  return out;
}

function indexOf(agents: readonly AgentView[], strategy: AgentStrategy): ReadyIndex {
  return {
    candidates: (skill) =>
      agents
        .filter((a) => a.state === 'ready' && skill in a.skills)
        .sort((a, b) => (better(a, b, skill, strategy) ? -1 : better(b, a, skill, strategy) ? 1 : 0)),
  };
}

const now = 1_800_000_000_000;
const agentArb = fc.record({
  skills: fc.subarray(SKILLS, { minLength: 1 }),
  level: fc.integer({ min: 1, max: 5 }),
  ready: fc.boolean(),
  idle: fc.integer({ min: 0, max: 20 }),
  calls: fc.integer({ min: 0, max: 5 }),
});
const callArb = fc.record({
  skill: fc.constantFrom(...SKILLS),
  cls: fc.constantFrom(...PRIORITY_CLASSES),
  // Few distinct times: ties between calls are common.
  waitedS: fc.integer({ min: 0, max: 400 }),
  tried: fc.nat(3),
});

describe('assignQueues', () => {
  it('pairs exactly like ranking every call, with and without the ready index', () => {
    fc.assert(
      fc.property(
        fc.array(agentArb, { maxLength: 8 }),
        fc.array(callArb, { maxLength: 40 }),
        fc.constantFrom<AgentStrategy>('longest-idle', 'fewest-calls', 'skill-level'),
        fc.integer({ min: 0, max: 200 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }),
        (as, cs, strategy, overflowAfterS, rates) => {
          const agents: AgentView[] = as.map((a, i) => ({
            id: `a${i}`,
            name: `a${i}`,
            extension: String(1000 + i),
            skills: Object.fromEntries(a.skills.map((s) => [s, a.level])),
            state: a.ready ? 'ready' : 'talking',
            idleSince: now - a.idle * 1000,
            callsToday: a.calls,
          }));
          const calls: WaitingCall[] = cs.map((c, i) => ({
            id: `c${String(i).padStart(3, '0')}`,
            skill: c.skill,
            priority: c.cls,
            queuedAt: now - c.waitedS * 1000,
            tried: agents.slice(0, c.tried).map((a) => a.id),
          }));
          const queues = new Map(
            SKILLS.map((s) => [
              s,
              { ...defaultQueue(s), overflowAfterS: s === 'general' ? 0 : overflowAfterS },
            ]),
          );
          const s: AcdSettings = {
            ...DEFAULT_SETTINGS,
            strategy,
            ageingRates: { care: rates[0]!, enterprise: rates[1]!, normal: rates[2]! },
          };
          const want = reference(calls, agents, now, queues, s);
          const lists = queueLists(calls);
          expect(assignQueues(lists, agents, now, queues, s)).toEqual(want);
          expect(assignQueues(lists, [], now, queues, s, { index: indexOf(agents, strategy) })).toEqual(want);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('offers a takeable call behind 50 that no agent can take, and passes over calls it must skip', () => {
    const agents: AgentView[] = [
      {
        id: 'g1',
        name: 'g1',
        extension: '1001',
        skills: { general: 1 },
        state: 'ready',
        idleSince: 0,
        callsToday: 0,
      },
    ];
    const queues = new Map(SKILLS.map((sk) => [sk, { ...defaultQueue(sk), overflowAfterS: 0 }]));
    // 50 care calls for a desk nobody staffs, waiting longer (ranked first), then 50 from a dead router.
    const legal: WaitingCall[] = Array.from({ length: 50 }, (_, i) => ({
      id: `l${i}`,
      skill: 'legal',
      priority: 'care',
      queuedAt: now - 300_000 + i,
      tried: [],
    }));
    const dead: WaitingCall[] = Array.from({ length: 50 }, (_, i) => ({
      id: `d${i}`,
      skill: 'general',
      priority: 'care',
      queuedAt: now - 200_000 + i,
      tried: [],
    }));
    const live: WaitingCall = {
      id: 'x',
      skill: 'general',
      priority: 'normal',
      queuedAt: now - 1000,
      tried: [],
    };
    const skip = (c: WaitingCall) => c.id.startsWith('d');
    const pairs = assignQueues(queueLists([...legal, ...dead, live]), agents, now, queues, DEFAULT_SETTINGS, {
      skip,
    });
    expect(pairs).toEqual([{ callId: 'x', agentId: 'g1', via: 'general' }]);
  });
});
