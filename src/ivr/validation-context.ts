// What menu validation checks against: the number plan's lines and the queues the ACD knows.
import type { ServiceLine } from '../number-plan/lines.ts';
import type { ValidationContext } from './validate.ts';

export function validationContext(
  lines: readonly ServiceLine[],
  extraQueues: readonly string[] = [],
): ValidationContext {
  return {
    queues: new Set([...lines.map((l) => l.skill), 'general', ...extraQueues]),
    lines: new Map(lines.map((l) => [l.number, { subcenter: l.mergeMode === 'subcenter' }])),
  };
}
