// What operators do with tidal plans, for the admin API and the CLI alike: make a day's plan from the
// line's history (forecast, seats needed at a quantile, the planner), see it, approve it, change or
// cancel moves, cancel the plan, move seats at once in an emergency, keep the roster. Every change is
// versioned (the caller names the version it saw) and audited.
import type { Redis } from 'ioredis';
import { backtest } from '../forecast/backtest.ts';
import { DayCalendar } from '../forecast/day-overrides.ts';
import { forecastNextDay } from '../forecast/forecast-day.ts';
import type { ForecastModel } from '../forecast/model.ts';
import { modelByName, STANDARD_MODELS } from '../forecast/models/index.ts';
import { OverrideStore } from '../forecast/override-store.ts';
import { HistoryStore } from '../history/history-store.ts';
import { formatDate, parseDate } from '../history/local-time.ts';
import {
  dayCount,
  dayIndexOf,
  dayStart,
  dayValues,
  historyBefore,
  type IntervalSeries,
  sliceDays,
  weekdayOfDay,
} from '../history/series.ts';
import { DEFAULT_TARGETS, type StaffingTargets, validateTargets } from '../staffing/targets.ts';
import { seatsNeeded } from './need.ts';
import {
  activeAt,
  checkMoves,
  type EmergencyRequest,
  emergencyMoves,
  baseSeats,
  capFor,
  planTidal,
  refreshCounts,
  resolveOptions,
  skillFit,
} from './planner.ts';
import { stepsOf } from './steps.ts';
import { type AuditEntry, type DoneRecord, TidalStore, VersionConflict } from './store.ts';
import { DAY_MS, localDate, localMidnight, MINUTE_MS } from './time.ts';
import type { PlanOptions, TidalAgent, TidalMove, TidalPlan } from './types.ts';

export class TidalError extends Error {
  constructor(
    message: string,
    /** HTTP-like status: 400 bad request, 404 not found, 409 conflict. */
    readonly status: 400 | 404 | 409 = 400,
    readonly problems: string[] = [],
  ) {
    super(message);
  }
}

export interface MakePlanRequest {
  date: string;
  line?: string;
  /** Quantile of the forecast band to staff for (default 0.8). */
  quantile?: number;
  /** Average handle time, s (talk + after-call work). */
  ahtS?: number;
  /** Mean caller patience, s: staff with Erlang A (default Erlang C). */
  patienceS?: number;
  /** Forecast model (default the backtest's choice). */
  model?: string;
  targets?: Partial<StaffingTargets>;
  options?: Partial<PlanOptions>;
  /** Share of front-line calls per skill, for choosing agents by skill fit. */
  skillMix?: Record<string, number>;
  by: string;
  now: number;
}

export interface MoveChange {
  agentId?: string;
  effectiveAt?: number;
  returnAt?: number;
  /** Cancel the move (before it begins), or end it now (while in effect). */
  cancel?: boolean;
  /** Allow a change that breaks the lead time, minimum block or cap. */
  force?: boolean;
}

export interface MoveStatus extends TidalMove {
  state: 'planned' | 'announced' | 'on-front' | 'returned' | 'skipped' | 'cancelled';
}

export const DEFAULT_LINE = '12345';
export const DEFAULT_QUANTILE = 0.8;
/** Days of history the model choice and forecast look at (bounds the time a plan takes). */
const HISTORY_DAYS = 7 * 16;

/** A plan is made from recent history only: the newest known day at most this many days before the date. */
const MAX_HISTORY_AGE_DAYS = 14;
/** ... and every weekday known at least once in this many days before the date (the weekly pattern). */
const WEEKDAY_WINDOW_DAYS = 28;

/**
 * Refuses a date the history cannot speak for: past its end by more than two weeks, or without each weekday
 * seen in the four weeks before it. A forecast from such history is about 0 calls, and a plan from it is a
 * plan for an empty day.
 */
