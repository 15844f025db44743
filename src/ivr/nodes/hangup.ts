// hangup: a closing prompt, then the end of the call.
import type { Transition } from '../runtime.ts';
import type { HangupNode } from '../types.ts';

export function enterHangup(node: HangupNode, id: string): Transition {
  return { instruction: { kind: 'hangup', nodeId: id, prompt: node.prompt } };
}
