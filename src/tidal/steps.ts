// What the scheduler does for each move of a plan, and when: the notice at the announcement (the
// lead time before, for the hand-over), a reminder shortly before, the move itself (with a notice),
// a reminder before the return, and the return (with a notice). Pure: the scheduler and the admin
// API's status both list the same steps.
import { localHhmm, MINUTE_MS } from './time.ts';
import type { TidalMove, TidalPlan } from './types.ts';

export type StepKind = 'announce' | 'remind' | 'move' | 'remind-return' | 'return';

export interface Step {
  /** Stable id: notices carry the time they announce, so a changed time is announced again. */
  id: string;
  kind: StepKind;
  at: number;
  move: TidalMove;
}

export function stepsOf(plan: Pick<TidalPlan, 'moves' | 'options'>): Step[] {
  const remindMs = plan.options.noticeMin * MINUTE_MS;
  const out: Step[] = [];
  for (const m of plan.moves) {
    if (m.kind !== 'emergency') {
      out.push({ id: `${m.id}:announce:${m.effectiveAt}`, kind: 'announce', at: m.announceAt, move: m });
      if (remindMs > 0 && m.effectiveAt - remindMs > m.announceAt)
        out.push({
          id: `${m.id}:remind:${m.effectiveAt}`,
          kind: 'remind',
          at: m.effectiveAt - remindMs,
          move: m,
        });
    }
    out.push({ id: `${m.id}:move`, kind: 'move', at: m.effectiveAt, move: m });
    if (remindMs > 0 && m.returnAt - remindMs > m.effectiveAt)
      out.push({
        id: `${m.id}:remind-return:${m.returnAt}`,
        kind: 'remind-return',
        at: m.returnAt - remindMs,
        move: m,
      });
    out.push({ id: `${m.id}:return`, kind: 'return', at: m.returnAt, move: m });
  }
  const order: Record<StepKind, number> = { return: 0, 'remind-return': 1, announce: 2, remind: 3, move: 4 };
  return out.sort((a, b) => a.at - b.at || order[a.kind] - order[b.kind] || a.id.localeCompare(b.id));
}

const POOL_LABEL: Record<string, string> = { front: '一线接听', back: '二线工单处理' };

/** The Chinese text of a step's notice. */
export function noticeText(step: Step, now: number): string {
  const m = step.move;
  const from = localHhmm(m.effectiveAt);
  const to = localHhmm(m.returnAt);
  const mins = (t: number) => Math.max(1, Math.round((t - now) / MINUTE_MS));
  switch (step.kind) {
    case 'announce':
      return `潮汐排班：您将于 ${from} 转到${POOL_LABEL.front}（${from}–${to}），请现在开始交接二线工单。`;
    case 'remind':
      return `潮汐排班提醒：${mins(m.effectiveAt)} 分钟后（${from}）转到${POOL_LABEL.front}。`;
    case 'move':
      return m.kind === 'emergency'
        ? `紧急潮汐调度：现在转到${POOL_LABEL.front}，至 ${to}。`
        : `潮汐排班：现在转到${POOL_LABEL.front}，至 ${to}。`;
    case 'remind-return':
      return `潮汐排班提醒：${mins(m.returnAt)} 分钟后（${to}）回到${POOL_LABEL.back}。`;
    case 'return':
      return `潮汐排班：现在回到${POOL_LABEL.back}，辛苦了。`;
  }
}
