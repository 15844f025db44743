// Erlang C (M/M/N, callers wait as long as it takes): the planning standard since 1917. It ignores
// abandonment, so it overstates waits when the queue is long; Erlang A is the check on it.
import { logInverseErlangB } from './erlang-b.ts';
import { arrivalRatePerS, type QueueInput, type QueueMetrics, validateQueueInput } from './queue-metrics.ts';

/** Probability that a caller waits, for n agents and a Erlangs (1 when n ≤ a: the queue grows without end). */
export function erlangC(n: number, a: number): number {
  if (a === 0) return 0;
  if (n <= a) return 1;
  const b = Math.exp(-logInverseErlangB(n, a));
  return (n * b) / (n - a * (1 - b));
}

export function erlangCMetrics(q: QueueInput): QueueMetrics {
  validateQueueInput(q);
  const lambda = arrivalRatePerS(q);
  const a = lambda * q.ahtS;
  const n = q.agents;
  const base = { model: 'erlang-c' as const, agents: n, offeredLoad: a, abandonRate: 0 };
  if (a === 0) return { ...base, probWait: 0, serviceLevel: 1, asa: 0, avgWait: 0, occupancy: 0 };
  if (n <= a)
    return { ...base, probWait: 1, serviceLevel: 0, asa: Infinity, avgWait: Infinity, occupancy: 1 };
  const c = erlangC(n, a);
  // Waits beyond zero are exponential with rate (n - a)/AHT.
  const asa = (c * q.ahtS) / (n - a);
  return {
    ...base,
    probWait: c,
    serviceLevel: 1 - c * Math.exp((-(n - a) * q.thresholdS) / q.ahtS),
    asa,
    avgWait: asa,
    occupancy: a / n,
  };
}
