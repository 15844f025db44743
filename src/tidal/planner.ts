// The tidal planner: pure and synchronous, so the admin API, the CLI and the simulator all run the
// same code. Interval by interval it compares the front-line seats needed with those on shift and
//   - moves backup seats to the front line a lead time (default 2 h) before the interval that needs
//     them, as the hotline's rules ask (seats are in place before the peak builds), each move
//     announced `noticeMin` before it so back-office work can be handed over; nothing is announced
//     before `now`;
//   - keeps at most the cap (default 10 % of all seats) on tidal moves at any time;
//   - keeps every move at least the minimum block (default 1 h);
//   - returns seats only when the need has passed, with hysteresis so nobody is moved back and forth:
//     seats stay while the front line is short anywhere in the next `holdMin` (a second move would
//     need the lead time again), a shortfall that shrinks keeps `hysteresisSeats` to spare, and a
//     returned agent rests `restMin` before moving again;
//   - picks agents qualified for the front line's call mix, least recently moved first (by day), the
//     better skill fit among equals.
import {
  DEFAULT_PLAN_OPTIONS,
  type PlanCore,
  type PlanLimit,
  type PlanLimitKind,
  type PlanOptions,
  type TidalAgent,
  type TidalMove,
} from './types.ts';
import { CST_OFFSET_MS, DAY_MS, formatHhmm, MINUTE_MS, parseShift } from './time.ts';

export interface PlanInput {
  date: string;
  /** Epoch ms of the day's local midnight. */
  dayStart: number;
  intervalMin: number;
  /** Front-line seats needed per interval. */
  need: readonly number[];
  roster: readonly TidalAgent[];
  options?: Partial<PlanOptions>;
  /** When the plan is made: no move may be announced earlier. Absent: any time of the day. */
  now?: number;
  /** Share of front-line calls per skill, for skill fit (default all `general`). */
  skillMix?: Record<string, number>;
  /**
   * A plan re-made during the day: backup seats on the front line when it may first change (`now` plus the
   * notice), with when they moved there (epoch ms). The plan carries them on from then, their minimum block
   * counted from when they moved, and returns them by the same rules as its own moves.
   */
  underWay?: ReadonlyArray<{ agentId: string; sinceMs: number }>;
}

export class PlanError extends Error {}

export function resolveOptions(o: Partial<PlanOptions> = {}): PlanOptions {
  const opts: PlanOptions = { ...DEFAULT_PLAN_OPTIONS };
  for (const [k, v] of Object.entries(o))
    if (v !== undefined) (opts as unknown as Record<string, unknown>)[k] = v;
  const problems = checkOptions(opts);
  if (problems.length) throw new PlanError(problems.join('; '));
  return opts;
}

export function checkOptions(o: PlanOptions): string[] {
  const p: string[] = [];
  const nonNeg = (name: keyof PlanOptions) => {
    const v = o[name];
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) p.push(`${name} must be a number ≥ 0`);
  };
  for (const k of ['leadMin', 'minBlockMin', 'hysteresisSeats', 'holdMin', 'restMin', 'noticeMin'] as const)
    nonNeg(k);
  if (!(o.capShare >= 0 && o.capShare <= 1)) p.push('capShare must be between 0 and 1');
  if (o.capSeats !== undefined && !(Number.isInteger(o.capSeats) && o.capSeats >= 0))
    p.push('capSeats must be a whole number ≥ 0');
  if (!(o.minFit >= 0 && o.minFit <= 1)) p.push('minFit must be between 0 and 1');
  return p;
}

/** Working minutes of an agent's shift (all day when none is given). */
export function shiftOf(a: Pick<TidalAgent, 'shift' | 'id'>): { startMin: number; endMin: number } {
  if (!a.shift) return { startMin: 0, endMin: 1440 };
  const s = parseShift(a.shift);
  if (!s) throw new PlanError(`agent ${a.id}: shift "${a.shift}" is not HH:MM-HH:MM`);
  return s;
}

