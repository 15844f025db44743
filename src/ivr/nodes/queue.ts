// queue: hand the caller to the ACD with a skill and a priority class.
import type { Transition } from '../runtime.ts';
import type { QueueNode } from '../types.ts';

export function enterQueue(node: QueueNode, id: string): Transition {
  return {
    instruction: {
      kind: 'queue',
      nodeId: id,
      skill: node.skill,
      priority: node.declaresCare ? 'care' : (node.priority ?? 'normal'),
      reason: node.declaresCare ? 'declared-care' : 'menu',
      prompt: node.prompt,
    },
  };
}
