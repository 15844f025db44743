// The number plan: which service line a dialled number belongs to. Pure and synchronous, so the
// live router and the simulator use the same decision.
import type { ServiceLine } from './lines.ts';
import { dialledCandidates, uriUser } from './normalize.ts';

export interface NumberPlan {
  lines: readonly ServiceLine[];
  defaultLine: string;
}

export interface Resolution {
  /** What the carrier sent, as received. */
  raw: string;
  /** The service number it was recognised as, or the digits it reduced to when unknown. */
  normalized: string;
  line: ServiceLine;
  /** False when the number is not in the plan and the default line took the call. */
  known: boolean;
}

export function resolveDialled(plan: NumberPlan, raw: string): Resolution {
  const byNumber = new Map(plan.lines.map((l) => [l.number, l]));
  const candidates = dialledCandidates(raw);
  for (const c of candidates) {
    const line = byNumber.get(c);
    if (line) return { raw, normalized: c, line, known: true };
  }
  const fallback = byNumber.get(plan.defaultLine) ?? plan.lines[0];
  if (!fallback) throw new Error('number plan has no lines');
  return { raw, normalized: candidates[0] ?? uriUser(raw), line: fallback, known: false };
}
