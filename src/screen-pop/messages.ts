// The screen-pop message set sent to agents' desktops (version 1). Issue 5 extends it.
import type { PriorityClass } from '../acd/types.ts';

export const PROTOCOL_VERSION = 1;

export interface CallContext {
  callId: string;
  caller: string;
  dialled: string;
  line: string;
  lineName: string;
  mergeMode: string;
  mergeModeLabel: string;
  ivrPath: string[];
  priority: PriorityClass;
  waitS: number;
}

export type ServerMessage =
  | ({ type: 'offer'; v: number; at: number } & CallContext)
  | { type: 'answered'; v: number; at: number; callId: string }
  | { type: 'ended'; v: number; at: number; callId: string; outcome: string }
  | { type: 'state'; v: number; at: number; state: string; reason?: string }
  | { type: 'error'; v: number; at: number; error: string }
  | { type: 'hello'; v: number; at: number; agentId: string };

export type ClientMessage = { type: 'ready' } | { type: 'not_ready'; reason?: string } | { type: 'ping' };

export function parseClientMessage(text: string): ClientMessage | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'message is not JSON';
  }
  if (!v || typeof v !== 'object') return 'message must be a JSON object';
  const t = (v as { type?: unknown }).type;
  if (t === 'ready' || t === 'ping') return { type: t };
  if (t === 'not_ready') {
    const reason = (v as { reason?: unknown }).reason;
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > 40)) {
      return 'not_ready.reason must be a string of at most 40 characters';
    }
    return { type: 'not_ready', reason: reason as string | undefined };
  }
  return `unknown message type ${JSON.stringify(t)}`;
}
