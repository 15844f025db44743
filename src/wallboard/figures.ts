// What the supervisors' wallboard shows, from what the router knows now: today's, this interval's and the last
// 24 hours' measures, the queues with their longest waits, agents by state and pool, the incident announcements
// callers hear now, and the alarms raised when a target is at risk. Pure and synchronous: the HTTP plugin gathers
// the inputs, a test can pass them in.
import { PRIORITY_CLASSES, type PriorityClass } from '../acd/types.ts';
import type { Incident } from '../ivr/incidents.ts';
import { intervalOf, type IntervalRow } from '../records/interval-stats.ts';
import { type Kpis, kpisOf } from './kpis.ts';

export interface QueueNow {
  skill: string;
  name: string;
  /** The service lines whose callers this queue serves. */
  lines: string[];
  waiting: Record<PriorityClass, number>;
  /** When the longest-waiting caller of each class joined, epoch ms. */
  oldestQueuedAt: Partial<Record<PriorityClass, number>>;
}

export interface AgentNow {
  id: string;
  name: string;
  state: string;
  reason?: string;
  pool?: string;
  callId?: string;
}

export interface Targets {
  /** 接通率 (the hotline's own and GB/T 33358's 24-hour figure). */
  answerRate: number;
  /** Share answered within serviceLevelS. */
  serviceLevel: number;
  serviceLevelS: number;
  /** Care callers' average wait, s. */
  careWaitS: number;
}

export const DEFAULT_TARGETS: Targets = {
  answerRate: 0.95,
  serviceLevel: 0.8,
  serviceLevelS: 15,
  careWaitS: 30,
};

export interface Alarm {
  level: 'critical' | 'warning';
  code: string;
  text: string;
}

export interface Wallboard {
  at: number;
  interval: string;
  kpis: { today: Kpis; interval: Kpis; rolling24h: Kpis };
  queues: Array<{
    skill: string;
    name: string;
    lines: string[];
    waiting: Record<PriorityClass | 'total', number>;
    longestWaitS: Partial<Record<PriorityClass, number>>;
    longestS: number;
  }>;
  agents: {
    onDuty: number;
    byState: Record<string, number>;
    byPool: Record<string, Record<string, number>>;
    list: AgentNow[];
  };
  /** Incident announcements callers hear now. */
  incidents: number;
  /** The same announcements, oldest first: what they say (a supervisor knows why the phones ring). */
  activeIncidents: ActiveIncidentNow[];
  /** Today's IVR funnel per line: callers into the menus, and how they left them. */
  ivr: IvrFunnelLine[];
  alarms: Alarm[];
  targets: Targets;
}

export interface ActiveIncidentNow {
  id: string;
  /** The announcement's text, cut to TITLE_MAX characters. */
  title: string;
  lines: string[];
  endsAt: number;
}

const TITLE_MAX = 60;

/** The announcements within their window at `now`, oldest first, each with its text as its title. */
export function incidentsNow(
  all: ReadonlyArray<Pick<Incident, 'id' | 'lines' | 'prompt' | 'startsAt' | 'endsAt'>>,
  now: number,
): ActiveIncidentNow[] {
  return all
    .filter((i) => now >= i.startsAt && now < i.endsAt)
    .sort((a, b) => a.startsAt - b.startsAt)
    .map((i) => {
      const text = [...i.prompt.text.trim()];
      return {
        id: i.id,
        title: text.length > TITLE_MAX ? `${text.slice(0, TITLE_MAX - 1).join('')}…` : text.join(''),
        lines: [...i.lines],
        endsAt: i.endsAt,
      };
    });
}

export interface IvrFunnelLine {
  line: string;
  entered: number;
  /** Pressed 0 for a human (from any level). */
  zero: number;
  noInput: number;
  invalid: number;
  /** Hung up inside the menus. */
  hungUp: number;
}

