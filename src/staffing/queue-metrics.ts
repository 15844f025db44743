// What a staffing model says about one interval with a given number of agents on the phones.

export interface QueueInput {
  /** Calls offered in the interval. */
  calls: number;
  /** Interval length in minutes. */
  intervalMin: number;
  /** Average handle time (talk + hold + after-call work), seconds. */
  ahtS: number;
  /** Agents answering calls (after shrinkage). */
  agents: number;
  /** Service-level threshold: answered within this many seconds. */
  thresholdS: number;
  /** Mean caller patience in seconds (exponential); omit for Erlang C (nobody hangs up). */
  patienceS?: number;
}

export interface QueueMetrics {
  model: 'erlang-c' | 'erlang-a';
  agents: number;
  /** Offered load in Erlangs (arrival rate × handle time). */
  offeredLoad: number;
  /** Share of callers who wait at all. */
  probWait: number;
  /** Share of all offered callers answered within the threshold. */
  serviceLevel: number;
  /** Average speed of answer: mean wait of answered callers, seconds (Infinity when unstable). */
  asa: number;
  /** Mean wait over all callers, answered or not, seconds. */
  avgWait: number;
  /** Share of callers who hang up before an agent answers. */
  abandonRate: number;
  /** Share of agents' time spent on calls. */
  occupancy: number;
}

export function arrivalRatePerS(q: Pick<QueueInput, 'calls' | 'intervalMin'>): number {
  return q.calls / (q.intervalMin * 60);
}

export function validateQueueInput(q: QueueInput): void {
  const bad = (what: string) => {
    throw new RangeError(what);
  };
  if (!(q.calls >= 0) || !Number.isFinite(q.calls)) bad(`calls must be ≥ 0, got ${q.calls}`);
  if (!(q.intervalMin > 0)) bad(`interval must be > 0 minutes, got ${q.intervalMin}`);
  if (!(q.ahtS > 0)) bad(`handle time must be > 0 s, got ${q.ahtS}`);
  if (!Number.isInteger(q.agents) || q.agents < 0) bad(`agents must be a whole number ≥ 0, got ${q.agents}`);
  if (!(q.thresholdS >= 0)) bad(`service-level threshold must be ≥ 0 s, got ${q.thresholdS}`);
  if (q.patienceS !== undefined && !(q.patienceS > 0)) bad(`patience must be > 0 s, got ${q.patienceS}`);
}
