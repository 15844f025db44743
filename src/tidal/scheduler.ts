// Carries the tidal plan out. Every router instance runs one; one of them leads, elected through
// Redis with a lease (SET NX PX, renewed while it lives) and a fencing token that every write of a
// step checks, so a paused or cut-off former leader cannot act twice. The leader, each tick:
//   - sends the agents their tidal notices (at the announcement, a reminder, at the move) over the
//     screen-pop hub, which reaches the agent's desktop on whichever instance it is connected to;
//   - at the move, writes the agent's pool (atomically with claiming the step) and its front-line
//     skills through AcdStore.upsertAgent (which keeps its state and re-indexes a ready agent), and
//     sets a back-office agent ready; at the return, back-office skills and not ready (back-office);
//   - audits each change.
// Steps are claimed once per plan (Redis hash of done steps), so a new leader continues where the old
// one stopped. Only approved plans are carried out (emergency moves always); when a plan is cancelled
// or a move cut short, agents already moved are returned at once.
import type { Redis } from 'ioredis';
import type { AcdStore } from '../acd/store.ts';
import type { Logger } from '../logging/logger.ts';
import type { RouterParts } from '../router.ts';
import { type Clock, systemClock } from './clock.ts';
import { noticeText, type Step, stepsOf } from './steps.ts';
import { type DoneRecord, TidalStore } from './store.ts';
import { DAY_MS, localDate, localHhmm } from './time.ts';
import type { Pool, TidalPlan } from './types.ts';

/** The tidal notice as the agent-desktop protocol defines it (src/screen-pop/messages.ts, 'tidal'). */
export interface TidalNotice {
  type: 'tidal';
  effectiveAt: number;
  time: string;
  toPool: string;
  fromPool?: string;
  text: string;
}

export interface SchedulerDeps {
  redis: Redis;
  prefix: string;
  instanceId: string;
  acd: AcdStore;
  /** Sends a message to an agent's desktop (ScreenPopHub.send). */
  send(
    agentId: string,
    msg: TidalNotice | { type: 'state'; state: string; reason?: string },
  ): Promise<unknown>;
  requestDispatch(): void;
  log: Logger;
}

export interface SchedulerOptions {
  clock: Clock;
  /** How often the leader looks for due steps (and followers try to lead), real ms. */
  tickMs: number;
  /** Leadership lease, real ms; renewed every tick. */
  leaseMs: number;
  /** Set to false to run no scheduler on this instance. */
  enabled: boolean;
}

export const DEFAULT_SCHEDULER_OPTIONS: SchedulerOptions = {
  clock: systemClock,
  tickMs: 1000,
  leaseMs: 10_000,
  enabled: true,
};

/** Each router's scheduler by its Redis client, so its admin API reads the same clock. */
const byRedis = new WeakMap<Redis, TidalScheduler>();

export function schedulerFor(redis: Redis): TidalScheduler | undefined {
  return byRedis.get(redis);
}

export class TidalScheduler {
  readonly store: TidalStore;
  private opts: SchedulerOptions = { ...DEFAULT_SCHEDULER_OPTIONS };
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** The fencing token while leading, else 0. */
  token = 0;
  ticks = 0;
  stepsDone = 0;

  constructor(private readonly deps: SchedulerDeps) {
    this.store = new TidalStore(deps.redis, deps.prefix);
    byRedis.set(deps.redis, this);
  }

  get isLeader(): boolean {
    return this.token > 0;
  }

  get clock(): Clock {
    return this.opts.clock;
  }

  /** Changes options (before start, e.g. a test's scaled clock). */
  configure(opts: Partial<SchedulerOptions>): this {
    this.opts = { ...this.opts, ...opts };
    return this;
  }

