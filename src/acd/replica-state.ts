// A router's in-memory copy of what the ACD decides over: every waiting call (per skill and class, in queue
// order) and every ready agent. Fed with the change entries the Redis scripts append (scripts.ts, `append`),
// from the stream and from each script's own reply; pure and synchronous, so tests and the simulator can
// drive it without Redis.
import { better, type ReadyIndex, type SlicedQueue } from './policy.ts';
import type { AgentState, AgentStrategy, AgentView, PriorityClass, WaitingCall } from './types.ts';

/** One entry of the change stream, decoded. */
export type Change =
  | {
      n: number;
      kind: 'call';
      id: string;
      state: string;
      skill: string;
      priority: PriorityClass;
      queuedAt: number;
      tried: string[];
      owner: string;
    }
  | {
      n: number;
      kind: 'agent';
      id: string;
      state: AgentState;
      name: string;
      extension: string;
      skills: Record<string, number>;
      idleSince: number;
      callsToday: number;
    };

/** A waiting call as the replica keeps it: the policy's view plus the router instance that holds its channel. */
export interface ReplicaCall extends WaitingCall {
  owner: string;
}

/** A JSON list of strings (a call's tried agents); [] for anything else. */
export function parseList(text: string | undefined): string[] {
  // Most entries carry no list at all: no parse for them (decodeChanges runs once per script reply).
  if (text === undefined || text === '[]') return [];
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

/** A JSON object of skill levels (an agent's skills); {} for anything else. */
export function parseSkills(text: string | undefined): Record<string, number> {
  if (text === undefined || text === '{}') return {};
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, number>) : {};
  } catch {
    return {};
  }
}

const str = (v: unknown, d: string): string => (typeof v === 'string' ? v : d);

/**
 * Decodes one stream entry (or a script's reply): the script's sequence number and its changes as the scripts
 * write them (`[{k: 'c', id, st, sk, pr, q, t, o}, {k: 'a', id, st, nm, x, sk, i, ct}]`).
 */
export function decodeChanges(n: number, body: string): Change[] {
  let list: unknown;
  try {
    list = JSON.parse(body);
  } catch {
    return [];
  }
  if (!Array.isArray(list) || !Number.isSafeInteger(n)) return [];
  const out: Change[] = [];
  for (const raw of list as Array<Record<string, unknown>>) {
    const id = typeof raw?.id === 'string' ? raw.id : '';
    if (!id) continue;
    if (raw.k === 'c') {
      out.push({
        n,
        kind: 'call',
        id,
        state: str(raw.st, 'gone'),
        skill: str(raw.sk, ''),
        priority: str(raw.pr, 'normal') as PriorityClass,
        queuedAt: Number(raw.q ?? 0),
        tried: parseList(str(raw.t, '[]')),
        owner: str(raw.o, ''),
      });
    } else if (raw.k === 'a') {
      out.push({
        n,
        kind: 'agent',
        id,
        state: str(raw.st, 'logged_out') as AgentState,
        name: str(raw.nm, ''),
        extension: str(raw.x, ''),
        skills: parseSkills(str(raw.sk, '{}')),
        idleSince: Number(raw.i ?? 0),
        callsToday: Number(raw.ct ?? 0),
      });
    }
  }
  return out;
}

/** Queue order within one skill and class: earliest queued first, then by id (as policy.rank orders them). */
function before(a: WaitingCall, b: WaitingCall): boolean {
  return a.queuedAt < b.queuedAt || (a.queuedAt === b.queuedAt && a.id < b.id);
}

/**
 * One skill and class's waiting calls, kept sorted in `items` from `start`: a call served from the head (the usual
 * case) only moves `start`, and one given back to its place at the head takes the slot before it, so neither
 * shifts the thousands of calls behind; new calls land at the tail. The dead slots are dropped now and then.
 */
class SortedCalls {
  items: Array<ReplicaCall | undefined> = [];
  start = 0;

  get size(): number {
    return this.items.length - this.start;
  }

  private indexOf(c: WaitingCall): number {
    let lo = this.start;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.items[mid]!, c)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(c: ReplicaCall): void {
    const last = this.items[this.items.length - 1];
    if (this.size === 0 || before(last!, c)) this.items.push(c);
    else {
      const i = this.indexOf(c);
      if (i === this.start && this.start > 0) this.items[--this.start] = c;
      else this.items.splice(i, 0, c);
    }
  }

