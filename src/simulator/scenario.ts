// A simulated day as a JSON scenario file: the calls (a forecast per interval, the class and skill
// mix, patience and handle-time distributions), the ACD's queues and settings, the agents (groups
// with pools, skills, shifts and breaks) and the tidal plan (planned by the same planner as the live
// router, or given). `resolveScenario` checks it all and names every problem with its path.
import { readFileSync } from 'node:fs';
import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  type AcdSettings,
  DEFAULT_SETTINGS,
  defaultQueue,
  PRIORITY_CLASSES,
  type PriorityClass,
  type QueueConfig,
} from '../acd/types.ts';
import { DEFAULT_TARGETS, type StaffingTargets, validateTargets } from '../staffing/targets.ts';
import { parseHhmm, parseShift } from '../tidal/time.ts';
import { checkOptions, resolveOptions } from '../tidal/planner.ts';
import type { PlanOptions } from '../tidal/types.ts';
import { checkDist, type Dist, distMean } from './distributions.ts';
import { DEFAULT_HANDLE_TIME, DEFAULT_PATIENCE } from './defaults.ts';

const Seconds = Type.Number({ minimum: 0 });
const DistSchema = Type.Union([
  Type.Object({ kind: Type.Literal('exponential'), meanS: Seconds }, { additionalProperties: false }),
  Type.Object(
    { kind: Type.Literal('lognormal'), meanS: Seconds, cv: Type.Number({ minimum: 0 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('lognormal'), mu: Type.Number(), sigma: Type.Number({ minimum: 0 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('empirical'), quantilesS: Type.Array(Seconds, { minItems: 1 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('empirical'), valuesS: Type.Array(Seconds, { minItems: 1 }) },
    { additionalProperties: false },
  ),
  Type.Object({ kind: Type.Literal('fixed'), valueS: Seconds }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('none') }, { additionalProperties: false }),
]);

const Skills = Type.Record(
  Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,31}$' }),
  Type.Number({ minimum: 0 }),
);
const Hhmm = Type.String({ pattern: '^\\d{1,2}:\\d{2}$' });
const Shift = Type.String({ pattern: '^\\d{1,2}:\\d{2}-\\d{1,2}:\\d{2}$' });

const AgentGroupSchema = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' })),
    name: Type.Optional(Type.String()),
    count: Type.Integer({ minimum: 0, maximum: 100000 }),
    pool: Type.Optional(Type.Union([Type.Literal('front'), Type.Literal('back')])),
    skills: Skills,
    frontSkills: Type.Optional(Skills),
    shift: Type.Optional(Shift),
    breaks: Type.Optional(
      Type.Array(
        Type.Object({ at: Hhmm, min: Type.Number({ minimum: 0 }) }, { additionalProperties: false }),
      ),
    ),
    breakStaggerMin: Type.Optional(Type.Number({ minimum: 0 })),
    breakWaves: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

const PlanOptionsSchema = Type.Partial(
  Type.Object({
    leadMin: Type.Number(),
    capShare: Type.Number(),
    capSeats: Type.Integer(),
    minBlockMin: Type.Number(),
    hysteresisSeats: Type.Number(),
    holdMin: Type.Number(),
    restMin: Type.Number(),
    minFit: Type.Number(),
    noticeMin: Type.Number(),
  }),
  { additionalProperties: false },
);

const PerClassShare = Type.Partial(
  Type.Object({
    care: Type.Number({ minimum: 0 }),
    enterprise: Type.Number({ minimum: 0 }),
    normal: Type.Number({ minimum: 0 }),
  }),
  { additionalProperties: false },
);

export const ScenarioSchema = Type.Object(
  {
    name: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    seed: Type.Optional(Type.Integer()),
    date: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
    arrivals: Type.Object(
      {
        intervalMin: Type.Number({ exclusiveMinimum: 0 }),
        /** Expected calls per interval from midnight. */
        calls: Type.Array(Type.Number({ minimum: 0 }), { minItems: 1 }),
        /** Rescale so the expected day total is this. */
        total: Type.Optional(Type.Number({ minimum: 0 })),
        scale: Type.Optional(Type.Number({ minimum: 0 })),
      },
      { additionalProperties: false },
    ),
    classes: Type.Optional(PerClassShare),
    skills: Type.Optional(Skills),
    handleTime: Type.Optional(DistSchema),
    handleTimeBySkill: Type.Optional(Type.Record(Type.String(), DistSchema)),
    patience: Type.Optional(DistSchema),
    patienceByClass: Type.Optional(
      Type.Partial(Type.Object({ care: DistSchema, enterprise: DistSchema, normal: DistSchema }), {
        additionalProperties: false,
      }),
    ),
    /** Ringing and connecting, seconds, from the offer to the conversation. */
    offerDelayS: Type.Optional(Seconds),
    /**
     * Share of callers who take the callback offer (virtual hold) when their expected wait reaches the
     * ACD's callbackOfferAboveS; 0 (the default) leaves the offer out.
     */
    callbackAcceptShare: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** Answered within this many seconds counts towards the service level. */
    serviceLevelS: Type.Optional(Seconds),
    /** Wrap-up for every queue (else each queue's own, 15 s by default). */
    wrapupS: Type.Optional(Seconds),
    queues: Type.Optional(
      Type.Array(
        Type.Object({
          skill: Type.String(),
          name: Type.Optional(Type.String()),
          overflowAfterS: Type.Optional(Type.Number({ minimum: 0 })),
          overflowTo: Type.Optional(Type.String()),
          maxWaitS: Type.Optional(Type.Number({ minimum: 0 })),
          fallback: Type.Optional(
            Type.Union([
              Type.Object({ kind: Type.Literal('queue'), skill: Type.String() }),
              Type.Object({ kind: Type.Literal('callback') }),
              Type.Object({ kind: Type.Literal('message') }),
            ]),
          ),
          wrapupS: Type.Optional(Seconds),
          serviceLevelS: Type.Optional(Seconds),
        }),
      ),
    ),
    settings: Type.Optional(
      Type.Partial(
        Type.Object({
          classWeights: PerClassShare,
          ageingRates: PerClassShare,
          callbackOfferAboveS: Type.Number({ minimum: 0 }),
          announceEveryS: Type.Number({ minimum: 1 }),
          strategy: Type.Union([
            Type.Literal('longest-idle'),
            Type.Literal('fewest-calls'),
            Type.Literal('skill-level'),
          ]),
        }),
      ),
    ),
    agents: Type.Array(AgentGroupSchema, { minItems: 1 }),
    tidal: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean()),
          /** Moves to make; absent: planned from the forecast by the tidal planner. */
          moves: Type.Optional(
            Type.Array(
              Type.Object({ agent: Type.String(), from: Hhmm, to: Hhmm }, { additionalProperties: false }),
            ),
          ),
          options: Type.Optional(PlanOptionsSchema),
          /** Quantile of the forecast the plan staffs for (default 0.8). */
          quantile: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
          /** The forecast the plan is made from, per arrivals interval (default: the arrivals). */
          forecast: Type.Optional(Type.Array(Type.Number({ minimum: 0 }))),
          /** Plan with Erlang A at the scenario's mean patience (default Erlang C, as the live planner). */
          erlangA: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    targets: Type.Optional(
      Type.Partial(
        Type.Object({
          serviceLevel: Type.Number(),
          thresholdS: Type.Number(),
          answerRate: Type.Number(),
          careAsaS: Type.Number(),
          careShare: Type.Number(),
          shrinkage: Type.Number(),
        }),
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type Scenario = Static<typeof ScenarioSchema>;
export type AgentGroup = Static<typeof AgentGroupSchema>;

const checker = TypeCompiler.Compile(ScenarioSchema);

export class ScenarioError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid scenario:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ScenarioError';
  }
}

/** One agent of the simulated day. */
export interface AgentSpec {
  id: string;
  group: string;
  pool: 'front' | 'back';
  /** Skills in the home pool. */
  skills: Record<string, number>;
  /** Skills on the front line (for backup seats moved there). */
  frontSkills: Record<string, number>;
  shift: string;
  startMin: number;
  endMin: number;
  breaks: Array<{ atMin: number; min: number }>;
}

export interface ResolvedScenario {
  name: string;
  seed: number;
  date: string;
  intervalMin: number;
  /** Expected calls per arrivals interval, after `total`/`scale`. */
  calls: number[];
  classShares: Record<PriorityClass, number>;
  skillShares: Record<string, number>;
  handleTime: Dist;
  handleTimeBySkill: Record<string, Dist>;
  patience: Record<PriorityClass, Dist>;
  offerDelayS: number;
  callbackAcceptShare: number;
  /** The handle time queue announcements assume (the router's HOTLINE_DEFAULT_AHT_S): the mix's mean, s. */
  announceAhtS: number;
  serviceLevelS: number;
  queues: Map<string, QueueConfig>;
  settings: AcdSettings;
  agents: AgentSpec[];
  tidal: {
    enabled: boolean;
    moves?: Array<{ agent: string; fromMin: number; toMin: number }>;
    options: PlanOptions;
    quantile: number;
    forecast: number[];
    erlangA: boolean;
  };
  targets: StaffingTargets;
  source: Scenario;
}

/** Agent ids of a group: `<group>-<n>` from 1. */
export function groupId(g: AgentGroup, index: number): string {
  return g.id ?? `g${index + 1}`;
}

export function resolveScenario(input: unknown): ResolvedScenario {
  if (!checker.Check(input)) {
    const problems = [...checker.Errors(input)].slice(0, 12).map((e) => `${e.path || '/'}: ${e.message}`);
    throw new ScenarioError([...new Set(problems)]);
  }
  const s = input;
  const problems: string[] = [];
  const a = s.arrivals;
  if (1440 % a.intervalMin !== 0) problems.push('arrivals.intervalMin must divide a day');
  if (a.calls.length * a.intervalMin > 1440) problems.push('arrivals.calls cover more than a day');
  let calls = a.calls.map((c) => c * (a.scale ?? 1));
  if (a.total !== undefined) {
    const sum = calls.reduce((x, y) => x + y, 0);
    if (sum > 0) calls = calls.map((c) => (c * a.total!) / sum);
  }
  const classShares = { care: 0, enterprise: 0, normal: 0, ...(s.classes ?? { normal: 1 }) };
  if (PRIORITY_CLASSES.every((c) => !(classShares[c] > 0))) problems.push('classes: no class has a share');
  const skillShares = s.skills ?? { general: 1 };
  if (!Object.values(skillShares).some((v) => v > 0)) problems.push('skills: no skill has a share');
  const handleTime = (s.handleTime ?? DEFAULT_HANDLE_TIME) as Dist;
  problems.push(...checkDist(handleTime, 'handleTime'));
  const handleTimeBySkill = (s.handleTimeBySkill ?? {}) as Record<string, Dist>;
  for (const [k, d] of Object.entries(handleTimeBySkill))
    problems.push(...checkDist(d, `handleTimeBySkill.${k}`));
  const basePatience = (s.patience ?? DEFAULT_PATIENCE) as Dist;
  problems.push(...checkDist(basePatience, 'patience', true));
  const patience = Object.fromEntries(
    PRIORITY_CLASSES.map((c) => [c, (s.patienceByClass?.[c] ?? basePatience) as Dist]),
  ) as Record<PriorityClass, Dist>;
  for (const c of PRIORITY_CLASSES) problems.push(...checkDist(patience[c], `patienceByClass.${c}`, true));

  const queues = new Map<string, QueueConfig>();
  const skillNames = new Set<string>(['general', ...Object.keys(skillShares)]);
  for (const q of s.queues ?? []) skillNames.add(q.skill);
  for (const skill of skillNames) {
    const given = s.queues?.find((q) => q.skill === skill);
    const q: QueueConfig = { ...defaultQueue(skill), ...(given as Partial<QueueConfig> | undefined) };
    if (s.wrapupS !== undefined) q.wrapupS = s.wrapupS;
    if (s.serviceLevelS !== undefined) q.serviceLevelS = s.serviceLevelS;
    queues.set(skill, q);
  }
  for (const q of queues.values()) {
    if (q.overflowAfterS > 0 && !queues.has(q.overflowTo))
      problems.push(`queues.${q.skill}.overflowTo: no queue ${q.overflowTo}`);
    if (q.fallback.kind === 'queue' && !queues.has(q.fallback.skill))
      problems.push(`queues.${q.skill}.fallback: no queue ${q.fallback.skill}`);
  }
  const settings: AcdSettings = {
    ...DEFAULT_SETTINGS,
    ...(s.settings as Partial<AcdSettings> | undefined),
    classWeights: { ...DEFAULT_SETTINGS.classWeights, ...s.settings?.classWeights },
    ageingRates: { ...DEFAULT_SETTINGS.ageingRates, ...s.settings?.ageingRates },
  };

  const agents: AgentSpec[] = [];
  const groupIds = new Set<string>();
  s.agents.forEach((g, gi) => {
    const gid = groupId(g, gi);
    if (groupIds.has(gid)) problems.push(`agents[${gi}].id: ${gid} is used twice`);
    groupIds.add(gid);
    const shift = g.shift ?? '00:00-24:00';
    const sh = parseShift(shift);
    if (!sh) problems.push(`agents[${gi}].shift: "${shift}" is not HH:MM-HH:MM within a day`);
    const breaks = (g.breaks ?? []).map((b, bi) => {
      const at = parseHhmm(b.at);
      if (at === null) problems.push(`agents[${gi}].breaks[${bi}].at: "${b.at}" is not HH:MM`);
      return { atMin: at ?? 0, min: b.min };
    });
    const waves = g.breakWaves ?? 1;
    const stagger = g.breakStaggerMin ?? 0;
    const pool = g.pool ?? 'front';
    for (let k = 0; k < g.count; k++) {
      const shiftBy = (k % waves) * stagger;
      agents.push({
        id: `${gid}-${k + 1}`,
        group: g.name ?? gid,
        pool,
        skills: g.skills,
        frontSkills: g.frontSkills ?? (pool === 'front' ? g.skills : { general: 3 }),
        shift,
        startMin: sh?.startMin ?? 0,
        endMin: sh?.endMin ?? 1440,
        breaks: breaks.map((b) => ({ atMin: b.atMin + shiftBy, min: b.min })),
      });
    }
  });

  const t = s.tidal ?? {};
  let options: PlanOptions;
  try {
    options = resolveOptions(t.options as Partial<PlanOptions> | undefined);
  } catch (e) {
    problems.push(`tidal.options: ${(e as Error).message}`);
    options = resolveOptions();
  }
  problems.push(...checkOptions(options).map((p) => `tidal.options: ${p}`));
  const ids = new Set(agents.map((x) => x.id));
  const moves = t.moves?.map((m, i) => {
    const fromMin = parseHhmm(m.from);
    const toMin = parseHhmm(m.to);
    if (!ids.has(m.agent)) problems.push(`tidal.moves[${i}].agent: no agent ${m.agent}`);
    if (fromMin === null || toMin === null || toMin <= fromMin)
      problems.push(`tidal.moves[${i}]: from/to must be HH:MM with from before to`);
    return { agent: m.agent, fromMin: fromMin ?? 0, toMin: toMin ?? 0 };
  });
  const forecast = t.forecast ?? calls;
  if (forecast.length !== calls.length)
    problems.push('tidal.forecast must have one value per arrivals interval');
  const targets: StaffingTargets = { ...DEFAULT_TARGETS, ...s.targets };
  problems.push(...validateTargets(targets).map((p) => `targets: ${p}`));
  if (problems.length) throw new ScenarioError(problems);
  return {
    name: s.name ?? 'scenario',
    seed: s.seed ?? 1,
    date: s.date ?? '2025-01-06',
    intervalMin: a.intervalMin,
    calls,
    classShares,
    skillShares,
    handleTime,
    handleTimeBySkill,
    patience,
    offerDelayS: s.offerDelayS ?? 0,
    callbackAcceptShare: s.callbackAcceptShare ?? 0,
    announceAhtS: meanHandle(skillShares, handleTime, handleTimeBySkill, queues),
    serviceLevelS: s.serviceLevelS ?? 15,
    queues,
    settings,
    agents,
    tidal: {
      enabled: t.enabled ?? true,
      ...(moves ? { moves } : {}),
      options,
      quantile: t.quantile ?? 0.8,
      forecast,
      erlangA: t.erlangA ?? false,
    },
    targets,
    source: s,
  };
}

/** Mean handle time over the call mix (talk plus the queue's wrap-up), seconds. */
function meanHandle(
  shares: Record<string, number>,
  handle: Dist,
  bySkill: Record<string, Dist>,
  queues: Map<string, QueueConfig>,
): number {
  let total = 0;
  let sum = 0;
  for (const [skill, share] of Object.entries(shares)) {
    if (!(share > 0)) continue;
    total += share;
    sum += share * (distMean(bySkill[skill] ?? handle) + (queues.get(skill)?.wrapupS ?? 0));
  }
  return total > 0 ? sum / total : distMean(handle);
}

export function loadScenarioFile(file: string): ResolvedScenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      cause: e,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON: ${(e as Error).message}`, { cause: e });
  }
  try {
    return resolveScenario(json);
  } catch (e) {
    if (e instanceof ScenarioError) throw new ScenarioError(e.problems.map((p) => `${file}: ${p}`));
    throw e;
  }
}
