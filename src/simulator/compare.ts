// "With this plan, how will tomorrow go?" — the tidal plan against the same paid seat-hours without
// tidal moves, on the very same callers (one draw of arrivals, patience and handle times for all):
//   - tidal: the plan's moves, backup seats on the front line where the forecast peaks;
//   - flat:  no moves; the moved seat-hours are added as fixed front-line seats spread evenly over
//            the backup seats' working hours (what a static roster with the same hours would do);
//   - base:  no moves and nothing added (the front line alone).
import { type CallSet, generateCalls, type SimMove, type SimResult, simulate } from './engine.ts';
import type { AgentSpec, ResolvedScenario } from './scenario.ts';
import { planForScenario } from './tidal-plan.ts';
import { formatHhmm } from '../tidal/time.ts';
import type { PlanCore } from '../tidal/types.ts';

const MIN = 60_000;

export interface Comparison {
  scenario: string;
  seed: number;
  calls: number;
  plan: PlanCore | null;
  moves: SimMove[];
  tidal: SimResult;
  flat: SimResult;
  base: SimResult;
  /** Front-line seat-hours in each variant (home seats + moved or added seats). */
  seatHours: { tidal: number; flat: number; base: number };
  flatAgents: AgentSpec[];
}

/** Front-line seats holding `hours` seat-hours, spread evenly over `startMin`–`endMin`. */
export function flatSeats(
  hours: number,
  startMin: number,
  endMin: number,
  skillSets: ReadonlyArray<Record<string, number>>,
): AgentSpec[] {
  const sets = skillSets.length ? skillSets : [{ general: 3 }];
  const spanMin = endMin - startMin;
  if (!(hours > 0) || spanMin <= 0) return [];
  const totalMin = Math.round(hours * 60);
  const full = Math.floor(totalMin / spanMin);
  const out: AgentSpec[] = [];
  const make = (k: number, from: number, to: number): AgentSpec => {
    const frontSkills = sets[(k - 1) % sets.length]!;
    return {
      id: `flat-${k}`,
      group: 'flat',
      pool: 'front',
      skills: frontSkills,
      frontSkills,
      shift: `${formatHhmm(from)}-${formatHhmm(to)}`,
      startMin: from,
      endMin: to,
      breaks: [],
    };
  };
  for (let k = 0; k < full; k++) out.push(make(k + 1, startMin, endMin));
  const rest = totalMin - full * spanMin;
  if (rest > 0) {
    // The remainder centred in the span, so it favours neither peak.
    const from = startMin + Math.floor((spanMin - rest) / 2);
    out.push(make(full + 1, from, from + rest));
  }
  return out;
}

export function compareTidal(sc: ResolvedScenario, seed = sc.seed): Comparison {
  const calls: CallSet = generateCalls(sc, seed);
  const { plan, moves } = planForScenario(sc);
  const movedHours = moves.reduce((s, m) => s + (m.toMs - m.fromMs), 0) / (60 * MIN);
  const backups = sc.agents.filter((a) => a.pool === 'back');
  const movedIds = new Set(moves.map((m) => m.agentId));
  const movedAgents = backups.filter((a) => movedIds.has(a.id));
  const window = movedAgents.length ? movedAgents : backups;
  const startMin = window.length ? Math.min(...window.map((a) => a.startMin)) : 0;
  const endMin = window.length ? Math.max(...window.map((a) => a.endMin)) : 1440;
  const flatAgents = flatSeats(
    movedHours,
    startMin,
    endMin,
    (movedAgents.length ? movedAgents : backups).map((a) => a.frontSkills),
  );
  const tidal = simulate(sc, { seed, moves }, calls);
  const flat = simulate(sc, { seed, extraAgents: flatAgents }, calls);
  const base = simulate(sc, { seed }, calls);
  return {
    scenario: sc.name,
    seed,
    calls: calls.arrival.length,
    plan,
    moves,
    tidal,
    flat,
    base,
    seatHours: {
      tidal: tidal.frontSeatHours + tidal.movedSeatHours,
      flat: flat.frontSeatHours,
      base: base.frontSeatHours,
    },
    flatAgents,
  };
}

export interface VariantSummary {
  answerRate: number;
  serviceLevel: number;
  careAvgWaitS: number;
  avgWaitS: number;
  p95WaitS: number;
  abandonRate: number;
  occupancy: number;
  seatHours: number;
}

export interface RunsSummary {
  scenario: string;
  seeds: number[];
  calls: number;
  variants: Record<'tidal' | 'flat' | 'base', VariantSummary>;
}

/** The comparison over several seeds (the same seeds for every variant), averaged. */
export function compareRuns(sc: ResolvedScenario, runs: number, firstSeed = sc.seed): RunsSummary {
  const seeds = Array.from({ length: Math.max(1, runs) }, (_, i) => firstSeed + i);
  const sums = { tidal: zero(), flat: zero(), base: zero() };
  let calls = 0;
  for (const seed of seeds) {
    const c = compareTidal(sc, seed);
    calls += c.calls;
    for (const k of ['tidal', 'flat', 'base'] as const) {
      const r = c[k];
      const s = sums[k];
      s.answerRate += r.overall.answerRate;
      s.serviceLevel += r.overall.serviceLevel;
      s.careAvgWaitS += r.careAvgWaitS;
      s.avgWaitS += r.overall.avgWaitS;
      s.p95WaitS += r.overall.p95WaitS;
      s.abandonRate += r.overall.abandonRate;
      s.occupancy += r.occupancy;
      s.seatHours += c.seatHours[k];
    }
  }
  const mean = (s: VariantSummary): VariantSummary =>
    Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v / seeds.length])) as unknown as VariantSummary;
  return {
    scenario: sc.name,
    seeds,
    calls: calls / seeds.length,
    variants: { tidal: mean(sums.tidal), flat: mean(sums.flat), base: mean(sums.base) },
  };
}

function zero(): VariantSummary {
  return {
    answerRate: 0,
    serviceLevel: 0,
    careAvgWaitS: 0,
    avgWaitS: 0,
    p95WaitS: 0,
    abandonRate: 0,
    occupancy: 0,
    seatHours: 0,
  };
}
