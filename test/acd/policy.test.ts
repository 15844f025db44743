import { describe, expect, it } from 'vitest';
import { assign, eligibleSkills, expectedWaitS, overdue, rank, score } from '../../src/acd/policy.ts';
import {
  type AcdSettings,
  type AgentView,
  DEFAULT_SETTINGS,
  defaultQueue,
  type QueueConfig,
  type WaitingCall,
} from '../../src/acd/types.ts';

const T0 = 1_800_000_000_000;
const agent = (id: string, skills: Record<string, number>, idleSince = T0, callsToday = 0): AgentView => ({
  id,
  name: id,
  extension: id,
  skills,
  state: 'ready',
  idleSince,
  callsToday,
});
const call = (
  id: string,
  skill: string,
  priority: WaitingCall['priority'],
  queuedAt: number,
): WaitingCall => ({
  id,
  skill,
  priority,
  queuedAt,
  tried: [],
});
const queues = new Map<string, QueueConfig>([
  [
    'hrss',
    {
      ...defaultQueue('hrss'),
      overflowAfterS: 60,
      maxWaitS: 300,
      fallback: { kind: 'queue', skill: 'general' },
    },
  ],
  ['general', defaultQueue('general')],
]);

describe('priority classes and ageing', () => {
  it('serves a care caller before normal callers who waited less than its head start', () => {
    const now = T0 + 100_000;
    const calls = [call('n1', 'general', 'normal', T0), call('c1', 'general', 'care', now - 1000)];
    expect(rank(calls, now, DEFAULT_SETTINGS).map((c) => c.id)).toEqual(['c1', 'n1']);
  });

  it('lets a long-waiting normal call beat a fresh care call when the settings say so', () => {
    const now = T0 + 400_000; // the normal call has waited 400 s
    const calls = [call('n1', 'general', 'normal', T0), call('c1', 'general', 'care', now)];
    const s: AcdSettings = { ...DEFAULT_SETTINGS, classWeights: { care: 300, enterprise: 60, normal: 0 } };
    expect(rank(calls, now, s).map((c) => c.id)).toEqual(['n1', 'c1']);
    expect(score(calls[0]!, now, s)).toBe(400);
    // With a larger head start, the fresh care call goes first again.
    const s2: AcdSettings = { ...s, classWeights: { ...s.classWeights, care: 600 } };
    expect(rank(calls, now, s2).map((c) => c.id)).toEqual(['c1', 'n1']);
    // And a faster ageing rate for normal calls brings it back ahead.
    const s3: AcdSettings = { ...s2, ageingRates: { care: 1, enterprise: 1, normal: 2 } };
    expect(rank(calls, now, s3).map((c) => c.id)).toEqual(['n1', 'c1']);
  });

  it('answers care callers first under load', () => {
    const now = T0 + 30_000;
    const calls = [
      ...Array.from({ length: 8 }, (_, i) => call(`n${i}`, 'general', 'normal', T0 + i * 1000)),
      call('c1', 'general', 'care', now - 500),
      call('e1', 'general', 'enterprise', now - 2000),
    ];
    const agents = [agent('a1', { general: 1 }), agent('a2', { general: 1 })];
    expect(assign(calls, agents, now, queues, DEFAULT_SETTINGS).map((a) => a.callId)).toEqual(['c1', 'e1']);
  });
});

describe('skills, overflow and fallback', () => {
  const hrssCall = call('h1', 'hrss', 'normal', T0);
  const generalist = agent('g', { general: 1 });

  it('waits for its own desk until the overflow time, then takes the general pool', () => {
    expect(eligibleSkills(hrssCall, T0 + 59_999, queues.get('hrss'))).toEqual(['hrss']);
    expect(assign([hrssCall], [generalist], T0 + 59_999, queues, DEFAULT_SETTINGS)).toEqual([]);
    expect(assign([hrssCall], [generalist], T0 + 60_000, queues, DEFAULT_SETTINGS)).toEqual([
      { callId: 'h1', agentId: 'g', via: 'general' },
    ]);
  });

  it('prefers its own desk to the overflow pool', () => {
    const specialist = agent('s', { hrss: 2 }, T0 + 50_000);
    expect(assign([hrssCall], [generalist, specialist], T0 + 120_000, queues, DEFAULT_SETTINGS)).toEqual([
      { callId: 'h1', agentId: 's', via: 'hrss' },
    ]);
  });

  it('sends a call past its maximum wait to the fallback', () => {
    expect(overdue([hrssCall], T0 + 299_000, queues)).toEqual([]);
    expect(overdue([hrssCall], T0 + 300_000, queues)).toEqual([hrssCall]);
  });
});

describe('agent choice', () => {
  const c = call('x', 'hrss', 'normal', T0);
  const agents = [
    agent('longest', { hrss: 1 }, T0 - 50_000, 30),
    agent('fewest', { hrss: 2 }, T0 - 10_000, 3),
    agent('expert', { hrss: 5 }, T0 - 1000, 12),
  ];
  it.each([
    ['longest-idle', 'longest'],
    ['fewest-calls', 'fewest'],
    ['skill-level', 'expert'],
  ] as const)('%s picks %s', (strategy, want) => {
    expect(assign([c], agents, T0, queues, { ...DEFAULT_SETTINGS, strategy })[0]!.agentId).toBe(want);
  });

  it('never offers agents who are not ready', () => {
    const busy = [
      { ...agent('w', { hrss: 1 }), state: 'wrapup' as const },
      { ...agent('n', { hrss: 1 }), state: 'not_ready' as const },
    ];
    expect(assign([c], busy, T0, queues, DEFAULT_SETTINGS)).toEqual([]);
  });

  it('offers a call again to an agent who missed it only when no other agent can take it', () => {
    const tried = { ...c, tried: ['t'] };
    const t = agent('t', { hrss: 1 }, T0 - 99_000);
    expect(assign([tried], [t, agent('u', { hrss: 1 }, T0)], T0, queues, DEFAULT_SETTINGS)[0]!.agentId).toBe(
      'u',
    );
    expect(assign([tried], [t], T0, queues, DEFAULT_SETTINGS)[0]!.agentId).toBe('t');
  });
});

it('estimates the expected wait from position, agents and handle time', () => {
  expect(expectedWaitS(1, 3, 180)).toBe(180);
  expect(expectedWaitS(7, 3, 180)).toBe(540);
  expect(expectedWaitS(1, 0, 180)).toBe(Infinity);
});
