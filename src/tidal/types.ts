// Tidal staffing (潮汐排班): backup seats in the back office (二线, work orders) move to the front line
// (一线, answering calls) when the forecast says the front line will be short, and go back when the
// need has passed. Plain data shared by the planner, the scheduler, the admin API and the simulator.

export type Pool = 'front' | 'back';
export const POOLS: readonly Pool[] = ['front', 'back'];

/** One agent as the tidal planner sees it: where they belong and what they can do in each pool. */
export interface TidalAgent {
  id: string;
  name?: string;
  /** The pool the agent belongs to; only `back` agents are moved. */
  homePool: Pool;
  /** Skills on the front line: `general` plus the agent's specialist lines. */
  frontSkills: Record<string, number>;
  /** Skills in the back office (queues nobody calls, e.g. work orders); front-line agents: unused. */
  backSkills: Record<string, number>;
  /** Local working hours `HH:MM-HH:MM`; absent: all day. */
  shift?: string;
  /** When the agent last moved between pools (epoch ms), across days: who moved least recently goes first. */
  lastMovedAt?: number;
}

export interface PlanOptions {
  /** Seats move to the front line this long before the interval that needs them (minutes). */
  leadMin: number;
  /** At most this share of all seats on tidal moves at any time. */
  capShare: number;
  /** A fixed cap in seats instead of `capShare` of all seats. */
  capSeats?: number;
  /** A move lasts at least this long (minutes). */
  minBlockMin: number;
  /** While the front line is still short, seats are returned only down to its shortfall plus this many. */
  hysteresisSeats: number;
  /** Seats stay while the need comes back within this many minutes (a second move would need the lead again). */
  holdMin: number;
  /** After returning, an agent is not moved again for this long (minutes). */
  restMin: number;
  /** Least skill fit (0-1) for an agent to be chosen. */
  minFit: number;
  /** Notice before a move (hand-over of back-office work) and before the return (minutes). */
  noticeMin: number;
}

export const DEFAULT_PLAN_OPTIONS: PlanOptions = {
  leadMin: 120,
  capShare: 0.1,
  minBlockMin: 60,
  hysteresisSeats: 1,
  holdMin: 120,
  restMin: 120,
  minFit: 0.2,
  noticeMin: 15,
};

export type MoveKind = 'planned' | 'emergency' | 'manual';

/** One agent's stay on the front line. */
export interface TidalMove {
  id: string;
  agentId: string;
  kind: MoveKind;
  /** When the agent is told and starts handing over back-office work (effectiveAt − notice). */
  announceAt: number;
  /** When the agent's pool and skills change to the front line. */
  effectiveAt: number;
  /** When the agent goes back to the back office. */
  returnAt: number;
  /** Skill fit 0-1 for the front line's call mix. */
  fit: number;
  /** Removed by an operator before it began (kept for the record). */
  cancelled?: boolean;
  note?: string;
}

export type PlanStatus = 'draft' | 'approved' | 'cancelled';

/** What the planner computes for a day, interval by interval. */
export interface PlanCore {
  date: string;
  /** Epoch ms of the local midnight. */
  dayStart: number;
  intervalMin: number;
  options: PlanOptions;
  /** All seats (front and back) the cap is a share of. */
  totalSeats: number;
  capSeats: number;
  /** Front-line seats needed per interval (heads, shrinkage included). */
  need: number[];
  /** Front-line agents on shift per interval, before tidal moves. */
  base: number[];
  /** Backup seats on the front line per interval. */
  moved: number[];
  /** Seats short after the moves (cap, nobody free, or too late for the lead time). */
  uncovered: number[];
  moves: TidalMove[];
  /** Every limit that shaped the plan, where and by how much (see PlanLimit); absent in plans made before. */
  limits?: PlanLimit[];
}

/**
 * Why the plan is what it is, one window at a time: the cap held moves back, no backup was free (none on shift
 * long enough, or resting after a return), too late to announce, seats kept for their minimum block or for the
 * hysteresis margin, moves of agents under the skill fit, shifts that ended while the need went on.
 */
export type PlanLimitKind =
  'cap' | 'no-backups' | 'shift' | 'rest' | 'notice' | 'min-block' | 'hysteresis' | 'skill-fit' | 'shift-end';

export interface PlanLimit {
  kind: PlanLimitKind;
  /** Epoch ms of the window (from inclusive, to exclusive). */
  from: number;
  to: number;
  /** Seats the limit held back or kept, at most, within the window. */
  seats: number;
  /** What happened and what would change it, in Chinese then English. */
  text: string;
}

export interface ForecastInfo {
  model: string;
  line: string;
  /** Quantile of the forecast band the need was computed at. */
  quantile: number;
  mean: number[];
  /** Calls at the quantile, per interval. */
  atQuantile: number[];
  lower80?: number[];
  upper80?: number[];
  ahtS: number;
  patienceS?: number;
}

export interface TidalPlan extends PlanCore {
  status: PlanStatus;
  /** Bumped on every change; changes name the version they change (optimistic locking). */
  version: number;
  createdAt: number;
  createdBy: string;
  approvedAt?: number;
  approvedBy?: string;
  cancelledAt?: number;
  cancelledBy?: string;
  forecast?: ForecastInfo;
}
