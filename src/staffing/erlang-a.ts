// Erlang A (M/M/N+M, Palm 1943; Garnett, Mandelbaum and Reiman 2002): callers hang up after an
// exponential patience, as real callers do. The queue then stays finite at any load, and the
// abandonment rate becomes a number to plan for. Computed from the birth-death chain in log space,
// so it holds for thousands of agents and for overloaded intervals alike:
//   - states up to N via Erlang B, states above by the product of λ / (Nμ + jθ);
//   - a caller who finds k-1 callers queued ahead moves up at rate Nμ + (k-1)θ and hangs up at rate θ,
//     so P(answered | k) = Nμ / (Nμ + kθ), E[wait | k] = k / (Nμ + kθ);
//   - the service level, P(answered within t), by uniformization of that position chain.
import { logInverseErlangB } from './erlang-b.ts';
import { arrivalRatePerS, type QueueInput, type QueueMetrics, validateQueueInput } from './queue-metrics.ts';

/** Queue positions are followed until their probability is this far (in log) below the largest. */
const LOG_TAIL = -40;
const POISSON_TAIL = 1e-13;

function logSumExp(xs: readonly number[], from = 0): number {
  let max = -Infinity;
  for (let i = from; i < xs.length; i++) if (xs[i]! > max) max = xs[i]!;
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (let i = from; i < xs.length; i++) s += Math.exp(xs[i]! - max);
  return max + Math.log(s);
}

/**
 * P(answered within t) for a caller who must queue, the starting position drawn from `weights`
 * (weights[k-1] for position k, summing to 1).
 */
function answeredWithin(weights: Float64Array, nMu: number, theta: number, t: number): number {
  const K = weights.length;
  const rate = nMu + K * theta;
  const lt = rate * t;
  if (lt === 0) return 0;
  let p = Float64Array.from(weights);
  let next = new Float64Array(K);
  let served = 0;
  // Poisson(lt) weights, started in log space so that large lt does not underflow e^-lt.
  let logPois = -lt;
  let poisMass = 0;
  let result = 0;
  for (let step = 0; ; step++) {
    if (step > 0) logPois += Math.log(lt) - Math.log(step);
    const w = Math.exp(logPois);
    result += w * served;
    poisMass += w;
    if (1 - poisMass < POISSON_TAIL && step > lt) break;
    if (step > lt + 50 * Math.sqrt(lt) + 100) break;
    served += (p[0]! * nMu) / rate;
    for (let k = 1; k <= K; k++) {
      const out = (nMu + k * theta) / rate;
      next[k - 1] = p[k - 1]! * (1 - out) + (k < K ? (p[k]! * (nMu + k * theta)) / rate : 0);
    }
    [p, next] = [next, p];
  }
  // Beyond the truncation every later step has at least `served` absorbed.
  return result + (1 - poisMass) * served;
}

export function erlangAMetrics(q: QueueInput): QueueMetrics {
  validateQueueInput(q);
  if (q.patienceS === undefined) throw new RangeError('Erlang A needs the callers’ mean patience');
  const lambda = arrivalRatePerS(q);
  const mu = 1 / q.ahtS;
  const theta = 1 / q.patienceS;
  const n = q.agents;
  const a = lambda / mu;
  const base = { model: 'erlang-a' as const, agents: n, offeredLoad: a };
  if (lambda === 0)
    return { ...base, probWait: 0, serviceLevel: 1, asa: 0, avgWait: 0, abandonRate: 0, occupancy: 0 };
  const nMu = n * mu;

  // logQ[m]: log of π(N+m)/π(N), the chance of finding m callers queued relative to all agents busy.
  const logQ: number[] = [0];
  let peak = 0;
  for (let m = 1; ; m++) {
    const v = logQ[m - 1]! + Math.log(lambda) - Math.log(nMu + m * theta);
    logQ.push(v);
    if (v > peak) peak = v;
    if (nMu + m * theta > lambda && v < peak + LOG_TAIL) break;
    if (m > 5_000_000)
      throw new RangeError('queue too long to compute (patience far longer than the interval?)');
  }
  const logInvB = n === 0 ? -Infinity : logInverseErlangB(n, a);
  const logAllBusyAndAbove = logSumExp(logQ); // Σ_{m≥0} Q_m
  const logPiN = -logSumExp([logInvB, logSumExp(logQ, 1)]);
  const probWait = Math.min(1, Math.exp(logPiN + logAllBusyAndAbove));

  // An arrival finding m queued takes position k = m + 1.
  const weights = new Float64Array(logQ.length);
  let pAbandon = 0;
  let waitAll = 0;
  let waitAnswered = 0;
  let harmonic = 0; // Σ_{j≤k} 1/(Nμ + jθ)
  for (let m = 0; m < logQ.length; m++) {
    const k = m + 1;
    const w = Math.exp(logQ[m]! - logAllBusyAndAbove);
    weights[m] = w;
    const out = nMu + k * theta;
    harmonic += 1 / out;
    pAbandon += (w * k * theta) / out;
    waitAll += (w * k) / out;
    waitAnswered += ((w * nMu) / out) * harmonic;
  }
  const abandonRate = probWait * pAbandon;
  const answered = 1 - abandonRate;
  const slQueued = q.thresholdS > 0 ? answeredWithin(weights, nMu, theta, q.thresholdS) : 0;
  return {
    ...base,
    probWait,
    serviceLevel: 1 - probWait + probWait * slQueued,
    asa: answered > 0 ? (probWait * waitAnswered) / answered : Infinity,
    avgWait: probWait * waitAll,
    abandonRate,
    occupancy: n > 0 ? Math.min(1, (a * answered) / n) : 1,
  };
}
