// announce: play a prompt and continue; 0 pressed during it still reaches a human.
import type { Instruction, IvrInput, Transition } from '../runtime.ts';
import { ZERO } from '../runtime.ts';
import type { AnnounceNode } from '../types.ts';

export function enterAnnounce(node: AnnounceNode, id: string): Instruction {
  return { kind: 'collect', nodeId: id, prompt: node.prompt, validDigits: ZERO, timeoutMs: 1 };
}

export function announceInput(node: AnnounceNode, input: IvrInput): Transition {
  if (input.kind === 'digit' && input.digit === ZERO) return { human: 'zero', digit: ZERO };
  return { goto: node.next };
}
