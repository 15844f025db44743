// A supervisor's way out for an agent the system shows busy when they are not (a call whose end never reached
// Redis, a router that died between the hangup and its write): the agent's state is forced, every force is kept
// in an audit list with who, why and what the switch said, and a call still up on the switch is never taken
// from under the agent.
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import { maskText } from '../logging/mask.ts';
import type { AcdStore } from './store.ts';
import type { AgentState, AgentView } from './types.ts';

const AUDIT_KEEP = 10_000;

export interface ForcedStateEntry {
  at: number;
  operator: string;
  agentId: string;
  from: AgentState;
  to: AgentState;
  /** The supervisor's words, as written (shown masked: they may quote a caller's number). */
  note: string;
  callId?: string;
  /** What FreeSWITCH said of the agent's call: gone, or unknown when it could not be asked. */
  switchCheck: 'gone' | 'no-call' | 'unknown';
}

export type ForceResult =
  { ok: true; entry: ForcedStateEntry } | { ok: false; code: 404 | 409; reason: string };

export class ForcedStates {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly acd: AcdStore,
    /** True when the channel is up on the switch; throws when the switch cannot be asked. */
    private readonly channelUp: (uuid: string) => Promise<boolean>,
  ) {}

  /** `agent` as the caller just read it (the state written is checked again by the ACD script). */
  async force(agent: AgentView, to: AgentState, operator: string, note: string): Promise<ForceResult> {
    const agentId = agent.id;
    let switchCheck: ForcedStateEntry['switchCheck'] = 'no-call';
    const callId = agent.callId;
    if (callId) {
      const call = await this.acd.getCall(callId);
      const live = call && (call.state === 'talking' || call.state === 'offering') && call.uuid;
      if (live) {
        try {
          if (await this.channelUp(call.uuid))
            return {
              ok: false,
              code: 409,
              reason: `call ${callId} is still up on the switch; the agent or the caller must hang up first`,
            };
          switchCheck = 'gone';
        } catch {
          switchCheck = 'unknown';
        }
        // The call is over on the switch: close it in Redis too, so nothing offers or records it as waiting.
        await this.acd.finish(callId, 0);
      }
    }
    await this.acd.setAgentState(agentId, to, to === 'not_ready' ? 'supervisor' : '', '', true);
    const entry: ForcedStateEntry = {
      at: Date.now(),
      operator,
      agentId,
      from: agent.state,
      to,
      note,
      ...(callId ? { callId } : {}),
      switchCheck,
    };
    await this.redis
      .multi()
      .lpush(this.keys.agentStateAudit(), JSON.stringify(entry))
      .ltrim(this.keys.agentStateAudit(), 0, AUDIT_KEEP - 1)
      .exec();
    return { ok: true, entry };
  }

  /** Newest first; notes masked. */
  async list(limit: number, agentId?: string): Promise<ForcedStateEntry[]> {
    const raw = await this.redis.lrange(this.keys.agentStateAudit(), 0, agentId ? AUDIT_KEEP - 1 : limit - 1);
    const out: ForcedStateEntry[] = [];
    for (const r of raw) {
      const e = JSON.parse(r) as ForcedStateEntry;
      if (agentId && e.agentId !== agentId) continue;
      out.push({ ...e, note: maskText(e.note) });
      if (out.length >= limit) break;
    }
    return out;
  }
}