/** How well an agent's front-line skills fit the call mix: Σ share × level / 5, 0 to 1. */
export function skillFit(frontSkills: Record<string, number>, mix: Record<string, number>): number {
  let total = 0;
  let fit = 0;
  for (const [skill, share] of Object.entries(mix)) {
    if (!(share > 0)) continue;
    total += share;
    fit += (share * Math.min(5, Math.max(0, frontSkills[skill] ?? 0))) / 5;
  }
  return total > 0 ? fit / total : 0;
}

export function capFor(options: PlanOptions, totalSeats: number): number {
  return options.capSeats ?? Math.floor(options.capShare * totalSeats + 1e-9);
}

/** Local day number of an instant, for "moved least recently" by day. */
const dayNumber = (t: number | undefined) =>
  t === undefined || !Number.isFinite(t) ? -Infinity : Math.floor((t + CST_OFFSET_MS) / DAY_MS);

interface Candidate {
  agent: TidalAgent;
  fit: number;
  startMin: number;
  endMin: number;
}

/** Orders candidates: qualified first, then least recently moved (by day), better fit, earlier move, id. */
export function candidateOrder(
  minFit: number,
  lastMoved: (id: string) => number | undefined,
): (a: { agent: TidalAgent; fit: number }, b: { agent: TidalAgent; fit: number }) => number {
  return (a, b) => {
    const qa = a.fit >= minFit ? 1 : 0;
    const qb = b.fit >= minFit ? 1 : 0;
    if (qa !== qb) return qb - qa;
    const la = lastMoved(a.agent.id);
    const lb = lastMoved(b.agent.id);
    const da = dayNumber(la);
    const db = dayNumber(lb);
    if (da !== db) return da < db ? -1 : 1;
    if (a.fit !== b.fit) return b.fit - a.fit;
    const ta = la ?? -Infinity;
    const tb = lb ?? -Infinity;
    if (ta !== tb) return ta < tb ? -1 : 1;
    return a.agent.id < b.agent.id ? -1 : a.agent.id > b.agent.id ? 1 : 0;
  };
}

/** Front-line agents on shift per interval. */
export function baseSeats(roster: readonly TidalAgent[], intervalMin: number, n: number): number[] {
  const base = new Array<number>(n).fill(0);
  for (const a of roster) {
    if (a.homePool !== 'front') continue;
    const { startMin, endMin } = shiftOf(a);
    for (let i = 0; i < n; i++) {
      const from = i * intervalMin;
      if (from >= startMin && from + intervalMin <= endMin) base[i]!++;
    }
  }
  return base;
}

