// language: the caller picks a language for the prompts that follow; no choice keeps the default.
import type { Instruction, IvrInput, NodeRuntime, Transition } from '../runtime.ts';
import { ZERO } from '../runtime.ts';
import type { LanguageNode } from '../types.ts';

export function enterLanguage(node: LanguageNode, id: string): Instruction {
  return {
    kind: 'collect',
    nodeId: id,
    prompt: node.prompt,
    validDigits: [...new Set([ZERO, ...node.options.map((o) => o.digit)])].join(''),
    timeoutMs: node.timeoutMs ?? 3000,
  };
}

export function languageInput(node: LanguageNode, rt: NodeRuntime, input: IvrInput): Transition {
  if (input.kind === 'digit') {
    if (input.digit === ZERO) return { human: 'zero', digit: ZERO };
    const opt = node.options.find((o) => o.digit === input.digit);
    if (opt) rt.setLanguage(opt.language);
    return { goto: node.next, digit: input.digit };
  }
  return { goto: node.next };
}
