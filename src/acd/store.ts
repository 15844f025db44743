// Redis adapter for queues, agents and calls. Reads plain data for the policy and applies its
// decisions through the atomic scripts in scripts.ts.
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import { CONNECT, FINISH, REQUEUE, RESERVE, SET_AGENT_STATE } from './scripts.ts';
import type { AgentState, AgentView, PriorityClass, WaitingCall } from './types.ts';

export interface AgentDefinition {
  id: string;
  name: string;
  extension: string;
  skills: Record<string, number>;
}

export interface CallInfo {
  id: string;
  uuid: string;
  owner: string;
  line: string;
  lineName: string;
  mergeMode: string;
  skill: string;
  caller: string;
  dialled: string;
  priority: PriorityClass;
  ivrPath: string[];
  arrivedAt: number;
}

export interface StoredCall extends CallInfo {
  state: string;
  agent: string;
  queuedAt: number;
  answeredAt?: number;
  tried: string[];
}

const AGENT_STATES: readonly AgentState[] = [
  'logged_out',
  'ready',
  'reserved',
  'ringing',
  'talking',
  'wrapup',
  'not_ready',
];

export class AcdError extends Error {}

export class AcdStore {
  constructor(
    readonly redis: Redis,
    readonly keys: Keys,
  ) {}

  private run(script: string, ...args: (string | number)[]): Promise<unknown> {
    return this.redis.eval(script, 0, this.keys.prefix, ...args.map(String));
  }

  // ---- agents ----
  async upsertAgent(def: AgentDefinition): Promise<void> {
    const key = this.keys.agent(def.id);
    const exists = await this.redis.exists(key);
    await this.redis
      .multi()
      .hset(key, {
        id: def.id,
        name: def.name,
        extension: def.extension,
        skills: JSON.stringify(def.skills),
        ...(exists ? {} : { state: 'logged_out', since: Date.now(), idleSince: 0, callsToday: 0 }),
      })
      .sadd(this.keys.agents(), def.id)
      .exec();
    // Re-apply the state so that ready-sets follow changed skills.
    const agent = await this.getAgent(def.id);
    if (agent?.state === 'ready') await this.setAgentState(def.id, 'ready');
  }

  async getAgent(id: string): Promise<AgentView | null> {
    const h = await this.redis.hgetall(this.keys.agent(id));
    return h.id ? toAgent(h) : null;
  }

  async listAgents(): Promise<AgentView[]> {
    const ids = (await this.redis.smembers(this.keys.agents())).sort();
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(this.keys.agent(id));
    const res = (await pipe.exec()) ?? [];
    return res
      .map(([, h]) => h as Record<string, string>)
      .filter((h) => h.id)
      .map(toAgent);
  }

  async setAgentState(id: string, state: AgentState, reason = '', callId = ''): Promise<AgentState> {
    if (!AGENT_STATES.includes(state)) throw new AcdError(`unknown agent state ${state}`);
    try {
      return (await this.run(SET_AGENT_STATE, id, state, Date.now(), reason, callId)) as AgentState;
    } catch (err) {
      throw new AcdError((err as Error).message.replace(/^ERR /, ''));
    }
  }

  async readyAgents(skill: string, limit = 200): Promise<AgentView[]> {
    const ids = await this.redis.zrange(this.keys.ready(skill), '0', String(limit - 1));
    if (!ids.length) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(this.keys.agent(id));
    const res = (await pipe.exec()) ?? [];
    return res
      .map(([, h]) => h as Record<string, string>)
      .filter((h) => h.id)
      .map(toAgent);
  }

  // ---- calls and queues ----
  async createCall(call: CallInfo, state: 'ivr' | 'queued' = 'ivr'): Promise<void> {
    await this.redis.hset(this.keys.call(call.id), {
      ...call,
      ivrPath: JSON.stringify(call.ivrPath),
      state,
      agent: '',
      tried: '[]',
    });
    await this.redis.expire(this.keys.call(call.id), 86400);
  }

  async enqueue(callId: string, skill: string, ivrPath: string[], priority: PriorityClass): Promise<void> {
    const now = Date.now();
    // Care callers sort ahead of everyone who arrived in the last 10 minutes; issue 4's ageing policy refines this.
    const score = now - (priority === 'care' ? 600_000 : 0);
    await this.redis
      .multi()
      .hset(this.keys.call(callId), {
        state: 'queued',
        skill,
        queuedAt: now,
        score,
        priority,
        ivrPath: JSON.stringify(ivrPath),
      })
      .zadd(this.keys.queue(skill), score, callId)
      .exec();
  }