  remove(c: ReplicaCall): void {
    let i = this.indexOf(c);
    if (this.items[i] !== c) i = this.items.indexOf(c, this.start);
    if (i < 0) return;
    if (i === this.start) {
      this.items[this.start++] = undefined;
      if (this.start > 1024 && this.start * 2 > this.items.length) {
        this.items = this.items.slice(this.start);
        this.start = 0;
      }
    } else this.items.splice(i, 1);
  }

  /** The place of c (1 = next), or 0. */
  placeOf(c: ReplicaCall): number {
    const i = this.items.indexOf(c, this.start);
    return i < 0 ? 0 : i - this.start + 1;
  }
}

export class ReplicaState {
  private readonly calls = new Map<string, ReplicaCall>();
  private readonly lists = new Map<string, SortedCalls>();
  private readonly agents = new Map<string, AgentView>();
  /** readyAgents()'s array, rebuilt only after the ready agents changed (rounds far outnumber changes). */
  private agentList: AgentView[] | null = null;
  /**
   * Per skill, the ready agents with it, best first under `strategy` (policy.better): built on first use, then
   * kept in order as agents come and go, so a round takes the best free agent without a pass over all of them.
   */
  private bySkill = new Map<string, AgentView[]>();
  /** Agents last seen reserved, ringing or in wrap-up: the only ones the sweep must look at. */
  private readonly pending = new Set<string>();
  private strategy: AgentStrategy | null = null;
  /**
   * The sequence number of the last entry applied per call or agent: a script's reply is applied before the
   * stream brings the same entries, and an older entry must not undo a newer one. Forgotten once the stream
   * has passed it (`prune`).
   */
  private readonly versions = new Map<string, number>();

  get waitingCount(): number {
    return this.calls.size;
  }

  get readyCount(): number {
    return this.agents.size;
  }

  clear(): void {
    this.calls.clear();
    this.lists.clear();
    this.agents.clear();
    this.agentList = null;
    this.bySkill.clear();
    this.pending.clear();
    this.versions.clear();
  }

  /**
   * Applies one script's changes, in order; returns those applied (not already seen: a script's reply is applied
   * before the stream brings the same entry, and an older entry must not undo a newer one).
   */
  applyAll(changes: readonly Change[]): Change[] {
    const out: Change[] = [];
    const mine = new Set<string>();
    for (const c of changes) {
      const key = `${c.kind === 'call' ? 'c' : 'a'}:${c.id}`;
      const seen = this.versions.get(key);
      // A second change of the same call or agent within this script is applied after the first.
      if (seen !== undefined && (seen > c.n || (seen === c.n && !mine.has(key)))) continue;
      mine.add(key);
      this.versions.set(key, c.n);
      this.put(c);
      out.push(c);
    }
    return out;
  }

  /** Agents the sweep should look at (see pending). */
  pendingAgents(): string[] {
    return [...this.pending];
  }

  private put(c: Change): void {
    if (c.kind === 'agent') {
      if (c.state === 'reserved' || c.state === 'ringing' || c.state === 'wrapup') this.pending.add(c.id);
      else this.pending.delete(c.id);
    }
    if (c.kind === 'call') {
      this.removeCall(c.id);
      if (c.state === 'queued' && c.skill) {
        this.addCall({
          id: c.id,
          skill: c.skill,
          priority: c.priority,
          queuedAt: c.queuedAt,
          tried: c.tried,
          owner: c.owner,
        });
      }
    } else if (c.state === 'ready') {
      this.agentList = null;
      this.unindex(c.id);
      this.setAgent({
        id: c.id,
        name: c.name,
        extension: c.extension,
        skills: c.skills,
        state: 'ready',
        idleSince: c.idleSince,
        callsToday: c.callsToday,
      });
    } else this.dropAgent(c.id);
  }