/** One line's funnel from its per-node counters (IvrFunnel.read): the busiest node's entries are the callers in. */
export function funnelOf(
  line: string,
  nodes: ReadonlyArray<{ node: string; counts: Record<string, number> }>,
): IvrFunnelLine {
  const sum = (e: string) => nodes.reduce((n, x) => n + (x.counts[e] ?? 0), 0);
  return {
    line,
    entered: Math.max(0, ...nodes.map((x) => x.counts.enter ?? 0)),
    zero: sum('zero'),
    noInput: sum('no-input'),
    invalid: sum('invalid'),
    hungUp: sum('hangup'),
  };
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

export function wallboard(input: {
  now: number;
  today: IntervalRow[];
  yesterday: IntervalRow[];
  queues: QueueNow[];
  agents: AgentNow[];
  /** Incident announcements (any window: those of `now` are shown). */
  incidents: ReadonlyArray<Pick<Incident, 'id' | 'lines' | 'prompt' | 'startsAt' | 'endsAt'>>;
  ivr?: IvrFunnelLine[];
  targets?: Targets;
}): Wallboard {
  const t = input.targets ?? DEFAULT_TARGETS;
  const current = intervalOf(input.now);
  const today = kpisOf(input.today);
  const interval = kpisOf(input.today.filter((r) => r.interval === current));
  // The 24 hours before now: yesterday after this interval, and today.
  const rolling24h = kpisOf([...input.yesterday.filter((r) => r.interval > current), ...input.today]);

  const queues = input.queues.map((q) => {
    const longestWaitS: Partial<Record<PriorityClass, number>> = {};
    for (const c of PRIORITY_CLASSES) {
      const at = q.oldestQueuedAt[c];
      if (at !== undefined && q.waiting[c] > 0)
        longestWaitS[c] = Math.max(0, Math.round((input.now - at) / 1000));
    }
    const total = PRIORITY_CLASSES.reduce((n, c) => n + q.waiting[c], 0);
    return {
      skill: q.skill,
      name: q.name,
      lines: q.lines,
      waiting: { ...q.waiting, total },
      longestWaitS,
      longestS: Math.max(0, ...Object.values(longestWaitS)),
    };
  });

  const byState: Record<string, number> = {};
  const byPool: Record<string, Record<string, number>> = {};
  for (const a of input.agents) {
    byState[a.state] = (byState[a.state] ?? 0) + 1;
    const p = (byPool[a.pool ?? 'front'] ??= {});
    p[a.state] = (p[a.state] ?? 0) + 1;
  }
  const onDuty = input.agents.filter((a) => a.state !== 'logged_out').length;

  const alarms: Alarm[] = [];
  const waitingNow = queues.reduce((n, q) => n + q.waiting.total, 0);
  if (onDuty === 0)
    alarms.push({
      level: 'critical',
      code: 'no-one-on-duty',
      text: waitingNow
        ? `当前无坐席在岗，${waitingNow} 位来电无人接听`
        : '当前无坐席在岗（7×24小时人工服务中断）',
    });
  else if (
    waitingNow &&
    !(byState.ready ?? 0) &&
    !(byState.talking ?? 0) &&
    !(byState.ringing ?? 0) &&
    !(byState.reserved ?? 0)
  )
    alarms.push({
      level: 'critical',
      code: 'no-one-answering',
      text: `${waitingNow} 位来电排队，但无坐席就绪或通话中`,
    });
  for (const q of queues) {
    const care = q.longestWaitS.care ?? 0;
    if (care > t.careWaitS)
      alarms.push({
        level: 'critical',
        code: 'care-waiting',
        text: `${q.name}：关爱来电已等待 ${care} 秒（目标 ≤${t.careWaitS} 秒）`,
      });
    else if (q.longestS > t.serviceLevelS)
      alarms.push({
        level: 'warning',
        code: 'long-wait',
        text: `${q.name}：最长等待 ${q.longestS} 秒，超过 ${t.serviceLevelS} 秒`,
      });
  }
  if (rolling24h.answerRate !== null && rolling24h.offered >= 20 && rolling24h.answerRate < t.answerRate)
    alarms.push({
      level: 'critical',
      code: 'answer-rate-24h',
      text: `24小时接通率 ${pct(rolling24h.answerRate)}，低于 ${pct(t.answerRate)}`,
    });
  if (today.answerRate !== null && today.offered >= 20 && today.answerRate < t.answerRate)
    alarms.push({
      level: 'warning',
      code: 'answer-rate-today',
      text: `今日接通率 ${pct(today.answerRate)}，低于 ${pct(t.answerRate)}`,
    });
  if (interval.answerRate !== null && interval.offered >= 5 && interval.answerRate < t.answerRate)
    alarms.push({
      level: 'warning',
      code: 'answer-rate-interval',
      text: `本时段接通率 ${pct(interval.answerRate)}，低于 ${pct(t.answerRate)}`,
    });
  if (today.serviceLevel !== null && today.offered >= 20 && today.serviceLevel < t.serviceLevel)
    alarms.push({
      level: 'warning',
      code: 'service-level',
      text: `今日${t.serviceLevelS}秒内接通 ${pct(today.serviceLevel)}，低于 ${pct(t.serviceLevel)}`,
    });
  if (today.careAvgWaitS !== null && today.careAvgWaitS > t.careWaitS)
    alarms.push({
      level: 'critical',
      code: 'care-average',
      text: `今日关爱来电平均等待 ${today.careAvgWaitS} 秒，超过 ${t.careWaitS} 秒`,
    });
  alarms.sort((a, b) => (a.level === b.level ? 0 : a.level === 'critical' ? -1 : 1));
  const activeIncidents = incidentsNow(input.incidents, input.now);

  return {
    at: input.now,
    interval: current,
    kpis: { today, interval, rolling24h },
    queues,
    agents: { onDuty, byState, byPool, list: input.agents },
    incidents: activeIncidents.length,
    activeIncidents,
    ivr: (input.ivr ?? []).filter((f) => f.entered > 0),
    alarms,
    targets: t,
  };
}