export function planTidal(input: PlanInput): PlanCore {
  const options = resolveOptions(input.options);
  const { intervalMin, dayStart } = input;
  if (!(intervalMin > 0) || 1440 % intervalMin !== 0)
    throw new PlanError(`intervalMin must divide a day, got ${intervalMin}`);
  const n = input.need.length;
  if (n * intervalMin > 1440) throw new PlanError(`${n} intervals of ${intervalMin} min exceed a day`);
  const stepMs = intervalMin * MINUTE_MS;
  const leadN = Math.max(0, Math.ceil(options.leadMin / intervalMin));
  const noticeMs = options.noticeMin * MINUTE_MS;
  const blockN = Math.max(1, Math.ceil(options.minBlockMin / intervalMin));
  const holdN = Math.max(1, Math.ceil(options.holdMin / intervalMin));
  const restMs = options.restMin * MINUTE_MS;
  const mix = input.skillMix && Object.keys(input.skillMix).length ? input.skillMix : { general: 1 };
  const ids = new Set<string>();
  for (const a of input.roster) {
    if (ids.has(a.id)) throw new PlanError(`agent ${a.id} is listed twice`);
    ids.add(a.id);
  }
  const totalSeats = input.roster.length;
  const capSeats = capFor(options, totalSeats);
  const need = input.need.map((v) => Math.max(0, Math.ceil(v - 1e-9)));
  const base = baseSeats(input.roster, intervalMin, n);
  const gap = (j: number) => need[j]! - base[j]!;
  // The first interval a move may take effect in: its announcement must not be before `now`.
  const earliest =
    input.now === undefined ? 0 : Math.max(0, Math.ceil((input.now + noticeMs - dayStart) / stepMs - 1e-9));
  // Seats needed at interval j are in place from j − lead: the need a move at i answers is the
  // largest shortfall from i to i + lead.
  const ahead = (i: number) => {
    let g = 0;
    for (let j = i; j <= Math.min(n - 1, i + leadN); j++) g = Math.max(g, gap(j));
    return g;
  };

  const backups: Candidate[] = input.roster
    .filter((a) => a.homePool === 'back')
    .map((agent) => ({ agent, fit: skillFit(agent.frontSkills, mix), ...shiftOf(agent) }));
  const lastMoved = new Map<string, number>();
  const lastReturn = new Map<string, number>();
  for (const c of backups)
    if (c.agent.lastMovedAt !== undefined) lastMoved.set(c.agent.id, c.agent.lastMovedAt);
  const order = candidateOrder(options.minFit, (id) => lastMoved.get(id));

  // `start`: the interval the seat moved in (its minimum block counts from there); `from`: the first interval of
  // this plan's move (later than `start` for a seat carried on from before a re-plan).
  const active: Array<{ c: Candidate; start: number; from: number }> = [];
  const moves: TidalMove[] = [];
  // Per interval and limit, the seats it held back or kept (see PlanLimit).
  const bound = new Map<PlanLimitKind, number[]>();
  const mark = (kind: PlanLimitKind, i: number, seats: number) => {
    if (!(seats > 0)) return;
    let a = bound.get(kind);
    if (!a) bound.set(kind, (a = new Array<number>(n).fill(0)));
    a[i] = Math.max(a[i]!, seats);
  };
  const moved = new Array<number>(n).fill(0);
  const uncovered = new Array<number>(n).fill(0);
  const close = (k: number, endIdx: number) => {
    const { c, from } = active[k]!;
    const returnAt = dayStart + endIdx * stepMs;
    if (endIdx > from)
      moves.push({
        id: '',
        agentId: c.agent.id,
        kind: 'planned',
        announceAt: dayStart + from * stepMs - noticeMs,
        effectiveAt: dayStart + from * stepMs,
        returnAt,
        fit: round3(c.fit),
      });
    lastReturn.set(c.agent.id, returnAt);
    active.splice(k, 1);
  };

  for (let i = 0; i < n; i++) {
    const minute = i * intervalMin;
    if (i === earliest)
      for (const u of input.underWay ?? []) {
        const c = backups.find((b) => b.agent.id === u.agentId);
        if (!c || active.some((x) => x.c === c)) continue;
        active.push({ c, start: Math.min(i, Math.floor((u.sinceMs - dayStart) / stepMs)), from: i });
        lastMoved.set(c.agent.id, u.sinceMs);
      }
    // Shifts that end take their agents home.
    let ended = 0;
    for (let k = active.length - 1; k >= 0; k--)
      if (active[k]!.c.endMin < minute + intervalMin) {
        close(k, i);
        ended++;
      }
    if (ended && gap(i) > active.length) mark('shift-end', i, Math.min(ended, gap(i) - active.length));
    // Returns, with hysteresis: while the front line is short anywhere in the hold window, keep what
    // it needs there plus a margin; once it is short nowhere in the window, the need has passed.
    let keep = 0;
    for (let j = i; j < Math.min(n, i + Math.max(holdN, leadN + 1)); j++)
      if (gap(j) > 0) keep = Math.max(keep, gap(j) + options.hysteresisSeats);
    keep = Math.min(keep, capSeats);
    // Earliest movers go first; only blocks that have lasted the minimum may end.
    for (let k = 0; active.length > keep && k < active.length;) {
      if (i - active[k]!.start >= blockN) close(k, i);
      else k++;
    }
    const needNow = Math.max(0, gap(i));
    if (active.length > Math.max(keep, needNow))
      mark('min-block', i, active.length - Math.max(keep, needNow));
    if (Math.min(active.length, keep) > needNow)
      mark('hysteresis', i, Math.min(active.length, keep) - needNow);
    // Moves.
    const wanted = Math.max(0, ahead(i));
    const target = Math.min(capSeats, wanted);
    if (wanted > capSeats && wanted > active.length)
      mark('cap', i, wanted - Math.max(capSeats, active.length));
    if (active.length < target && i < earliest) mark('notice', i, target - active.length);
    if (active.length < target && i >= earliest) {
      const at = dayStart + i * stepMs;
      // A seat moved ahead must still be on shift when the need it is moved for arrives.
      let needEnd = minute;
      for (let j = i; j <= Math.min(n - 1, i + leadN); j++)
        if (gap(j) > active.length) {
          needEnd = (j + 1) * intervalMin;
          break;
        }
      const free = backups
        .filter(
          (c) =>
            !active.some((x) => x.c === c) &&
            c.startMin <= minute &&
            c.endMin >= Math.max(minute + blockN * intervalMin, needEnd) &&
            (lastReturn.get(c.agent.id) ?? -Infinity) <= at - restMs,
        )
        .sort(order);
      for (const c of free) {
        if (active.length >= target) break;
        active.push({ c, start: i, from: i });
        lastMoved.set(c.agent.id, at);
        if (c.fit < options.minFit) mark('skill-fit', i, 1);
      }
      // Still short: say which backups could not come, and why.
      const missing = target - active.length;
      if (missing > 0) {
        const idle = backups.filter((c) => !active.some((x) => x.c === c));
        const onShift = idle.filter(
          (c) => c.startMin <= minute && c.endMin >= Math.max(minute + blockN * intervalMin, needEnd),
        );
        if (!idle.length) mark('no-backups', i, missing);
        else if (onShift.length) mark('rest', i, Math.min(missing, onShift.length));
        if (idle.length > onShift.length) mark('shift', i, Math.min(missing, idle.length - onShift.length));
      }
    }
    moved[i] = active.length;
    uncovered[i] = Math.max(0, gap(i) - active.length);
  }
  for (let k = active.length - 1; k >= 0; k--) close(k, n);
  moves.sort((a, b) => a.effectiveAt - b.effectiveAt || a.agentId.localeCompare(b.agentId));
  moves.forEach((m, k) => (m.id = `p${k + 1}`));
  return {
    date: input.date,
    dayStart,
    intervalMin,
    options,
    totalSeats,
    capSeats,
    need,
    base,
    moved,
    uncovered,
    moves,
    limits: describeLimits(bound, { dayStart, stepMs, capSeats, totalSeats, options }),
  };
}

