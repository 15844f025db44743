// The fewest seat-intervals that meet a day's targets, not each interval's. A centre is assessed on the day
// (the day's answer rate, the day's share answered within the threshold, care callers' mean wait over the day),
// so sizing every interval to the full targets pays for service the day does not need: a seat is worth most
// where it answers the most calls that would otherwise be lost or late. Greedy marginal analysis on Erlang A:
// starting from each interval's floor, add the seat that closes most of the day's remaining shortfalls, until
// none is left. Each measure's gain from one more agent shrinks as agents are added, so the greedy choice is
// the classic near-optimal one for such separable concave problems.
import { type Demand, evaluate, type IntervalStaffing } from './required-agents.ts';
import { type StaffingTargets, validateTargets } from './targets.ts';

export interface DayDemand {
  /** Calls offered per interval. */
  calls: readonly number[];
  intervalMin: number;
  /** Handle time (talk + after-call work), seconds. */
  ahtS: number;
  /** Callers' mean patience (exponential), seconds: Erlang A. */
  patienceS: number;
}

export interface DaySeatsOptions {
  /** Least agents per interval (a number for every interval, or one per interval); default 0. */
  floor?: number | readonly number[];
  /** Give up adding beyond this many agents in one interval (default 10,000). */
  maxPerInterval?: number;
}

export interface DaySeats {
  /** Agents on the phones per interval. */
  agents: number[];
  /** The day's measures with them (weighted by the calls of each interval). */
  answerRate: number;
  serviceLevel: number;
  careAvgWaitS: number;
  /** Whether the day meets every target. */
  met: boolean;
}

interface Cell {
  answered: number;
  inSl: number;
  /** Care callers' wait summed (care calls × their mean wait), seconds. */
  careWait: number;
}

/** The day's fewest agents per interval meeting `targets` over the day (shrinkage is not applied). */
export function daySeats(d: DayDemand, targets: StaffingTargets, o: DaySeatsOptions = {}): DaySeats {
  const problems = validateTargets(targets);
  if (problems.length) throw new RangeError(problems.join('; '));
  if (!(d.patienceS > 0)) throw new RangeError(`patience must be > 0 s, got ${d.patienceS}`);
  const n = d.calls.length;
  const floorAt = (i: number) =>
    Math.max(0, Math.ceil(typeof o.floor === 'number' ? o.floor : (o.floor?.[i] ?? 0)));
  const cap = o.maxPerInterval ?? 10_000;
  const demand = (i: number): Demand => ({
    calls: Math.max(0, d.calls[i]!),
    intervalMin: d.intervalMin,
    ahtS: d.ahtS,
    patienceS: d.patienceS,
  });
  const cell = (i: number, agents: number): Cell => {
    const calls = Math.max(0, d.calls[i]!);
    if (calls === 0) return { answered: 0, inSl: 0, careWait: 0 };
    const m: IntervalStaffing = evaluate(demand(i), agents, targets);
    const care = Number.isFinite(m.careAsa) ? m.careAsa : d.patienceS;
    return {
      answered: calls * m.answerRate,
      inSl: calls * m.serviceLevel,
      careWait: calls * targets.careShare * Math.min(care, d.patienceS),
    };
  };
  const total = d.calls.reduce((a, c) => a + Math.max(0, c), 0);
  const agents = Array.from({ length: n }, (_, i) => floorAt(i));
  const now = agents.map((a, i) => cell(i, a));
  const next = agents.map((a, i) => cell(i, a + 1));
  const sum = (k: keyof Cell) => now.reduce((a, c) => a + c[k], 0);
  const careCalls = total * targets.careShare;
  const shortfalls = () => ({
    answered: targets.answerRate * total - sum('answered'),
    inSl: targets.serviceLevel * total - sum('inSl'),
    careWait: sum('careWait') - targets.careAsaS * careCalls,
  });
  for (let guard = 0; guard < n * cap; guard++) {
    const s = shortfalls();
    const open = { answered: s.answered > 1e-9, inSl: s.inSl > 1e-9, careWait: s.careWait > 1e-9 };
    if (!open.answered && !open.inSl && !open.careWait) break;
    // One more agent in interval i closes this share of the remaining shortfalls (each capped at what is left).
    let best = -1;
    let bestScore = 0;
    for (let i = 0; i < n; i++) {
      if (agents[i]! >= cap || !(d.calls[i]! > 0)) continue;
      const a = now[i]!;
      const b = next[i]!;
      let score = 0;
      if (open.answered) score += Math.min(b.answered - a.answered, s.answered) / s.answered;
      if (open.inSl) score += Math.min(b.inSl - a.inSl, s.inSl) / s.inSl;
      if (open.careWait) score += Math.min(a.careWait - b.careWait, s.careWait) / s.careWait;
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    if (best < 0) break;
    agents[best]!++;
    now[best] = next[best]!;
    next[best] = cell(best, agents[best]! + 1);
  }
  const s = shortfalls();
  return {
    agents,
    answerRate: total > 0 ? sum('answered') / total : 1,
    serviceLevel: total > 0 ? sum('inSl') / total : 1,
    careAvgWaitS: careCalls > 0 ? sum('careWait') / careCalls : 0,
    met: s.answered <= 1e-9 && s.inSl <= 1e-9 && s.careWait <= 1e-9,
  };
}