  /** The ready agents per skill, best first for `strategy` (see bySkill). */
  index(strategy: AgentStrategy, offerable?: (a: AgentView) => boolean): ReadyIndex {
    if (strategy !== this.strategy) {
      this.bySkill.clear();
      this.strategy = strategy;
    }
    return {
      candidates: (skill) => {
        let l = this.bySkill.get(skill);
        if (!l) {
          l = [...this.agents.values()].filter((a) => skill in a.skills);
          l.sort((a, b) => (better(a, b, skill, strategy) ? -1 : better(b, a, skill, strategy) ? 1 : 0));
          this.bySkill.set(skill, l);
        }
        return offerable ? l.filter(offerable) : l;
      },
    };
  }

  private setAgent(a: AgentView): void {
    this.agents.set(a.id, a);
    const strategy = this.strategy;
    if (!strategy) return;
    for (const [skill, l] of this.bySkill) {
      if (!(skill in a.skills)) continue;
      let lo = 0;
      let hi = l.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (better(l[mid]!, a, skill, strategy)) lo = mid + 1;
        else hi = mid;
      }
      l.splice(lo, 0, a);
    }
  }

  private unindex(id: string): void {
    const old = this.agents.get(id);
    if (!old) return;
    for (const [skill, l] of this.bySkill) {
      if (!(skill in old.skills)) continue;
      const i = l.indexOf(old);
      if (i >= 0) l.splice(i, 1);
    }
  }

  private dropAgent(id: string): void {
    this.unindex(id);
    if (this.agents.delete(id)) this.agentList = null;
  }

  /** Loads a full state (replacing everything) as of sequence number `seq`. */
  load(seq: number, calls: readonly ReplicaCall[], agents: readonly AgentView[]): void {
    this.clear();
    for (const c of calls) this.addCall(c);
    for (const a of agents) if (a.state === 'ready') this.agents.set(a.id, a);
    this.agentList = null;
    this.bySkill.clear();
    void seq;
  }

  /** Forgets the versions of entries at or before `seq` (the stream has delivered everything up to it). */
  prune(seq: number): void {
    for (const [k, n] of this.versions) if (n <= seq) this.versions.delete(k);
  }

  /** Drops a call or agent a reservation found out of date; the stream brings its next change. */
  forgetCall(id: string): void {
    this.removeCall(id);
  }

  forgetAgent(id: string): void {
    this.dropAgent(id);
  }

  getAgent(id: string): AgentView | undefined {
    return this.agents.get(id);
  }

  /** The waiting calls of each skill and class, each in queue order (for policy.assignQueues). */
  queueLists(): Array<SlicedQueue<ReplicaCall>> {
    const out: Array<SlicedQueue<ReplicaCall>> = [];
    for (const l of this.lists.values())
      if (l.size) out.push({ items: l.items as readonly ReplicaCall[], start: l.start });
    return out;
  }

  readyAgents(): readonly AgentView[] {
    return (this.agentList ??= [...this.agents.values()]);
  }

  /** A ready agent by id (no list is built: every reservation changes the ready set). */
  readyAgent(id: string): AgentView | undefined {
    return this.agents.get(id);
  }

  /** Ready agents, each given to `fn` until it returns true; whether one did. */
  someReady(fn: (a: AgentView) => boolean): boolean {
    for (const a of this.agents.values()) if (fn(a)) return true;
    return false;
  }

  /** Owners of waiting calls (router instances), for the liveness check. */
  owners(): Set<string> {
    const out = new Set<string>();
    for (const c of this.calls.values()) out.add(c.owner);
    return out;
  }

  /** A call's place in its own skill and class's line (1 = next), or 0 when it is not waiting. */
  position(id: string): number {
    const c = this.calls.get(id);
    if (!c) return 0;
    const l = this.lists.get(`${c.skill}\n${c.priority}`);
    return l ? l.placeOf(c) : 0;
  }

  private addCall(c: ReplicaCall): void {
    this.calls.set(c.id, c);
    const key = `${c.skill}\n${c.priority}`;
    let l = this.lists.get(key);
    if (!l) this.lists.set(key, (l = new SortedCalls()));
    l.insert(c);
  }

  private removeCall(id: string): void {
    const old = this.calls.get(id);
    if (!old) return;
    this.calls.delete(id);
    this.lists.get(`${old.skill}\n${old.priority}`)?.remove(old);
  }
}
