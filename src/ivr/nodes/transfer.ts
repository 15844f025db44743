// transfer: to a sub-center of the number plan or any SIP address; on failure, the fallback.
import type { IvrInput, NodeRuntime, Transition } from '../runtime.ts';
import type { TransferNode } from '../types.ts';

export function enterTransfer(node: TransferNode, id: string, rt: NodeRuntime): Transition {
  const uri = node.uri ?? (node.subcenterLine ? rt.subcenterUri(node.subcenterLine) : undefined);
  if (!uri) return node.fallback ? { goto: node.fallback } : { human: 'transfer-failed' };
  return { instruction: { kind: 'transfer', nodeId: id, uri, prompt: node.prompt } };
}

export function transferInput(node: TransferNode, input: IvrInput): Transition | null {
  if (input.kind !== 'transfer-failed') return null;
  return node.fallback ? { goto: node.fallback } : { human: 'transfer-failed' };
}
