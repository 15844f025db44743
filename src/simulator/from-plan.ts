// A stored tidal plan as a simulation scenario — "with this plan, how will the day go?": calls from
// the plan's forecast, agents from the tidal roster (home pools, skills, shifts), the plan's moves,
// handle time from the plan's AHT with the calibrated spread, patience as planned (else calibrated).
import type { TidalAgent, TidalPlan } from '../tidal/types.ts';
import { DEFAULT_HANDLE_TIME, DEFAULT_PATIENCE } from './defaults.ts';
import type { Scenario } from './scenario.ts';

export interface FromPlanOptions {
  /** Share of care callers (default 0.08). */
  careShare?: number;
  /** After-call work per call, s (default 15); the plan's AHT includes it. */
  wrapupS?: number;
  seed?: number;
}

export function scenarioFromPlan(
  plan: TidalPlan,
  roster: readonly TidalAgent[],
  o: FromPlanOptions = {},
): Scenario {
  if (!plan.forecast) throw new Error(`the plan of ${plan.date} has no forecast to simulate from`);
  const wrapupS = o.wrapupS ?? 15;
  const care = o.careShare ?? 0.08;
  const cv =
    DEFAULT_HANDLE_TIME.kind === 'lognormal' && 'cv' in DEFAULT_HANDLE_TIME ? DEFAULT_HANDLE_TIME.cv : 1;
  const hhmm = (t: number) => {
    const m = Math.max(0, Math.min(1440, Math.round((t - plan.dayStart) / 60_000)));
    return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  };
  const onRoster = new Set(roster.map((a) => a.id));
  return {
    name: `plan-${plan.date}`,
    description: `潮汐计划 ${plan.date} 第 ${plan.version} 版`,
    seed: o.seed ?? Number(plan.date.replaceAll('-', '')),
    date: plan.date,
    arrivals: { intervalMin: plan.intervalMin, calls: plan.forecast.mean },
    classes: { care, normal: 1 - care },
    skills: { general: 1 },
    handleTime: { kind: 'lognormal', meanS: Math.max(1, plan.forecast.ahtS - wrapupS), cv },
    patience: plan.forecast.patienceS
      ? { kind: 'exponential', meanS: plan.forecast.patienceS }
      : DEFAULT_PATIENCE,
    wrapupS,
    agents: roster.map((a) => ({
      id: a.id,
      count: 1,
      pool: a.homePool,
      skills: a.homePool === 'front' ? a.frontSkills : a.backSkills,
      frontSkills: a.frontSkills,
      ...(a.shift ? { shift: a.shift } : {}),
    })),
    tidal: {
      moves: plan.moves
        .filter((m) => !m.cancelled && onRoster.has(m.agentId) && m.returnAt > m.effectiveAt)
        .map((m) => ({ agent: `${m.agentId}-1`, from: hhmm(m.effectiveAt), to: hhmm(m.returnAt) }))
        .filter((m) => m.to > m.from),
    },
  };
}
