// The service targets a 12345 centre is held to, as operator settings. Defaults follow common
// provincial assessment rules: 80 % of calls answered within 15 s, an answer rate (接通率) of at
// least 95 % over the day, and care callers (关爱模式: the elderly and others given priority) waiting
// 30 s on average at most.

export interface StaffingTargets {
  /** Share of offered calls to answer within `thresholdS`. */
  serviceLevel: number;
  thresholdS: number;
  /** Share of offered calls answered at all; met per interval, so the day meets it too. */
  answerRate: number;
  /** Care callers' mean wait, seconds; they are queued ahead of everyone else. */
  careAsaS: number;
  /** Share of calls from care callers. */
  careShare: number;
  /** Share of paid time off the phones (breaks, training, meetings): staff = ceil(N / (1 - s)). */
  shrinkage: number;
}

export const DEFAULT_TARGETS: StaffingTargets = {
  serviceLevel: 0.8,
  thresholdS: 15,
  answerRate: 0.95,
  careAsaS: 30,
  careShare: 0.1,
  shrinkage: 0.3,
};

export function validateTargets(t: StaffingTargets): string[] {
  const problems: string[] = [];
  const share = (name: string, v: number, closedTop = true) => {
    if (!(v >= 0 && (closedTop ? v <= 1 : v < 1))) problems.push(`${name} must be between 0 and 1, got ${v}`);
  };
  share('service level', t.serviceLevel);
  share('answer rate', t.answerRate);
  share('care share', t.careShare);
  share('shrinkage', t.shrinkage, false);
  if (!(t.thresholdS >= 0)) problems.push(`service-level threshold must be ≥ 0 s, got ${t.thresholdS}`);
  if (!(t.careAsaS > 0)) problems.push(`care callers' wait target must be > 0 s, got ${t.careAsaS}`);
  return problems;
}

/** Heads to schedule so that `agents` are on the phones after shrinkage. */
export function staffWithShrinkage(agents: number, shrinkage: number): number {
  return Math.ceil(agents / (1 - shrinkage) - 1e-9);
}
