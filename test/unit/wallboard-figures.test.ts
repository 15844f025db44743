// The wallboard's figures and the KPI report from hand-made rows and records: measures over today, this interval
// and the last 24 hours; the IVR funnel, agents by pool, incident announcements; alarms when a target is at risk
// or nobody is on duty; CSV that a spreadsheet cannot run.
import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/records/call-records.ts';
import { intervalOf, type IntervalRow } from '../../src/records/interval-stats.ts';
import { kpiReport, reportCsv, weekOf } from '../../src/reports/kpi-report.ts';
import { funnelOf, wallboard } from '../../src/wallboard/figures.ts';

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
      incidents: [],
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
      incidents: [],
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

  const quiet = { now: NOW, today: [], yesterday: [], queues: [], incidents: [] };
  const onDuty = [{ id: 'a1', name: '甲', state: 'ready' }];

  it('shows the IVR funnel per line: callers in, pressed 0, no input, invalid keys, hung up; idle lines left out', () => {
    const f = funnelOf('12345', [
      { node: 'welcome', counts: { enter: 40, zero: 6, 'no-input': 3, invalid: 1, hangup: 2 } },
      { node: 'main', counts: { enter: 25, zero: 4, 'no-input': 1, invalid: 2, hangup: 3 } },
      { node: 'hrss', counts: { enter: 9, hangup: 1 } },
    ]);
    // The busiest node's entries are the callers in (each caller enters several nodes); the rest add up.
    expect(f).toEqual({ line: '12345', entered: 40, zero: 10, noInput: 4, invalid: 3, hungUp: 6 });
    expect(funnelOf('12315', [])).toEqual({
      line: '12315',
      entered: 0,
      zero: 0,
      noInput: 0,
      invalid: 0,
      hungUp: 0,
    });
    const w = wallboard({ ...quiet, agents: onDuty, ivr: [f, funnelOf('12315', [])] });
    expect(w.ivr).toEqual([f]);
  });

  it('counts agents by state and pool: front line, backup seats, and backups the tidal plan moved in', () => {
    const w = wallboard({
      ...quiet,
      agents: [
        { id: 'f1', name: '甲', state: 'ready', pool: 'front' },
        // No pool written yet: a front-line agent.
        { id: 'f2', name: '乙', state: 'talking' },
        { id: 'b1', name: '丙', state: 'not_ready', reason: 'back-office', pool: 'back' },
        // A backup seat the tidal scheduler has moved: its pool is the front line while the move lasts.
        { id: 'b2', name: '丁', state: 'ready', pool: 'front' },
        { id: 'b3', name: '戊', state: 'logged_out', pool: 'back' },
      ],
    });
    expect(w.agents.onDuty).toBe(4);
    expect(w.agents.byState).toEqual({ ready: 2, talking: 1, not_ready: 1, logged_out: 1 });
    expect(w.agents.byPool).toEqual({
      front: { ready: 2, talking: 1 },
      back: { not_ready: 1, logged_out: 1 },
    });
    expect(w.agents.list.find((a) => a.id === 'b2')).toMatchObject({ pool: 'front', state: 'ready' });
    expect(w.alarms).toEqual([]);
  });

  it('lists the incident announcements callers hear now, by title, oldest first', () => {
    const inc = (id: string, text: string, startsAt: number, endsAt: number, lines = ['12319']) => ({
      id,
      lines,
      prompt: { file: `ivr/incidents/${id}.wav`, text },
      startsAt,
      endsAt,
    });
    const long = `全市${'供水管网抢修'.repeat(12)}`;
    const w = wallboard({
      ...quiet,
      agents: onDuty,
      incidents: [
        inc('later', '明日停电检修', NOW + 3600_000, NOW + 7200_000),
        inc('water', '江汉区今日9时至17时计划停水，因此事来电请按1', NOW - 600_000, NOW + 3600_000),
        inc('over', '已结束的公告', NOW - 7200_000, NOW - 3600_000),
        inc('all', long, NOW - 1200_000, NOW + 60_000, ['*']),
        // Ends now: no longer heard.
        inc('edge', '刚结束的公告', NOW - 60_000, NOW),
      ],
    });
    expect(w.incidents).toBe(2);
    expect(w.activeIncidents.map((i) => i.id)).toEqual(['all', 'water']);
    expect(w.activeIncidents[1]).toEqual({
      id: 'water',
      title: '江汉区今日9时至17时计划停水，因此事来电请按1',
      lines: ['12319'],
      endsAt: NOW + 3600_000,
    });
    expect([...w.activeIncidents[0]!.title]).toHaveLength(60);
    expect(w.activeIncidents[0]!.title.endsWith('…')).toBe(true);
    expect(w.activeIncidents[0]!.lines).toEqual(['*']);
  });

  it('warns when fewer than 80% are answered within 15 s today, and when a queue waits beyond 15 s', () => {
    const board = (inSL: number, offered = 20, oldestNormalS = 0) =>
      wallboard({
        ...quiet,
        agents: onDuty,
        today: [row('09:00', offered, offered, { answeredInSL: inSL })],
        queues: [
          {
            skill: 'general',
            name: '政务服务便民热线',
            lines: ['12345'],
            waiting: { ...idle, normal: oldestNormalS ? 1 : 0 },
            oldestQueuedAt: oldestNormalS ? { normal: NOW - oldestNormalS * 1000 } : {},
          },
        ],
      });
    const low = board(15);
    expect(low.kpis.today.serviceLevel).toBe(0.75);
    expect(low.alarms).toEqual([
      { level: 'warning', code: 'service-level', text: '今日15秒内接通 75%，低于 80%' },
    ]);
    // At the target, no alarm; too few calls to judge (fewer than 20), none either.
    expect(board(16).alarms).toEqual([]);
    expect(board(5, 10).alarms).toEqual([]);
    // A caller waiting 16 s: over the 15 s threshold.
    expect(board(16, 20, 16).alarms).toEqual([
      { level: 'warning', code: 'long-wait', text: '政务服务便民热线：最长等待 16 秒，超过 15 秒' },
    ]);
    expect(board(16, 20, 15).alarms).toEqual([]);
  });

  it("raises a critical alarm when care callers' average wait today is over 30 s", () => {
    const board = (careWaitS: number) =>
      wallboard({
        ...quiet,
        agents: onDuty,
        today: [
          row('09:00', 10, 10),
          row('09:15', 2, 2, { priority: 'care', careWaited: 2, careWaitMs: 2 * careWaitS * 1000 }),
        ],
      });
    const late = board(31);
    expect(late.kpis.today).toMatchObject({ careAvgWaitS: 31, careCalls: 2 });
    expect(late.alarms).toEqual([
      { level: 'critical', code: 'care-average', text: '今日关爱来电平均等待 31 秒，超过 30 秒' },
    ]);
    expect(board(30).alarms).toEqual([]);
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
