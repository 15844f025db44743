// menu: prompt, digit options, timeout, retries, invalid/no-input prompts. 0 always reaches a human.
import type { Instruction, IvrInput, NodeRuntime, Transition } from '../runtime.ts';
import { ZERO } from '../runtime.ts';
import type { MenuNode, Prompt } from '../types.ts';

export const DEFAULT_MENU_TIMEOUT_MS = 5000;
export const DEFAULT_RETRIES = 2;

export function enterMenu(node: MenuNode, id: string, rt: NodeRuntime): Instruction {
  const reprompt = rt.attempts > 0;
  return {
    kind: 'collect',
    nodeId: id,
    prompt:
      reprompt && rt.lastProblem === 'no-input' && node.noInputPrompt
        ? joinPrompts(node.noInputPrompt, node.prompt)
        : reprompt && rt.lastProblem === 'invalid' && node.invalidPrompt
          ? joinPrompts(node.invalidPrompt, node.prompt)
          : node.prompt,
    // The engine adds 0 where the menu does not say it; options cannot take it away.
    validDigits: [...new Set([ZERO, ...node.options.map((o) => o.digit)])].join(''),
    timeoutMs: node.timeoutMs ?? DEFAULT_MENU_TIMEOUT_MS,
  };
}

export function menuInput(
  node: MenuNode,
  _id: string,
  rt: NodeRuntime,
  input: IvrInput,
): Transition | 'retry' {
  if (input.kind === 'digit') {
    if (input.digit === ZERO) return { human: 'zero', digit: ZERO };
    const opt = node.options.find((o) => o.digit === input.digit);
    if (opt) return { goto: opt.next, digit: input.digit };
    rt.lastProblem = 'invalid';
  } else {
    rt.lastProblem = 'no-input';
  }
  // Retries exhausted: a human, never a hang-up.
  if (rt.attempts + 1 > (node.retries ?? DEFAULT_RETRIES)) return { human: 'retries' };
  return 'retry';
}

/** Two prompts as one playback: FreeSWITCH's file_string:// plays files in sequence. */
export function joinPrompts(a: Prompt, b: Prompt): Prompt {
  const strip = (f: string) => f.replace(/^file_string:\/\//, '');
  return { file: `file_string://${strip(a.file)}!${strip(b.file)}`, text: `${a.text}${b.text}` };
}
