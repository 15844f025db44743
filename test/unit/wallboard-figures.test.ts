// The wallboard's figures and the KPI report from hand-made rows and records: measures over today, this interval
// and the last 24 hours; alarms when a target is at risk or nobody is on duty; CSV that a spreadsheet cannot run.
import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/records/call-records.ts';
import { intervalOf, type IntervalRow } from '../../src/records/interval-stats.ts';
import { kpiReport, reportCsv, weekOf } from '../../src/reports/kpi-report.ts';
import { wallboard } from '../../src/wallboard/figures.ts';

function row(
  interval: string,
  offered: number,
  answered: number,
  extra: Partial<IntervalRow> = {},
): IntervalRow {
  return {
    interval,
    line: '12345',
    priority: 'normal',
    skill: 'general',
    offered,
    answered,
    abandoned: offered - answered,
    shortAbandoned: 0,
    answeredInSL: answered,
    asaS: null,
    ahtS: null,
    answerRate: null,
    serviceLevel: null,
    careAvgWaitS: null,
    waitMs: answered * 5000,
    handleMs: answered * 120_000,
    careWaitMs: 0,
    careWaited: 0,
    ...extra,
  };
}

const NOW = Date.parse('2026-12-03T02:07:00Z'); // 10:07 China time
const idle = { care: 0, enterprise: 0, normal: 0 };

describe('wallboard figures', () => {
  it('adds up today, this interval and the 24 hours before now', () => {
    expect(intervalOf(NOW)).toBe('10:00');
    const w = wallboard({
      now: NOW,
      today: [row('09:45', 10, 10), row('10:00', 10, 8)],
      // Yesterday before 10:00 is more than 24 hours ago; after it counts.
      yesterday: [row('09:30', 100, 0), row('16:00', 80, 80)],
      queues: [],
      agents: [{ id: 'a1', name: '甲', state: 'ready' }],
      incidents: 0,
    });
    expect(w.kpis.today).toMatchObject({ offered: 20, answered: 18, answerRate: 0.9, asaS: 5 });
    expect(w.kpis.interval).toMatchObject({ offered: 10, answered: 8, answerRate: 0.8 });
    expect(w.kpis.rolling24h).toMatchObject({ offered: 100, answered: 98, answerRate: 0.98 });
    expect(w.alarms.map((a) => a.code)).toEqual(['answer-rate-today', 'answer-rate-interval']);
  });

  it('raises critical alarms first: nobody on duty, a care caller waiting beyond 30 s', () => {
    const w = wallboard({
      now: NOW,
      today: [],
      yesterday: [],
      queues: [
        {
          skill: 'general',
          name: '政务服务便民热线',
          lines: ['12345'],
          waiting: { ...idle, care: 1, normal: 2 },
          oldestQueuedAt: { care: NOW - 41_000, normal: NOW - 12_000 },
        },
      ],
      agents: [{ id: 'a1', name: '甲', state: 'logged_out' }],
      incidents: 0,
    });
    expect(w.queues[0]).toMatchObject({
      waiting: { total: 3 },
      longestWaitS: { care: 41, normal: 12 },
      longestS: 41,
    });
    expect(w.agents.onDuty).toBe(0);
    expect(w.alarms.map((a) => [a.level, a.code])).toEqual([
      ['critical', 'no-one-on-duty'],
      ['critical', 'care-waiting'],
    ]);
    expect(w.alarms[0]!.text).toBe('当前无坐席在岗，3 位来电无人接听');
  });
});

describe('KPI report', () => {
  const rec = (i: number, line: string, caller: string, extra: Partial<CallRecord> = {}): CallRecord => ({
    id: `r${i}`,
    uuid: `u${i}`,
    line,
    mergeMode: 'hub',
    skill: 'general',
    caller,
    dialled: line,
    priority: 'normal',
    ivrPath: [],
    arrivedAt: NOW,
    endedAt: NOW + 1000,
    outcome: 'answered',
    hangupCause: 'NORMAL_CLEARING',
    noAnswerAgents: [],
    instance: 'x',
    ...extra,
  });

  it('per line and in total: surveys, repeat callers, missed callers reached by the callback', () => {
    const r = kpiReport({
      kind: 'daily',
      days: ['2026-12-03'],
      rows: [row('10:00', 4, 3), row('10:15', 2, 2, { line: '12315' })],
      records: [
        rec(1, '12345', '13900000001', { survey: { speed: 5, attitude: 4 } }),
        rec(2, '12345', '13900000001', { outcome: 'abandoned' }),
        rec(3, '12345', '13900000001', { missedCallback: true }),
        rec(5, '12345', '13900000003', { missedCallback: true, outcome: 'callback-failed' }),
        rec(4, '12315', '13900000002', { survey: { resolution: 3 } }),
      ],
      lineNames: new Map([['12345', '政务服务便民热线']]),
    });
    expect(r.lines.map((l) => l.line)).toEqual(['12315', '12345', '合计']);
    expect(r.lines[1]).toMatchObject({
      lineName: '政务服务便民热线',
      offered: 4,
      answered: 3,
      surveyAverage: 4.5,
      repeatCallers: 1,
      callbacksPlaced: 2,
      calledBack: 1,
    });
    expect(r.lines[2]).toMatchObject({ offered: 6, answered: 5, surveyAverage: 4, surveys: 2 });
    const csv = reportCsv({ ...r, lines: [{ ...r.lines[0]!, lineName: '=HYPERLINK("x")' }] });
    expect(csv.split('\r\n')[0]).toContain('接通率');
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
  });

  it('weeks run Monday to Sunday', () => {
    expect(weekOf('2026-12-03')).toEqual([
      '2026-11-30',
      '2026-12-01',
      '2026-12-02',
      '2026-12-03',
      '2026-12-04',
      '2026-12-05',
      '2026-12-06',
    ]);
  });
});
