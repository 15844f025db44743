// A simulated day for people (tables with Chinese and English headings) and for scripts (JSON with
// the same figures, NaN and Infinity as null).
import { PRIORITY_CLASSES, type PriorityClass } from '../acd/types.ts';
import type { Comparison, RunsSummary, VariantSummary } from './compare.ts';
import type { ClassStats, SimResult } from './engine.ts';

const CLASS_LABEL: Record<PriorityClass | 'overall', string> = {
  care: '关爱 care',
  enterprise: '企业 enterprise',
  normal: '普通 normal',
  overall: '合计 overall',
};

const num = (x: number, d: number) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);

export function classJson(s: ClassStats): Record<string, number | null> {
  return {
    offered: s.offered,
    answered: s.answered,
    abandoned: s.abandoned,
    shortAbandoned: s.shortAbandoned,
    fallback: s.fallback,
    unanswered: s.unanswered,
    callbacks: s.callbacks,
    answerRate: num(s.answerRate, 4),
    serviceLevel: num(s.serviceLevel, 4),
    abandonRate: num(s.abandonRate, 4),
    avgWaitS: num(s.avgWaitS, 1),
    p95WaitS: num(s.p95WaitS, 1),
    asaS: num(s.asaS, 1),
  };
}

export function resultJson(r: SimResult, withIntervals = false): Record<string, unknown> {
  return {
    scenario: r.name,
    seed: r.seed,
    calls: r.calls,
    overall: classJson(r.overall),
    byClass: Object.fromEntries(PRIORITY_CLASSES.map((c) => [c, classJson(r.byClass[c])])),
    careAvgWaitS: num(r.careAvgWaitS, 1),
    occupancy: num(r.occupancy, 4),
    frontSeatHours: num(r.frontSeatHours, 2),
    movedSeatHours: num(r.movedSeatHours, 2),
    events: r.events,
    rounds: r.rounds,
    elapsedMs: Math.round(r.elapsedMs),
    ...(withIntervals
      ? {
          intervals: r.intervals.map((i) => ({
            ...i,
            serviceLevel: i.serviceLevel === null ? null : num(i.serviceLevel, 4),
            avgWaitS: i.avgWaitS === null ? null : num(i.avgWaitS, 1),
          })),
        }
      : {}),
  };
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '—');
const secs = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)} s` : '—');

export function classRows(r: SimResult): Array<Record<string, string>> {
  const row = (label: string, s: ClassStats) => ({
    '类别 class': label,
    '来电 offered': String(s.offered),
    '接通率 answer rate': pct(s.answerRate),
    '服务水平 SL': pct(s.serviceLevel),
    '平均等待 avg wait': secs(s.avgWaitS),
    'P95 等待 p95 wait': secs(s.p95WaitS),
    '放弃率 abandoned': pct(s.abandonRate),
  });
  return [
    ...PRIORITY_CLASSES.filter((c) => r.byClass[c].offered > 0).map((c) => row(CLASS_LABEL[c], r.byClass[c])),
    row(CLASS_LABEL.overall, r.overall),
  ];
}

export function comparisonJson(c: Comparison): Record<string, unknown> {
  return {
    scenario: c.scenario,
    seed: c.seed,
    calls: c.calls,
    seatHours: {
      tidal: num(c.seatHours.tidal, 2),
      flat: num(c.seatHours.flat, 2),
      base: num(c.seatHours.base, 2),
    },
    moves: c.moves.map((m) => ({ agentId: m.agentId, from: hhmm(m.fromMs), to: hhmm(m.toMs) })),
    flatSeats: c.flatAgents.map((a) => ({ id: a.id, shift: a.shift })),
    variants: {
      tidal: resultJson(c.tidal),
      flat: resultJson(c.flat),
      base: resultJson(c.base),
    },
  };
}

/** The side-by-side rows: tidal plan, the same seat-hours without moves, the front line alone. */
export function comparisonRows(c: Comparison): Array<Record<string, string>> {
  const v: Array<[string, SimResult, number]> = [
    ['潮汐计划 tidal plan', c.tidal, c.seatHours.tidal],
    ['同工时无潮汐 same hours, no moves', c.flat, c.seatHours.flat],
    ['仅一线 front line only', c.base, c.seatHours.base],
  ];
  return v.map(([label, r, hours]) => ({
    '方案 variant': label,
    '一线席时 seat-hours': hours.toFixed(1),
    '接通率 answer rate': pct(r.overall.answerRate),
    '服务水平 SL': pct(r.overall.serviceLevel),
    '关爱平均等待 care wait': secs(r.careAvgWaitS),
    '平均等待 avg wait': secs(r.overall.avgWaitS),
    'P95 等待': secs(r.overall.p95WaitS),
    '放弃率 abandoned': pct(r.overall.abandonRate),
    '占用率 occupancy': pct(r.occupancy),
  }));
}

export function hhmm(ms: number): string {
  const m = Math.round(ms / 60_000);
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

export function runsRows(s: RunsSummary): Array<Record<string, string>> {
  const labels: Record<'tidal' | 'flat' | 'base', string> = {
    tidal: '潮汐计划 tidal plan',
    flat: '同工时无潮汐 same hours, no moves',
    base: '仅一线 front line only',
  };
  return (['tidal', 'flat', 'base'] as const).map((k) => {
    const v = s.variants[k];
    return {
      '方案 variant': labels[k],
      '一线席时 seat-hours': v.seatHours.toFixed(1),
      '接通率 answer rate': pct(v.answerRate),
      '服务水平 SL': pct(v.serviceLevel),
      '关爱平均等待 care wait': secs(v.careAvgWaitS),
      '平均等待 avg wait': secs(v.avgWaitS),
      'P95 等待': secs(v.p95WaitS),
      '放弃率 abandoned': pct(v.abandonRate),
      '占用率 occupancy': pct(v.occupancy),
    };
  });
}

export function runsJson(s: RunsSummary): Record<string, unknown> {
  const round = (v: VariantSummary) =>
    Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, num(x, k.endsWith('S') || k === 'seatHours' ? 2 : 4)]),
    );
  return {
    scenario: s.scenario,
    seeds: s.seeds,
    meanCalls: num(s.calls, 1),
    variants: { tidal: round(s.variants.tidal), flat: round(s.variants.flat), base: round(s.variants.base) },
  };
}
