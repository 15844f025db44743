// The tidal plan of a simulated day: the moves the scenario lists, or the plan the live planner
// (src/tidal/planner.ts) makes from the scenario's forecast, roster and targets — the same code and
// the same rules (lead time, cap, minimum block, hysteresis) as the admin API's plans.
import { PRIORITY_CLASSES } from '../acd/types.ts';
import { forecastQuantile, seatsForCalls } from '../tidal/need.ts';
import { planTidal } from '../tidal/planner.ts';
import type { PlanCore, TidalAgent } from '../tidal/types.ts';
import { distMean } from './distributions.ts';
import type { SimMove } from './engine.ts';
import type { AgentSpec, ResolvedScenario } from './scenario.ts';

const MIN = 60_000;

export function rosterOf(agents: readonly AgentSpec[]): TidalAgent[] {
  return agents.map((a) => ({
    id: a.id,
    homePool: a.pool,
    frontSkills: a.frontSkills,
    backSkills: a.pool === 'back' ? a.skills : {},
    shift: a.shift,
  }));
}

/** Mean handle time (talk over the skill mix, plus the queues' wrap-up), seconds. */
export function meanHandleS(sc: ResolvedScenario): number {
  let total = 0;
  let talk = 0;
  let wrap = 0;
  for (const [skill, share] of Object.entries(sc.skillShares)) {
    if (!(share > 0)) continue;
    total += share;
    talk += share * distMean(sc.handleTimeBySkill[skill] ?? sc.handleTime);
    wrap += share * (sc.queues.get(skill)?.wrapupS ?? 0);
  }
  return (talk + wrap) / total;
}

/** Mean patience over the class mix, seconds (Infinity when nobody hangs up). */
export function meanPatienceS(sc: ResolvedScenario): number {
  let total = 0;
  let sum = 0;
  for (const c of PRIORITY_CLASSES) {
    const share = sc.classShares[c];
    if (!(share > 0)) continue;
    total += share;
    sum += share * distMean(sc.patience[c]);
  }
  return sum / total;
}

export interface ScenarioPlan {
  plan: PlanCore | null;
  moves: SimMove[];
}

/** The plan for the scenario's day, made the day before (so every move can be announced in time). */
export function planForScenario(sc: ResolvedScenario): ScenarioPlan {
  if (!sc.tidal.enabled) return { plan: null, moves: [] };
  if (sc.tidal.moves)
    return {
      plan: null,
      moves: sc.tidal.moves.map((m) => ({ agentId: m.agent, fromMs: m.fromMin * MIN, toMs: m.toMin * MIN })),
    };
  const classTotal = PRIORITY_CLASSES.reduce((s, c) => s + sc.classShares[c], 0);
  const patienceS = meanPatienceS(sc);
  const calls = forecastQuantile(sc.tidal.forecast, sc.tidal.quantile);
  const need = seatsForCalls(calls, sc.intervalMin, {
    quantile: sc.tidal.quantile,
    ahtS: meanHandleS(sc),
    ...(sc.tidal.erlangA && Number.isFinite(patienceS) ? { patienceS } : {}),
    targets: { ...sc.targets, careShare: sc.classShares.care / classTotal },
  });
  const plan = planTidal({
    date: sc.date,
    dayStart: 0,
    intervalMin: sc.intervalMin,
    need: need.seats,
    roster: rosterOf(sc.agents),
    options: sc.tidal.options,
    skillMix: sc.skillShares,
  });
  return {
    plan,
    moves: plan.moves
      .filter((m) => !m.cancelled)
      .map((m) => ({ agentId: m.agentId, fromMs: m.effectiveAt, toMs: m.returnAt })),
  };
}