function checkCoverage(series: IntervalSeries, day: number, line: string, date: string): void {
  const known = (d: number) => d >= 0 && d < dayCount(series) && dayValues(series, d).some(Number.isFinite);
  let last = Math.min(day, dayCount(series)) - 1;
  while (last >= 0 && !known(last)) last--;
  if (last < 0) throw new TidalError(`line ${line} has no history before ${date}`);
  if (day - last > MAX_HISTORY_AGE_DAYS)
    throw new TidalError(
      `line ${line}: its history ends ${formatDate(dayStart(series, last))}; a plan for ${date} needs history from the ${MAX_HISTORY_AGE_DAYS} days before it ("hotline history import" a newer file, or plan an earlier date)`,
      400,
    );
  const weekdays = new Set<number>();
  for (let d = Math.max(0, day - WEEKDAY_WINDOW_DAYS); d < day; d++)
    if (known(d)) weekdays.add(weekdayOfDay(series, d));
  if (weekdays.size < 7)
    throw new TidalError(
      `line ${line}: the ${WEEKDAY_WINDOW_DAYS} days before ${date} cover ${weekdays.size} of 7 weekdays; the weekly pattern cannot be forecast from them`,
      400,
    );
}

export class TidalService {
  readonly store: TidalStore;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly defaults: { ahtS: number; line: string } = { ahtS: 180, line: DEFAULT_LINE },
  ) {
    this.store = new TidalStore(redis, prefix);
  }

  async getPlan(date: string): Promise<TidalPlan> {
    checkDate(date);
    const p = await this.store.getPlan(date);
    if (!p) throw new TidalError(`no tidal plan for ${date}`, 404);
    return p;
  }

  /** The plan's moves with what has become of each. */
  async moveStatus(plan: TidalPlan, now: number): Promise<MoveStatus[]> {
    const done = await this.store.done(plan.date);
    const ran = (id: string) => done[id]?.outcome === 'done' || done[id]?.outcome === 'claimed';
    return plan.moves.map((m) => {
      let state: MoveStatus['state'] = 'planned';
      if (ran(`${m.id}:return`)) state = 'returned';
      else if (ran(`${m.id}:move`)) state = 'on-front';
      else if (done[`${m.id}:move`]?.outcome === 'skipped') state = 'skipped';
      else if (m.cancelled) state = 'cancelled';
      else if (stepsOf({ moves: [m], options: plan.options }).some((s) => s.at <= now && ran(s.id)))
        state = 'announced';
      return { ...m, state };
    });
  }

  // ---- making a plan ----
  async makePlan(req: MakePlanRequest): Promise<TidalPlan> {
    checkDate(req.date);
    const quantile = req.quantile ?? DEFAULT_QUANTILE;
    if (!(quantile > 0 && quantile < 1)) throw new TidalError('quantile must be between 0 and 1');
    const ahtS = req.ahtS ?? this.defaults.ahtS;
    if (!(ahtS > 0)) throw new TidalError('ahtS must be > 0');
    if (req.patienceS !== undefined && !(req.patienceS > 0)) throw new TidalError('patienceS must be > 0');
    const targets: StaffingTargets = { ...DEFAULT_TARGETS, ...req.targets };
    const tp = validateTargets(targets);
    if (tp.length) throw new TidalError(tp.join('; '));
    let options: PlanOptions;
    try {
      options = resolveOptions(req.options);
    } catch (e) {
      throw new TidalError((e as Error).message);
    }
    const existing = await this.store.getPlan(req.date);
    if (existing) {
      const done = await this.store.done(req.date);
      if (Object.values(done).some((d) => d.outcome !== 'skipped'))
        throw new TidalError(
          `the plan of ${req.date} is being carried out; change its moves or cancel it instead of replacing it`,
          409,
        );
    }
    const line = req.line ?? this.defaults.line;
    const { series, calendar } = await this.history(line, req.date);
    const model = this.chooseModel(series, calendar, req.model);
    const fc = forecastNextDay(model, series, calendar);
    const need = seatsNeeded(fc, {
      quantile,
      ahtS,
      ...(req.patienceS === undefined ? {} : { patienceS: req.patienceS }),
      targets,
    });
    const roster = await this.store.roster();
    const dayStart = localMidnight(req.date);
    const core = planTidal({
      date: req.date,
      dayStart,
      intervalMin: fc.intervalMin,
      need: need.seats,
      roster,
      options,
      // A day already over is planned as a what-if, as if the day before (nothing can be announced late).
      now: req.now >= dayStart + DAY_MS ? dayStart - DAY_MS : req.now,
      ...(req.skillMix ? { skillMix: req.skillMix } : {}),
    });
    if (
      core.capSeats === 0 &&
      core.uncovered.some((u) => u > 0) &&
      roster.some((a) => a.homePool === 'back')
    ) {
      const least = Math.ceil((100 * 1) / Math.max(1, core.totalSeats));
      throw new TidalError(
        `上限为 0 席 the cap allows no seat: ${Math.round(options.capShare * 100)} % of ${core.totalSeats} seats rounds down to 0 while the front line is short; give a cap of at least ${least} % or cap seats ≥ 1`,
        400,
      );
    }
    const plan: TidalPlan = {
      ...core,
      status: 'draft',
      version: (existing?.version ?? 0) + 1,
      createdAt: req.now,
      createdBy: req.by,
      forecast: {
        model: fc.model,
        line,
        quantile,
        mean: fc.mean.map(round2),
        atQuantile: need.calls.map(round2),
        ...(fc.bands[0]
          ? { lower80: fc.bands[0].lower.map(round2), upper80: fc.bands[0].upper.map(round2) }
          : {}),
        ahtS,
        ...(req.patienceS === undefined ? {} : { patienceS: req.patienceS }),
      },
    };
    await this.store.putPlan(plan, existing?.version ?? 0);
    await this.audit(plan.date, req.by, 'plan-created', req.now, {
      detail: `v${plan.version}: ${plan.moves.length} moves, model ${fc.model}, quantile ${quantile}`,
    });
    return plan;
  }

  private async history(
    line: string,
    date: string,
  ): Promise<{ series: IntervalSeries; calendar: DayCalendar }> {
    const store = new HistoryStore(this.redis, this.prefix, line);
    const target = parseDate(date)!;
    let series: IntervalSeries;
    try {
      series = await store.load(undefined, date);
    } catch (e) {
      throw new TidalError(
        `line ${line}: ${(e as Error).message}; import it with "hotline history import"`,
        400,
      );
    }
    if (!series.values.length) throw new TidalError(`line ${line} has no history before ${date}`);
    const day = dayIndexOf(series, target);
    if (day < 1) throw new TidalError(`line ${line} has no history before ${date}`);
    checkCoverage(series, day, line, date);
    // History up to the day before; days missing since are unknown, not zero.
    if (day > dayCount(series)) {
      const n = 1440 / series.intervalMin;
      const values = new Float64Array(day * n).fill(NaN);
      values.set(series.values);
      series = { ...series, values };
    }
    series = historyBefore(series, day);
    if (day > HISTORY_DAYS) series = sliceDays(series, day - HISTORY_DAYS, day);
    const calendar = new DayCalendar(await new OverrideStore(this.redis, this.prefix, line).list());
    return { series, calendar };
  }

  private chooseModel(series: IntervalSeries, calendar: DayCalendar, name?: string): ForecastModel {
    if (name) {
      const m = modelByName(name);
      if (!m)
        throw new TidalError(
          `unknown model "${name}"; models: ${STANDARD_MODELS.map((x) => x.name).join(', ')}`,
        );
      return m;
    }
    try {
      const r = backtest(series, STANDARD_MODELS, { calendar });
      return modelByName(r.chosen)!;
    } catch {
      const days = dayCount(series);
      const fit = [...STANDARD_MODELS].reverse().find((m) => m.minHistoryDays <= days);
      if (!fit) throw new TidalError(`${days} days of history are too few to forecast from`);
      return fit;
    }
  }

  // ---- approving, changing, cancelling ----
  async approve(
    date: string,
    version: number,
    by: string,
    now: number,
  ): Promise<{ plan: TidalPlan; late: string[] }> {
    const plan = await this.getPlan(date);
    this.checkVersion(plan, version);
    if (plan.status !== 'draft') throw new TidalError(`the plan of ${date} is ${plan.status}`, 409);
    const over = now >= plan.dayStart + DAY_MS;
    const late = plan.moves
      .filter((m) => !over && !m.cancelled && m.kind === 'planned' && m.announceAt < now)
      .map(
        (m) => `${m.id} (${m.agentId}) is announced ${Math.round((now - m.announceAt) / MINUTE_MS)} min late`,
      );
    const next: TidalPlan = {
      ...plan,
      status: 'approved',
      version: version + 1,
      approvedAt: now,
      approvedBy: by,
    };
    await this.save(next, version);
    await this.audit(date, by, 'plan-approved', now, {
      detail: `v${next.version}${late.length ? `; ${late.join('; ')}` : ''}`,
    });
    return { plan: next, late };
  }

  async cancel(date: string, version: number, by: string, now: number): Promise<TidalPlan> {
    const plan = await this.getPlan(date);
    this.checkVersion(plan, version);
    if (plan.status === 'cancelled') throw new TidalError(`the plan of ${date} is already cancelled`, 409);
    const moves = plan.moves.map((m) => {
      if (m.cancelled || m.returnAt <= now) return m;
      if (m.effectiveAt > now) return { ...m, cancelled: true };
      return { ...m, returnAt: now };
    });
    const next = refreshCounts({
      ...plan,
      moves,
      status: 'cancelled' as const,
      version: version + 1,
      cancelledAt: now,
      cancelledBy: by,
    });
    await this.save(next, version);
    await this.audit(date, by, 'plan-cancelled', now, { detail: `v${next.version}` });
    return next;
  }

  async changeMove(
    date: string,
    version: number,
    moveId: string,
    change: MoveChange,
    by: string,
    now: number,
  ): Promise<TidalPlan> {
    const plan = await this.getPlan(date);
    this.checkVersion(plan, version);
    const idx = plan.moves.findIndex((m) => m.id === moveId);
    const m = plan.moves[idx];
    if (!m) throw new TidalError(`the plan of ${date} has no move ${moveId}`, 404);
    if (m.cancelled) throw new TidalError(`move ${moveId} is cancelled`, 409);
    if (m.returnAt <= now) throw new TidalError(`move ${moveId} is over`, 409);
    const started = m.effectiveAt <= now;
    const noticeMs = plan.options.noticeMin * MINUTE_MS;
    let next: TidalMove = { ...m };
    const what: string[] = [];
    if (change.cancel) {
      if (started) {
        next.returnAt = now;
        what.push('ended now');
      } else {
        next.cancelled = true;
        what.push('cancelled');
      }
    } else {
      if (change.agentId !== undefined && change.agentId !== m.agentId) {
        if (started) throw new TidalError(`move ${moveId} has begun; its agent cannot change`, 409);
        next.agentId = change.agentId;
        next.announceAt = Math.max(now, next.effectiveAt - noticeMs);
        what.push(`agent ${m.agentId} → ${change.agentId}`);
      }
      if (change.effectiveAt !== undefined && change.effectiveAt !== m.effectiveAt) {
        if (started) throw new TidalError(`move ${moveId} has begun; its start cannot change`, 409);
        next.effectiveAt = change.effectiveAt;
        next.announceAt = Math.max(now, change.effectiveAt - noticeMs);
        what.push(`from ${change.effectiveAt}`);
      }
      if (change.returnAt !== undefined && change.returnAt !== m.returnAt) {
        if (change.returnAt < now) throw new TidalError('the return cannot be in the past');
        next.returnAt = change.returnAt;
        what.push(`to ${change.returnAt}`);
      }
      if (!what.length) throw new TidalError('nothing to change');
      if (!started && next.effectiveAt - noticeMs < now && m.kind !== 'emergency' && !change.force)
        throw new TidalError(
          `the move would begin less than the notice of ${plan.options.noticeMin} min from now (force to allow)`,
        );
      next = { ...next, kind: m.kind === 'planned' ? 'manual' : m.kind };
    }
    const moves = [...plan.moves];
    moves[idx] = next;
    const candidate = refreshCounts({ ...plan, moves, version: version + 1 });
    if (!change.cancel) {
      const problems = checkMoves(candidate, await this.store.roster()).filter((p) => p.includes(moveId));
      if (problems.length && !change.force)
        throw new TidalError(
          `the change breaks the rules: ${problems.join('; ')} (force to allow)`,
          400,
          problems,
        );
    }
    await this.save(candidate, version);
    await this.audit(date, by, 'move-changed', now, {
      agentId: next.agentId,
      moveId,
      detail: what.join(', '),
    });
    return candidate;
  }

  async addMove(
    date: string,
    version: number,
    req: { agentId: string; effectiveAt: number; returnAt: number; force?: boolean; note?: string },
    by: string,
    now: number,
  ): Promise<TidalPlan> {
    const plan = await this.getPlan(date);
    this.checkVersion(plan, version);
    if (plan.status === 'cancelled') throw new TidalError(`the plan of ${date} is cancelled`, 409);
    const noticeMs = plan.options.noticeMin * MINUTE_MS;
    if (req.effectiveAt < now) throw new TidalError('a move cannot begin in the past; use an emergency move');
    if (req.effectiveAt - noticeMs < now && !req.force)
      throw new TidalError(
        `the move would begin less than the notice of ${plan.options.noticeMin} min from now (force to allow, or an emergency move)`,
      );
    const roster = await this.store.roster();
    const agent = roster.find((a) => a.id === req.agentId);
    const k = plan.moves.filter((m) => m.kind === 'manual').length + 1;
    const move: TidalMove = {
      id: `m${k}`,
      agentId: req.agentId,
      kind: 'manual',
      announceAt: Math.max(now, req.effectiveAt - noticeMs),
      effectiveAt: req.effectiveAt,
      returnAt: req.returnAt,
      fit: agent ? Math.round(skillFit(agent.frontSkills, { general: 1 }) * 1000) / 1000 : 0,
      ...(req.note ? { note: req.note } : {}),
    };
    const candidate = refreshCounts({ ...plan, moves: [...plan.moves, move], version: version + 1 });
    const problems = checkMoves(candidate, roster).filter((p) => p.includes(move.id));
    if (problems.length && !req.force)
      throw new TidalError(
        `the move breaks the rules: ${problems.join('; ')} (force to allow)`,
        400,
        problems,
      );
    await this.save(candidate, version);
    await this.audit(date, by, 'move-added', now, { agentId: req.agentId, moveId: move.id });
    return candidate;
  }

  /** Moves seats to the front line at once, into today's plan (made if there is none). */
  async emergency(
    req: EmergencyRequest,
    by: string,
    now: number,
  ): Promise<{ plan: TidalPlan; moves: TidalMove[]; problems: string[] }> {
    const date = localDate(now);
    const roster = await this.store.roster();
    for (let attempt = 0; ; attempt++) {
      const existing = await this.store.getPlan(date);
      const plan = existing ?? this.emptyPlan(date, roster, now, by);
      const { moves, problems } = emergencyMoves(plan, roster, now, req);
      if (!moves.length)
        throw new TidalError(`no seat could be moved: ${problems.join('; ')}`, 409, problems);
      const next = refreshCounts({
        ...plan,
        moves: [...plan.moves, ...moves],
        version: (existing?.version ?? 0) + 1,
      });
      try {
        await this.store.putPlan(next, existing?.version ?? 0);
      } catch (e) {
        if (e instanceof VersionConflict && attempt < 3) continue;
        throw e;
      }
      await this.audit(date, by, 'emergency', now, {
        detail: `${moves.map((m) => `${m.id} ${m.agentId}`).join(', ')} until ${new Date(moves[0]!.returnAt).toISOString()}${req.note ? `: ${req.note}` : ''}`,
      });
      return { plan: next, moves, problems };
    }
  }

  private emptyPlan(date: string, roster: TidalAgent[], now: number, by: string): TidalPlan {
    const options = resolveOptions();
    const intervalMin = 15;
    const n = 1440 / intervalMin;
    return {
      date,
      dayStart: localMidnight(date),
      intervalMin,
      options,
      totalSeats: roster.length,
      capSeats: capFor(options, roster.length),
      need: new Array<number>(n).fill(0),
      base: baseSeats(roster, intervalMin, n),
      moved: new Array<number>(n).fill(0),
      uncovered: new Array<number>(n).fill(0),
      moves: [],
      status: 'draft',
      version: 0,
      createdAt: now,
      createdBy: by,
    };
  }

  // ---- roster ----
  async putRosterAgent(a: TidalAgent, by: string, now: number): Promise<void> {
    const problems: string[] = [];
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(a.id)) problems.push('id: letters, digits, _ or -, at most 32');
    if (a.homePool !== 'front' && a.homePool !== 'back') problems.push('homePool must be front or back');
    if (a.shift !== undefined && !/^\d{1,2}:\d{2}-\d{1,2}:\d{2}$/.test(a.shift))
      problems.push('shift: HH:MM-HH:MM');
    if (problems.length) throw new TidalError(problems.join('; '), 400, problems);
    const old = await this.store.rosterAgent(a.id);
    await this.store.putRosterAgent({
      ...a,
      ...(old?.lastMovedAt !== undefined ? { lastMovedAt: old.lastMovedAt } : {}),
    });
    await this.audit(localDate(now), by, 'roster-changed', now, { agentId: a.id, detail: JSON.stringify(a) });
  }

  async status(now: number): Promise<{
    now: number;
    date: string;
    leader: { instance: string | null; fence: number; leaseMs: number };
    plan: { status: string; version: number; moves: MoveStatus[] } | null;
    onFront: string[];
  }> {
    const date = localDate(now);
    const [plan, yesterday] = await Promise.all([
      this.store.getPlan(date),
      this.store.getPlan(localDate(now - 86_400_000)),
    ]);
    // A move made late yesterday (an emergency at 23:50 for an hour) keeps its seats on the front after midnight.
    const [moves, before] = await Promise.all([
      plan ? this.moveStatus(plan, now) : [],
      yesterday ? this.moveStatus(yesterday, now) : [],
    ]);
    const onFront = new Set(
      [...before, ...moves].filter((m) => m.state === 'on-front').map((m) => m.agentId),
    );
    return {
      now,
      date,
      leader: await this.store.leader(),
      plan: plan ? { status: plan.status, version: plan.version, moves } : null,
      onFront: [...onFront],
    };
  }

  async audit(
    date: string,
    by: string,
    action: string,
    now: number,
    extra: Partial<AuditEntry> = {},
  ): Promise<void> {
    await this.store.audit({ at: now, date, actor: `operator:${by}`, action, ...extra });
  }

  async done(date: string): Promise<Record<string, DoneRecord>> {
    return this.store.done(date);
  }

  /** Moves in effect at `t` per the plan (not what was carried out). */
  static activeAt(plan: TidalPlan, t: number): TidalMove[] {
    return activeAt(plan.moves, t);
  }

  private checkVersion(plan: TidalPlan, version: number): void {
    if (plan.version !== version)
      throw new TidalError(
        `the plan of ${plan.date} is at version ${plan.version}, not ${version}: reload it and try again`,
        409,
      );
  }

  private async save(plan: TidalPlan, expected: number): Promise<void> {
    try {
      await this.store.putPlan(plan, expected);
    } catch (e) {
      if (e instanceof VersionConflict) throw new TidalError(e.message, 409);
      throw e;
    }
  }
}

function checkDate(date: string): void {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || parseDate(date) === null)
    throw new TidalError(`"${date}" is not a date (YYYY-MM-DD)`);
}

const round2 = (x: number) => Math.round(x * 100) / 100;