/** The per-interval marks as windows, each with its explanation. */
function describeLimits(
  bound: Map<PlanLimitKind, number[]>,
  ctx: { dayStart: number; stepMs: number; capSeats: number; totalSeats: number; options: PlanOptions },
): PlanLimit[] {
  const { options: o } = ctx;
  const stepMin = ctx.stepMs / MINUTE_MS;
  const text: Record<PlanLimitKind, (seats: number) => string> = {
    cap: (k) =>
      `上限 ${ctx.capSeats} 席（${Math.round(o.capShare * 100)}% × ${ctx.totalSeats}${o.capSeats !== undefined ? '，按席数' : ''}）少调 ${k} 席 / the cap of ${ctx.capSeats} seats held back ${k}; raise --cap or --cap-seats`,
    'no-backups': (k) => `没有备岗坐席 / no backup seats on the roster; ${k} short`,
    shift: (k) =>
      `${k} 名备岗不在班或下班太早（最短 ${o.minBlockMin} 分钟）/ ${k} backups off shift, or ending before a ${o.minBlockMin}-min block`,
    rest: (k) =>
      `${k} 名备岗刚返回，休息 ${o.restMin} 分钟 / ${k} backups resting ${o.restMin} min after a return`,
    notice: (k) =>
      `来不及提前 ${o.noticeMin} 分钟通知，少调 ${k} 席 / too late to give ${o.noticeMin} min notice: ${k} not moved`,
    'min-block': (k) =>
      `最短 ${o.minBlockMin} 分钟，多留 ${k} 席 / ${k} kept for the ${o.minBlockMin}-min minimum block`,
    hysteresis: (k) =>
      `回落余量多留 ${k} 席（${o.hysteresisSeats} 席，${o.holdMin} 分钟）/ ${k} kept as the hysteresis margin`,
    'skill-fit': (k) =>
      `${k} 名技能匹配低于 ${o.minFit} 的备岗被调用 / ${k} moved with a skill fit under ${o.minFit}`,
    'shift-end': (k) =>
      `${k} 名调入坐席下班，仍缺 / ${k} moved seats went home at their shift's end while still needed`,
  };
  const out: PlanLimit[] = [];
  for (const [kind, a] of bound) {
    for (let i = 0; i < a.length;) {
      if (!(a[i]! > 0)) {
        i++;
        continue;
      }
      let j = i;
      let worst = 0;
      while (j < a.length && a[j]! > 0) worst = Math.max(worst, a[j++]!);
      out.push({
        kind,
        from: ctx.dayStart + i * ctx.stepMs,
        to: ctx.dayStart + j * ctx.stepMs,
        seats: worst,
        text: `${formatHhmm(i * stepMin)}–${formatHhmm(j * stepMin)} ${text[kind](worst)}`,
      });
      i = j;
    }
  }
  return out.sort((x, y) => x.from - y.from || x.kind.localeCompare(y.kind));
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Moves in effect at `t` (not cancelled). */
export function activeAt(moves: readonly TidalMove[], t: number): TidalMove[] {
  return moves.filter((m) => !m.cancelled && m.effectiveAt <= t && t < m.returnAt);
}

/** Backup seats on the front line per interval, from the moves. */
export function movedPerInterval(
  core: Pick<PlanCore, 'dayStart' | 'intervalMin' | 'need'>,
  moves: readonly TidalMove[],
): number[] {
  const stepMs = core.intervalMin * MINUTE_MS;
  return core.need.map((_, i) => {
    const from = core.dayStart + i * stepMs;
    const to = from + stepMs;
    return moves.filter((m) => !m.cancelled && m.effectiveAt < to && m.returnAt > from).length;
  });
}

/** Recomputes `moved` and `uncovered` after the moves changed. */
export function refreshCounts<T extends PlanCore>(plan: T): T {
  const moved = movedPerInterval(plan, plan.moves);
  return {
    ...plan,
    moved,
    uncovered: plan.need.map((v, i) => Math.max(0, v - plan.base[i]! - moved[i]!)),
  };
}

/**
 * Problems with a plan's moves against the rules: cap, minimum block, one move per agent at a time,
 * back-office agents only, within their shifts. Lead time is checked where moves are made or
 * changed (it depends on when).
 */
export function checkMoves(plan: PlanCore, roster: readonly TidalAgent[]): string[] {
  const p: string[] = [];
  const byId = new Map(roster.map((a) => [a.id, a]));
  const live = plan.moves.filter((m) => !m.cancelled);
  const minBlockMs = plan.options.minBlockMin * MINUTE_MS;
  for (const m of live) {
    const a = byId.get(m.agentId);
    if (!a) p.push(`${m.id}: agent ${m.agentId} is not in the tidal roster`);
    else if (a.homePool !== 'back') p.push(`${m.id}: agent ${m.agentId} is not a backup (back-office) seat`);
    if (m.returnAt <= m.effectiveAt) p.push(`${m.id}: returns before it begins`);
    else if (m.returnAt - m.effectiveAt < minBlockMs - 1000 && m.kind !== 'emergency')
      p.push(`${m.id}: lasts less than the minimum block of ${plan.options.minBlockMin} min`);
    if (a?.shift) {
      const { startMin, endMin } = shiftOf(a);
      const from = (m.effectiveAt - plan.dayStart) / MINUTE_MS;
      const to = (m.returnAt - plan.dayStart) / MINUTE_MS;
      if (from < startMin - 1e-6 || to > endMin + 1e-6)
        p.push(`${m.id}: agent ${m.agentId} works ${a.shift}`);
    }
    for (const o of live)
      if (
        o !== m &&
        o.agentId === m.agentId &&
        o.effectiveAt < m.returnAt &&
        m.effectiveAt < o.returnAt &&
        o.id > m.id
      )
        p.push(`${m.id} and ${o.id}: agent ${m.agentId} moved twice at once`);
  }
  // The cap: count at every start.
  for (const m of live) {
    const n = activeAt(live, m.effectiveAt).length;
    if (n > plan.capSeats) p.push(`${m.id}: ${n} seats moved at once, over the cap of ${plan.capSeats}`);
  }
  return [...new Set(p)];
}

export interface EmergencyRequest {
  /** How many seats to move now (chosen like planned moves), or… */
  count?: number;
  /** …these agents. */
  agentIds?: string[];
  /** How long they stay (at least the minimum block unless `short`). */
  durationMin?: number;
  /** Allow beyond the cap. */
  ignoreCap?: boolean;
  note?: string;
}

/**
 * Moves for an emergency (a surge the forecast did not see): effective at once, no lead time,
 * announced at the move. Respects the cap unless told otherwise.
 */
export function emergencyMoves(
  plan: PlanCore,
  roster: readonly TidalAgent[],
  now: number,
  req: EmergencyRequest,
  skillMix: Record<string, number> = { general: 1 },
): { moves: TidalMove[]; problems: string[] } {
  const o = plan.options;
  const durationMin = Math.max(req.durationMin ?? o.minBlockMin, 1);
  const effectiveAt = Math.floor(now / 1000) * 1000;
  const returnAt = effectiveAt + durationMin * MINUTE_MS;
  const live = plan.moves.filter((m) => !m.cancelled);
  const busy = new Set(
    live.filter((m) => m.effectiveAt < returnAt && effectiveAt < m.returnAt).map((m) => m.agentId),
  );
  let worst = 0;
  for (const t of [effectiveAt, ...live.map((m) => m.effectiveAt)])
    if (t >= effectiveAt && t < returnAt) worst = Math.max(worst, activeAt(live, t).length);
  const room = req.ignoreCap ? Infinity : Math.max(0, plan.capSeats - worst);
  const minute = (effectiveAt - plan.dayStart) / MINUTE_MS;
  const problems: string[] = [];
  const lastMoved = (id: string) => {
    const own = live.filter((m) => m.agentId === id).map((m) => m.effectiveAt);
    const r = roster.find((a) => a.id === id)?.lastMovedAt;
    const all = r === undefined ? own : [...own, r];
    return all.length ? Math.max(...all) : undefined;
  };
  let chosen: Array<{ agent: TidalAgent; fit: number }>;
  if (req.agentIds?.length) {
    chosen = [];
    for (const id of req.agentIds) {
      const agent = roster.find((a) => a.id === id);
      if (!agent) problems.push(`agent ${id} is not in the tidal roster`);
      else if (agent.homePool !== 'back') problems.push(`agent ${id} is not a backup (back-office) seat`);
      else if (busy.has(id)) problems.push(`agent ${id} is already on the front line then`);
      else chosen.push({ agent, fit: skillFit(agent.frontSkills, skillMix) });
    }
  } else {
    const want = req.count ?? 1;
    chosen = roster
      .filter((a) => a.homePool === 'back' && !busy.has(a.id))
      .filter((a) => {
        const s = shiftOf(a);
        return s.startMin <= minute && s.endMin >= minute + Math.min(durationMin, 1);
      })
      .map((agent) => ({ agent, fit: skillFit(agent.frontSkills, skillMix) }))
      .sort(candidateOrder(o.minFit, lastMoved))
      .slice(0, want);
    if (chosen.length < want) problems.push(`only ${chosen.length} of ${want} backup seats are free now`);
  }
  if (chosen.length > room) {
    problems.push(`the cap of ${plan.capSeats} seats leaves room for ${room} now`);
    chosen = chosen.slice(0, room);
  }
  let k = plan.moves.filter((m) => m.kind === 'emergency').length;
  const moves = chosen.map(({ agent, fit }) => {
    const s = shiftOf(agent);
    const shiftEnd = plan.dayStart + s.endMin * MINUTE_MS;
    return {
      id: `e${++k}`,
      agentId: agent.id,
      kind: 'emergency' as const,
      announceAt: effectiveAt,
      effectiveAt,
      returnAt: agent.shift ? Math.min(returnAt, Math.max(shiftEnd, effectiveAt + MINUTE_MS)) : returnAt,
      fit: round3(fit),
      ...(req.note ? { note: req.note } : {}),
    };
  });
  return { moves, problems };
}
