// The least number of agents on the phones that meets every target in one interval. All the
// measures improve as agents are added, so an exponential then binary search finds it with a few
// dozen evaluations even for thousands of agents.
import { erlangAMetrics } from './erlang-a.ts';
import { erlangCMetrics } from './erlang-c.ts';
import type { QueueInput, QueueMetrics } from './queue-metrics.ts';
import { staffWithShrinkage, type StaffingTargets, validateTargets } from './targets.ts';

export interface IntervalStaffing extends QueueMetrics {
  /** Heads to schedule after shrinkage. */
  staff: number;
  answerRate: number;
  /** Care callers' mean wait with priority over everyone else, seconds. */
  careAsa: number;
  /** Whether each target is met with `agents`. */
  met: { serviceLevel: boolean; answerRate: boolean; careAsa: boolean };
}

export type Demand = Omit<QueueInput, 'agents' | 'thresholdS'>;

const MAX_AGENTS = 1_000_000;
/** Float slack so that a target met exactly on paper is not missed by rounding. */
const EPS = 1e-9;

export function evaluate(demand: Demand, agents: number, targets: StaffingTargets): IntervalStaffing {
  const q: QueueInput = { ...demand, agents, thresholdS: targets.thresholdS };
  const m = demand.patienceS === undefined ? erlangCMetrics(q) : erlangAMetrics(q);
  const careAsa = careCallersWait(m, demand, targets.careShare);
  return {
    ...m,
    staff: staffWithShrinkage(agents, targets.shrinkage),
    answerRate: 1 - m.abandonRate,
    careAsa,
    met: {
      serviceLevel: m.serviceLevel >= targets.serviceLevel - EPS,
      answerRate: 1 - m.abandonRate >= targets.answerRate - EPS,
      careAsa: careAsa <= targets.careAsaS + EPS,
    },
  };
}

/**
 * Care callers go to the head of the queue (non-preemptive priority). With equal handle times
 * their mean wait in M/M/N is P(wait) / (Nμ - λ_care) (Cobham 1954): they only wait for the next
 * agent to free up, behind other care callers. With abandonment this is an upper bound.
 */
function careCallersWait(m: QueueMetrics, demand: Demand, careShare: number): number {
  if (m.probWait === 0) return 0;
  const nMu = m.agents / demand.ahtS;
  const careRate = (careShare * demand.calls) / (demand.intervalMin * 60);
  return nMu > careRate ? m.probWait / (nMu - careRate) : Infinity;
}

const meetsAll = (s: IntervalStaffing) => s.met.serviceLevel && s.met.answerRate && s.met.careAsa;

/** The least agents meeting every target, with the measures at that number. */
export function requiredAgents(demand: Demand, targets: StaffingTargets): IntervalStaffing {
  const problems = validateTargets(targets);
  if (problems.length) throw new RangeError(problems.join('; '));
  if (demand.calls === 0) return evaluate(demand, 0, targets);
  const load = (demand.calls / (demand.intervalMin * 60)) * demand.ahtS;
  // Erlang C needs more agents than Erlangs; Erlang A may meet loose targets with fewer.
  let lo = demand.patienceS === undefined ? Math.floor(load) : 0;
  let hi = Math.max(1, Math.ceil(load) + 1);
  while (!meetsAll(evaluate(demand, hi, targets))) {
    lo = hi;
    hi *= 2;
    if (hi > MAX_AGENTS) throw new RangeError(`targets cannot be met with up to ${MAX_AGENTS} agents`);
  }
  // Invariant: lo fails (or is the floor), hi meets.
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (meetsAll(evaluate(demand, mid, targets))) hi = mid;
    else lo = mid;
  }
  if (lo > 0 && meetsAll(evaluate(demand, lo, targets))) hi = lo;
  return evaluate(demand, hi, targets);
}