  async start(): Promise<void> {
    if (!this.opts.enabled) return;
    this.stopped = false;
    await this.tick();
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.tick().finally(() => (this.running = null));
    }, this.opts.tickMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    if (this.token) {
      await this.store.release(this.deps.instanceId, this.token).catch(() => {});
      this.deps.log.info({ fence: this.token }, 'tidal scheduler: leadership released');
      this.token = 0;
    }
  }

  /** One round: keep or take the lead, then carry out what is due. */
  async tick(): Promise<void> {
    this.ticks++;
    try {
      await this.lead();
      if (this.token && !this.stopped) await this.runDue(this.opts.clock.now());
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message }, 'tidal scheduler tick failed');
    }
  }

  private async lead(): Promise<void> {
    const { instanceId, log } = this.deps;
    if (this.token) {
      if (await this.store.renew(instanceId, this.token, this.opts.leaseMs)) return;
      log.warn({ fence: this.token }, 'tidal scheduler: lost the lead');
      this.token = 0;
    }
    const t = await this.store.acquire(instanceId, this.opts.leaseMs);
    if (t > 0) {
      this.token = t;
      log.info({ fence: t }, 'tidal scheduler: leading');
    }
  }

  /** Carries out every step due at `now` of the plans of yesterday, today and tomorrow. */
  async runDue(now: number): Promise<number> {
    let n = 0;
    for (const date of [localDate(now - DAY_MS), localDate(now), localDate(now + DAY_MS)]) {
      const plan = await this.store.getPlan(date);
      if (!plan) continue;
      n += await this.runPlan(plan, now);
    }
    return n;
  }

  private async runPlan(plan: TidalPlan, now: number): Promise<number> {
    const done = await this.store.done(plan.date);
    // A step another leader claimed and never finished (it died) is taken over by a newer token.
    const settled = (id: string) => {
      const r = done[id];
      return r !== undefined && (r.outcome !== 'claimed' || r.fence >= this.token);
    };
    let n = 0;
    for (const step of stepsOf(plan)) {
      if (step.at > now && !(step.kind === 'return' && mustReturnNow(plan, step, now))) continue;
      if (settled(step.id)) continue;
      if (!this.token || this.stopped) break;
      const m = step.move;
      const moveId = `${m.id}:move`;
      const moved = done[moveId]?.outcome === 'done' || done[moveId]?.outcome === 'claimed';
      const live = !m.cancelled && (plan.status === 'approved' || m.kind === 'emergency');
      let outcome: { run: boolean; why?: string };
      if (step.kind === 'return') {
        // A return follows its move whatever became of the plan since.
        if (moved) outcome = { run: true };
        else if (done[moveId]?.outcome === 'skipped' || m.cancelled || plan.status === 'cancelled')
          outcome = { run: false, why: 'the move did not happen' };
        else continue; // a draft: nothing happened, nothing to record
      } else if (!live) {
        if (plan.status === 'draft' && !m.cancelled) continue;
        outcome = { run: false, why: m.cancelled ? 'move cancelled' : 'plan cancelled' };
      } else if (step.kind === 'move') {
        outcome = now >= m.returnAt ? { run: false, why: 'its time had passed' } : { run: true };
      } else if (step.kind === 'remind-return') {
        outcome = moved && now < m.returnAt ? { run: true } : { run: false, why: 'not on the front line' };
      } else {
        outcome = now < m.effectiveAt ? { run: true } : { run: false, why: 'the move time had passed' };
      }
      if (!outcome.run) {
        await this.record(plan, step, { outcome: 'skipped', why: outcome.why }, now);
        done[step.id] = { at: now, by: this.deps.instanceId, fence: this.token, outcome: 'skipped' };
        continue;
      }
      const ok = await this.execute(plan, step, now, done[moveId]);
      if (ok) {
        done[step.id] = { at: now, by: this.deps.instanceId, fence: this.token, outcome: 'done' };
        n++;
      }
    }
    return n;
  }

  private async record(plan: TidalPlan, step: Step, r: Pick<DoneRecord, 'outcome' | 'why'>, now: number) {
    const rec: DoneRecord = { at: now, by: this.deps.instanceId, fence: this.token, ...r };
    const c = await this.store.claim(this.deps.instanceId, this.token, plan.date, step.id, rec);
    if (c === -1) this.token = 0;
    if (c === 1)
      await this.store.audit({
        at: now,
        date: plan.date,
        actor: `scheduler:${this.deps.instanceId}`,
        action: 'skipped',
        agentId: step.move.agentId,
        moveId: step.move.id,
        fence: this.token,
        detail: `${step.kind}: ${r.why ?? ''}`,
      });
  }

  /** Carries out one step; false when another instance had it or this one no longer leads. */
  private async execute(plan: TidalPlan, step: Step, now: number, moveRecord?: DoneRecord): Promise<boolean> {
    const { instanceId, acd, log } = this.deps;
    const m = step.move;
    const actor = `scheduler:${instanceId}`;
    if (step.kind === 'move' || step.kind === 'return') {
      const toPool: Pool = step.kind === 'move' ? 'front' : 'back';
      const fromPool: Pool = toPool === 'front' ? 'back' : 'front';
      const before = await acd.getAgent(m.agentId);
      const rec: DoneRecord = {
        at: now,
        by: instanceId,
        fence: this.token,
        outcome: 'claimed',
        ...(before ? { skillsBefore: before.skills } : {}),
      };
      const c = await this.store.claim(instanceId, this.token, plan.date, step.id, rec, {
        agentId: m.agentId,
        pool: toPool,
      });
      if (c === -1) {
        this.token = 0;
        return false;
      }
      if (c === 0) return false;
      const profile = await this.store.rosterAgent(m.agentId);
      let skillsAfter: Record<string, number> | undefined;
      if (!before) log.warn({ agentId: m.agentId, moveId: m.id }, 'tidal move: no such agent in the ACD');
      else {
        if (toPool === 'front') skillsAfter = profile?.frontSkills;
        else
          skillsAfter =
            profile && Object.keys(profile.backSkills).length
              ? profile.backSkills
              : (moveRecord?.skillsBefore ?? undefined);
        if (skillsAfter)
          await acd.upsertAgent({
            id: before.id,
            name: before.name,
            extension: before.extension,
            skills: skillsAfter,
          });
        else
          log.warn({ agentId: m.agentId }, 'tidal move: no skills for the pool in the roster; skills kept');
        await this.adjustState(m.agentId, toPool, before.state, before.reason);
      }
      await this.store.touchLastMoved(m.agentId, now);
      await this.store.finish(plan.date, step.id, { ...rec, outcome: 'done' });
      // The audit trail holds the change before anyone is told of it: a reader who got the notice finds it there.
      await this.store.audit({
        at: now,
        date: plan.date,
        actor,
        action: toPool === 'front' ? 'move' : 'return',
        agentId: m.agentId,
        moveId: m.id,
        fromPool,
        toPool,
        ...(before ? { skillsBefore: before.skills } : {}),
        ...(skillsAfter ? { skillsAfter } : {}),
        fence: this.token,
        detail: `${m.kind} ${localHhmm(m.effectiveAt)}–${localHhmm(m.returnAt)}`,
      });
      await this.notify(step, now, toPool, fromPool);
      this.deps.requestDispatch();
      log.info({ agentId: m.agentId, moveId: m.id, toPool, fence: this.token }, 'tidal move carried out');
    } else {
      const rec: DoneRecord = { at: now, by: instanceId, fence: this.token, outcome: 'claimed' };
      const c = await this.store.claim(instanceId, this.token, plan.date, step.id, rec);
      if (c === -1) {
        this.token = 0;
        return false;
      }
      if (c === 0) return false;
      const toPool: Pool = step.kind === 'remind-return' ? 'back' : 'front';
      await this.notify(step, now, toPool, toPool === 'front' ? 'back' : 'front');
      await this.store.finish(plan.date, step.id, { ...rec, outcome: 'done' });
      await this.store.audit({
        at: now,
        date: plan.date,
        actor,
        action: 'notice',
        agentId: m.agentId,
        moveId: m.id,
        toPool,
        fence: this.token,
        detail: step.kind,
      });
    }
    this.stepsDone++;
    return true;
  }

  /** A back-office agent becomes ready on the front line; a returning ready agent goes back to work orders. */
  private async adjustState(agentId: string, toPool: Pool, state: string, reason?: string): Promise<void> {
    const { acd, send, log } = this.deps;
    try {
      if (toPool === 'front' && state === 'not_ready' && reason === 'back-office') {
        await acd.setAgentState(agentId, 'ready');
        await send(agentId, { type: 'state', state: 'ready' });
      } else if (toPool === 'back' && state === 'ready') {
        await acd.setAgentState(agentId, 'not_ready', 'back-office');
        await send(agentId, { type: 'state', state: 'not_ready', reason: 'back-office' });
      }
    } catch (err) {
      log.warn({ err: (err as Error).message, agentId }, 'tidal move: agent state not changed');
    }
  }

  private async notify(step: Step, now: number, toPool: Pool, fromPool: Pool): Promise<void> {
    const m = step.move;
    const effectiveAt = toPool === 'front' ? m.effectiveAt : m.returnAt;
    try {
      await this.deps.send(m.agentId, {
        type: 'tidal',
        effectiveAt,
        time: localHhmm(effectiveAt),
        toPool,
        fromPool,
        text: noticeText(step, now),
      });
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, agentId: m.agentId }, 'tidal notice not sent');
    }
  }
}

/** A return is due at once when the plan was cancelled or the move cut short to now or earlier. */
function mustReturnNow(plan: TidalPlan, step: Step, now: number): boolean {
  return plan.status === 'cancelled' && step.move.effectiveAt <= now;
}

/** The scheduler of a router, over its parts (the router constructs, starts and stops it). */
export function createTidalScheduler(parts: RouterParts, log: Logger): TidalScheduler {
  return new TidalScheduler({
    redis: parts.redis,
    prefix: parts.config.redis.prefix,
    instanceId: parts.config.instanceId,
    acd: parts.acd,
    send: (agentId, msg) => parts.hub.send(agentId, msg),
    requestDispatch: () => parts.requestDispatch(),
    log,
  });
}
