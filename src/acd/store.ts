// Redis adapter for queues, agents and calls. Reads plain data for the policy and applies its
// decisions through the atomic scripts in scripts.ts.
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import { runScript, runScriptInOrder } from '../redis/run-script.ts';
import {
  ADOPT,
  CONNECT,
  DROPPED_JOIN,
  END_WRAPUP,
  EXTEND_RESERVATION,
  ENQUEUE,
  FINISH,
  FULL_STATE,
  MOVE,
  NO_ANSWER,
  RELEASE,
  RELEASE_EXPIRED,
  FREE_STRAY_AGENT,
  RESERVE,
  RINGING,
  NOTIFY,
  SET_AGENT_STATE,
  RELEASE_AGENT,
  CREATE_CALL,
} from './scripts.ts';
import { type Change, decodeChanges, parseList, parseSkills, type ReplicaCall } from './replica-state.ts';
import {
  type AgentState,
  type AgentView,
  PRIORITY_CLASSES,
  type PriorityClass,
  type WaitingCall,
} from './types.ts';

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
  mode: string;
  callbackNumber: string;
  /** 'missed' for a missed-call callback (calls/missed-callbacks.ts); empty for virtual hold. */
  callbackKind?: string;
  firstQueuedAt: number;
  agent: string;
  queuedAt: number;
  /** When the call was first offered to an agent (its first reservation); absent before. */
  firstOfferedAt?: number;
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
  /**
   * The SIP edge's set of registered extensions (scored by expiry), when agents' softphones register
   * through it: an agent whose softphone is not registered is not offered calls.
   */
  registrationKey = '';

  /**
   * Called with the change entries of every script this store runs, in their order, as soon as the script
   * returns (the replica applies them before the stream brings them: a router sees its own changes at once).
   */
  onChanges: ((changes: Change[]) => void) | null = null;

  constructor(
    readonly redis: Redis,
    readonly keys: Keys,
  ) {}

  /** The scripts reply {result, seq, changes}: the changes go to onChanges, the result to the caller. */
  private async run(script: string, ...args: (string | number)[]): Promise<unknown> {
    // Joining a queue must not be overtaken (runScriptInOrder); it runs once per call, off the decision path.
    const exec = script === ENQUEUE ? runScriptInOrder : runScript;
    const reply = await exec(this.redis, script, 0, this.keys.prefix, ...args.map(String));
    // '\x01<sequence number>\t<result>\t<changes>' when the script changed something (scripts.ts done()).
    if (typeof reply !== 'string' || reply.charCodeAt(0) !== 1) return reply;
    const t1 = reply.indexOf('\t');
    const t2 = reply.indexOf('\t', t1 + 1);
    if (this.onChanges) this.onChanges(decodeChanges(Number(reply.slice(1, t1)), reply.slice(t2 + 1)));
    return reply.slice(t1 + 1, t2);
  }

  /** Tells the replicas about a call or agent changed by a plain write. */
  async notify(kind: 'call' | 'agent', id: string): Promise<void> {
    await this.run(NOTIFY, kind, id);
  }

  /**
   * What a replica starts from, atomically: the change sequence number and stream id it is current with, every
   * waiting call of the given skills, every ready agent (registered or not: the replica filters).
   */
  async fullState(skills: Iterable<string>): Promise<{
    seq: number;
    lastId: string;
    calls: ReplicaCall[];
    agents: AgentView[];
  }> {
    const [seq, lastId, c, a] = (await runScript(
      this.redis,
      FULL_STATE,
      0,
      this.keys.prefix,
      PRIORITY_CLASSES.join(','),
      ...skills,
    )) as [number, string, string[][], string[][]];
    return {
      seq: Number(seq),
      lastId,
      calls: c
        .filter(([, state]) => state === 'queued')
        .map(([id, , skill, priority, queuedAt, tried, owner]) => ({
          id: id!,
          skill: skill!,
          priority: priority as PriorityClass,
          queuedAt: Number(queuedAt),
          tried: parseList(tried),
          owner: owner ?? '',
        })),
      agents: a.map(([id, state, name, extension, skills, idleSince, callsToday]) => ({
        id: id!,
        name: name!,
        extension: extension!,
        skills: parseSkills(skills),
        state: state as AgentState,
        idleSince: Number(idleSince),
        callsToday: Number(callsToday),
      })),
    };
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
    // Replicas learn the new skills, name and extension (a ready agent stays in the ready set).
    await this.notify('agent', def.id);
  }

  async getAgent(id: string): Promise<AgentView | null> {
    const h = await this.redis.hgetall(this.keys.agent(id));
    return h.id ? toAgent(h) : null;
  }

  async listAgents(): Promise<AgentView[]> {
    return this.agentsById((await this.redis.smembers(this.keys.agents())).sort());
  }

  private agentsRead: { at: number; list: Promise<AgentView[]> } | null = null;

  /**
   * listAgents read at most once per `maxAgeMs`, for figures every queued caller's announcement needs (staffed
   * agents per skill): one read of every agent per caller per announcement would grow with callers times agents.
   */
  listAgentsCached(maxAgeMs = 1000): Promise<AgentView[]> {
    const now = Date.now();
    if (!this.agentsRead || now - this.agentsRead.at > maxAgeMs) {
      const list = this.listAgents();
      this.agentsRead = { at: now, list };
      list.catch(() => {
        if (this.agentsRead?.list === list) this.agentsRead = null;
      });
    }
    return this.agentsRead.list;
  }

  /**
   * Sets an agent's state. Refused ('agent-busy') while the agent is reserved, ringing or talking,
   * unless `force` (the call flow moving its own agent on).
   */
  async setAgentState(
    id: string,
    state: AgentState,
    reason = '',
    callId = '',
    force = false,
  ): Promise<AgentState> {
    if (!AGENT_STATES.includes(state)) throw new AcdError(`unknown agent state ${state}`);
    try {
      return (await this.run(
        SET_AGENT_STATE,
        id,
        state,
        Date.now(),
        reason,
        callId,
        force ? '1' : '0',
      )) as AgentState;
    } catch (err) {
      throw new AcdError((err as Error).message.replace(/^ERR /, ''));
    }
  }

  /** Every ready agent, longest idle first (the policy filters by skill). Reads every agent: not for decisions. */
  async readyAgents(limit = 5000): Promise<AgentView[]> {
    return (await this.listAgents())
      .filter((a) => a.state === 'ready')
      .sort((a, b) => a.idleSince - b.idleSince || (a.id < b.id ? -1 : 1))
      .slice(0, limit);
  }

  async agentsById(ids: string[]): Promise<AgentView[]> {
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
    const fields: Record<string, unknown> = {
      ...call,
      ivrPath: JSON.stringify(call.ivrPath),
      state,
      agent: '',
      tried: '[]',
    };
    await runScript(
      this.redis,
      CREATE_CALL,
      2,
      this.keys.call(call.id),
      this.keys.callByUuid(call.uuid),
      call.id,
      86400,
      ...Object.entries(fields).flatMap(([k, v]) => [k, v === undefined || v === null ? '' : String(v)]),
    );
  }

  async callIdByUuid(uuid: string): Promise<string | null> {
    return this.redis.get(this.keys.callByUuid(uuid));
  }

  /** Puts the call in the queue of its skill and class; a call keeps its place if it had one. */
  /**
   * Puts a call in its queue. `now` is the queue time the caller's record keeps: the same number orders the queue,
   * so that what the record says about who waited first is what the ACD served by.
   */
  async enqueue(
    callId: string,
    skill: string,
    ivrPath: string[],
    priority: PriorityClass,
    now = Date.now(),
  ): Promise<void> {
    await this.run(
      ENQUEUE,
      callId,
      now,
      'skill',
      skill,
      'priority',
      priority,
      'queuedAt',
      now,
      'firstQueuedAt',
      now,
      'ivrPath',
      JSON.stringify(ivrPath),
    );
  }

  /** The agent's call was transferred away: the agent goes to wrap-up (or ready when wrapupS is 0). */
  async releaseAfterTransfer(agentId: string, callId: string, wrapupS: number): Promise<void> {
    await this.run(RELEASE_AGENT, agentId, callId, Date.now(), wrapupS);
  }

  /** Holds a call out of every queue, with no agent, while the router works on it (a transfer). */
  async hold(callId: string): Promise<void> {
    await this.redis.hset(this.keys.call(callId), { state: 'ivr', agent: '' });
  }

  /** The conversation ended and the agent was let go; the caller is still on the line (survey). */
  async afterConversation(callId: string): Promise<void> {
    await this.redis.hset(this.keys.call(callId), { state: 'survey', agent: '' });
  }

  /** Puts the call in `skill`'s queue, keeping its original queue time, not offered to `tried`. */
  async requeueTo(callId: string, skill: string, tried: string[]): Promise<void> {
    await this.run(ENQUEUE, callId, Date.now(), 'skill', skill, 'agent', '', 'tried', JSON.stringify(tried));
  }

  /** Re-queues a call at its original place (after its router died, or a callback kept in line). */
  async requeueAtPlace(callId: string): Promise<void> {
    await this.run(ENQUEUE, callId, Date.now());
  }

  async getCall(id: string): Promise<StoredCall | null> {
    const h = await this.redis.hgetall(this.keys.call(id));
    return h.id ? toCall(h) : null;
  }

  /** The first `limit` waiting calls of each class of the given skills, for the policy to rank. */
  async waiting(skills: Iterable<string>, limit = 50): Promise<WaitingCall[]> {
    const pipe = this.redis.pipeline();
    const keys: string[] = [];
    for (const skill of skills) {
      for (const cls of PRIORITY_CLASSES) {
        keys.push(this.keys.queue(skill, cls));
        pipe.zrange(this.keys.queue(skill, cls), '0', String(limit - 1));
      }
    }
    const ids = ((await pipe.exec()) ?? []).flatMap(([, v]) => v as string[]);
    if (!ids.length) return [];
    const p2 = this.redis.pipeline();
    for (const id of ids) p2.hmget(this.keys.call(id), 'id', 'skill', 'priority', 'queuedAt', 'tried');
    const out: WaitingCall[] = [];
    for (const [, v] of (await p2.exec()) ?? []) {
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
    const pipe = this.redis.pipeline();
    for (const cls of PRIORITY_CLASSES) pipe.zcard(this.keys.queue(skill, cls));
    return ((await pipe.exec()) ?? []).reduce((n, [, v]) => n + Number(v), 0);
  }

  /** Returns the owner instance of the call when the reservation holds, or the reason it does not. */
  async reserve(
    callId: string,
    agentId: string,
    via: string,
    ttlS: number,
    /** The deciding router's instance id: its own calls skip the liveness check. */
    self = '',
    /** An offer to a named agent (a transfer), not a queue decision: callers earlier in the line do not hold it. */
    directed = false,
  ): Promise<{ ok: true; owner: string; skill: string } | { ok: false; reason: string }> {
    try {
      // '<owner>\n<the call's skill>' (instance ids and skills have no newline).
      const reply = (await this.run(
        RESERVE,
        callId,
        agentId,
        via,
        Date.now(),
        ttlS,
        self,
        directed ? '1' : '0',
      )) as string;
      const nl = reply.lastIndexOf('\n');
      return { ok: true, owner: reply.slice(0, nl), skill: reply.slice(nl + 1) };
    } catch (err) {
      return { ok: false, reason: (err as Error).message.replace(/^ERR /, '') };
    }
  }

  /** Keeps this call's reservation of the agent from expiring (nothing when the agent holds another call). */
  async extendReservation(callId: string, agentId: string, ttlS: number): Promise<void> {
    await this.run(EXTEND_RESERVATION, callId, agentId, Date.now() + ttlS * 1000);
  }

  /** The agent did not answer: the call keeps its place; returns the agent's new state. */
  async noAnswer(callId: string, agentId: string, maxNoAnswer: number): Promise<string> {
    return (await this.run(NO_ANSWER, callId, agentId, Date.now(), maxNoAnswer)) as string;
  }

  /**
   * The agent's leg was gone before the caller was put through; `quick` when it went within moments of the answer
   * (the phone's doing). Frees the agent, or sets them not ready (phone-drops) after maxMiss quick losses in a row.
   */
  async droppedJoin(callId: string, agentId: string, maxMiss: number, quick: boolean): Promise<string> {
    return (await this.run(DROPPED_JOIN, callId, agentId, Date.now(), maxMiss, quick ? '1' : '0')) as string;
  }

  /** Gives a reservation back without blaming the agent. */
  async release(callId: string, agentId: string): Promise<string> {
    return (await this.run(RELEASE, callId, agentId, Date.now())) as string;
  }

  async setRinging(agentId: string, callId: string): Promise<void> {
    await this.run(RINGING, callId, agentId, Date.now());
  }

  /** The agent answered. False when the call was no longer being offered to this agent. */
  async connect(callId: string, agentId: string): Promise<boolean> {
    try {
      await this.run(CONNECT, callId, agentId, Date.now());
      return true;
    } catch {
      return false;
    }
  }

  async finish(callId: string, wrapupS: number): Promise<string> {
    return (await this.run(FINISH, callId, Date.now(), wrapupS)) as string;
  }

  async endWrapup(agentId: string): Promise<boolean> {
    try {
      await this.run(END_WRAPUP, agentId, Date.now());
      return true;
    } catch {
      return false;
    }
  }

  async move(callId: string, skill: string): Promise<boolean> {
    try {
      await this.run(MOVE, callId, skill, Date.now());
      return true;
    } catch {
      return false;
    }
  }

  /** Takes over a call whose router is gone; `force` when its channel reached this instance (the old socket is over). */
  /** The router instance's heartbeat key lives ('*', a callback kept in line, has no router and counts as alive). */
  async ownerAlive(owner: string): Promise<boolean> {
    if (!owner || owner === '*') return true;
    return (await this.redis.exists(this.keys.instanceAlive(owner))) === 1;
  }

  async adopt(
    callId: string,
    owner: string,
    force = false,
  ): Promise<{ ok: true; state: string } | { ok: false; reason: string }> {
    try {
      return {
        ok: true,
        state: (await this.run(ADOPT, callId, owner, Date.now(), force ? '1' : '0')) as string,
      };
    } catch (err) {
      return { ok: false, reason: (err as Error).message.replace(/^ERR /, '') };
    }
  }

  /** A callback kept in line: no channel holds the call; the number to call back is kept with it. */
  async markCallback(callId: string, number: string): Promise<void> {
    // One write: owner '*' and the callback mode together, so nobody sees one without the other.
    await this.redis
      .multi()
      .hset(this.keys.call(callId), { owner: '*', mode: 'callback', callbackNumber: number })
      .expire(this.keys.call(callId), 86400)
      .exec();
    await this.notify('call', callId);
  }

  /**
   * Agents left reserved or ringing by a router that never confirmed (it died) go back to ready and
   * their calls back to their place; wrap-ups whose time ran out end.
   */
  async sweep(
    now = Date.now(),
    /** Only these agents (those the replica saw reserved, ringing or in wrap-up); all when absent. */
    only?: readonly string[],
  ): Promise<{
    released: Array<{ agentId: string; callId: string }>;
    wrapupsEnded: string[];
    /** Agents freed from a call that had ended without them (full sweeps only). */
    strays: string[];
  }> {
    const released: Array<{ agentId: string; callId: string }> = [];
    const wrapupsEnded: string[] = [];
    const strays: string[] = [];
    for (const a of only ? await this.agentsById([...only]) : await this.listAgents()) {
      if ((a.state === 'reserved' || a.state === 'ringing') && a.callId) {
        // The deadline and the state are checked inside the script (the agent may have answered since the read).
        if ((await this.run(RELEASE_EXPIRED, a.callId, a.id, now)) !== 'held')
          released.push({ agentId: a.id, callId: a.callId });
      } else if (a.state === 'wrapup') {
        const until = Number((await this.redis.hget(this.keys.agent(a.id), 'wrapupUntil')) ?? 0);
        if (until && until <= now && (await this.endWrapup(a.id))) wrapupsEnded.push(a.id);
      } else if (a.state === 'talking' && !only) {
        if ((await this.run(FREE_STRAY_AGENT, a.id, now)) === 'freed') strays.push(a.id);
      }
    }
    return { released, wrapupsEnded, strays };
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
    noAnswerStreak: Number(h.noAnswerStreak ?? 0),
    dropStreak: Number(h.dropStreak ?? 0),
    pool: h.pool || undefined,
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
    mode: h.mode ?? '',
    callbackNumber: h.callbackNumber ?? '',
    ...(h.callbackKind ? { callbackKind: h.callbackKind } : {}),
    agent: h.agent ?? '',
    queuedAt: Number(h.queuedAt ?? 0),
    firstQueuedAt: Number(h.firstQueuedAt ?? h.queuedAt ?? 0),
    firstOfferedAt: h.firstOfferedAt ? Number(h.firstOfferedAt) : undefined,
    answeredAt: h.answeredAt ? Number(h.answeredAt) : undefined,
    tried: JSON.parse(h.tried ?? '[]') as string[],
  };
}