  async getCall(id: string): Promise<StoredCall | null> {
    const h = await this.redis.hgetall(this.keys.call(id));
    return h.id ? toCall(h) : null;
  }

  async waiting(skill: string, limit = 50): Promise<WaitingCall[]> {
    const ids = await this.redis.zrange(this.keys.queue(skill), '0', String(limit - 1));
    if (!ids.length) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hmget(this.keys.call(id), 'id', 'skill', 'priority', 'queuedAt', 'tried');
    const res = (await pipe.exec()) ?? [];
    const out: WaitingCall[] = [];
    for (const [, v] of res) {
      const [id, sk, priority, queuedAt, tried] = v as (string | null)[];
      if (!id || !sk) continue;
      out.push({
        id,
        skill: sk,
        priority: (priority ?? 'normal') as PriorityClass,
        queuedAt: Number(queuedAt ?? 0),
        tried: JSON.parse(tried ?? '[]') as string[],
      });
    }
    return out;
  }

  async queueLength(skill: string): Promise<number> {
    return this.redis.zcard(this.keys.queue(skill));
  }

  /** Returns the owner instance of the call when the reservation holds, or the reason it does not. */
  async reserve(
    callId: string,
    agentId: string,
    ttlS: number,
  ): Promise<{ ok: true; owner: string } | { ok: false; reason: string }> {
    try {
      const owner = (await this.run(RESERVE, callId, agentId, Date.now(), ttlS)) as string;
      return { ok: true, owner };
    } catch (err) {
      return { ok: false, reason: (err as Error).message.replace(/^ERR /, '') };
    }
  }

  async extendReservation(agentId: string, ttlS: number): Promise<void> {
    await this.redis.expire(this.keys.reservation(agentId), ttlS);
  }

  async requeue(callId: string, agentId: string, agentState: AgentState, reason: string): Promise<string> {
    return (await this.run(REQUEUE, callId, agentId, Date.now(), agentState, reason)) as string;
  }

  async connect(callId: string, agentId: string): Promise<void> {
    await this.run(CONNECT, callId, agentId, Date.now());
  }

  async finish(callId: string, agentNext: 'wrapup' | 'ready'): Promise<string> {
    return (await this.run(FINISH, callId, Date.now(), agentNext)) as string;
  }

  async setRinging(agentId: string, callId: string): Promise<void> {
    await this.redis.hset(this.keys.agent(agentId), { state: 'ringing', since: Date.now(), callId });
  }

  /** Agents left reserved by a router that never confirmed (it died) go back to ready. */
  async sweepExpiredReservations(): Promise<string[]> {
    const freed: string[] = [];
    for (const a of await this.listAgents()) {
      if (a.state !== 'reserved' && a.state !== 'ringing') continue;
      if (await this.redis.exists(this.keys.reservation(a.id))) continue;
      const call = a.callId ? await this.getCall(a.callId) : null;
      if (call && call.state === 'offering' && call.agent === a.id) {
        await this.requeue(call.id, a.id, 'ready', '');
      } else {
        await this.setAgentState(a.id, 'ready');
      }
      freed.push(a.id);
    }
    return freed;
  }
}

function toAgent(h: Record<string, string>): AgentView {
  return {
    id: h.id ?? '',
    name: h.name ?? '',
    extension: h.extension ?? '',
    skills: JSON.parse(h.skills ?? '{}') as Record<string, number>,
    state: (h.state ?? 'logged_out') as AgentState,
    idleSince: Number(h.idleSince ?? 0),
    callsToday: Number(h.callsToday ?? 0),
    reason: h.reason || undefined,
    callId: h.callId || undefined,
  };
}

function toCall(h: Record<string, string>): StoredCall {
  return {
    id: h.id ?? '',
    uuid: h.uuid ?? '',
    owner: h.owner ?? '',
    line: h.line ?? '',
    lineName: h.lineName ?? '',
    mergeMode: h.mergeMode ?? '',
    skill: h.skill ?? '',
    caller: h.caller ?? '',
    dialled: h.dialled ?? '',
    priority: (h.priority ?? 'normal') as PriorityClass,
    ivrPath: JSON.parse(h.ivrPath ?? '[]') as string[],
    arrivedAt: Number(h.arrivedAt ?? 0),
    state: h.state ?? '',
    agent: h.agent ?? '',
    queuedAt: Number(h.queuedAt ?? 0),
    answeredAt: h.answeredAt ? Number(h.answeredAt) : undefined,
    tried: JSON.parse(h.tried ?? '[]') as string[],
  };
}
