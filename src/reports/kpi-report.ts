// The daily and weekly KPI report per line: the hotline's measures (from the 15-minute rows), survey scores,
// repeat callers and missed callers who were called back (from the call records). Pure: the plugin reads the
// days, this adds them up and writes CSV.
import type { CallRecord } from '../records/call-records.ts';
import type { IntervalRow } from '../records/interval-stats.ts';
import { type Kpis, kpisOf } from '../wallboard/kpis.ts';

export interface ReportLine extends Kpis {
  line: string;
  lineName: string;
  /** Average of every survey answer (speed, resolution, attitude), 1-5. */
  surveyAverage: number | null;
  surveys: number;
  /** Callers who called this line more than once in the period. */
  repeatCallers: number;
  /** Missed-call callbacks placed (callers who hung up unanswered, called back by the router), reached or not. */
  callbacksPlaced: number;
  /** Of those, the callers reached. */
  calledBack: number;
}

export interface KpiReport {
  kind: 'daily' | 'weekly';
  from: string;
  to: string;
  days: string[];
  lines: ReportLine[];
}

export function kpiReport(input: {
  kind: 'daily' | 'weekly';
  days: string[];
  rows: IntervalRow[];
  records: CallRecord[];
  lineNames: Map<string, string>;
}): KpiReport {
  const lines = [...new Set([...input.rows.map((r) => r.line), ...input.records.map((r) => r.line)])].sort();
  const out: ReportLine[] = [];
  const build = (line: string | null): ReportLine => {
    const rows = input.rows.filter((r) => line === null || r.line === line);
    const recs = input.records.filter((r) => line === null || r.line === line);
    let sum = 0;
    let n = 0;
    let surveys = 0;
    for (const r of recs) {
      const vals = Object.values(r.survey ?? {}).filter((v): v is number => typeof v === 'number');
      if (vals.length) surveys++;
      for (const v of vals) {
        sum += v;
        n++;
      }
    }
    const byCaller = new Map<string, number>();
    for (const r of recs)
      if (r.caller && !r.missedCallback) byCaller.set(r.caller, (byCaller.get(r.caller) ?? 0) + 1);
    return {
      line: line ?? '合计',
      lineName: line === null ? '全部线路' : (input.lineNames.get(line) ?? line),
      ...kpisOf(rows),
      surveyAverage: n ? Math.round((sum / n) * 100) / 100 : null,
      surveys,
      repeatCallers: [...byCaller.values()].filter((c) => c > 1).length,
      callbacksPlaced: recs.filter((r) => r.missedCallback).length,
      calledBack: recs.filter((r) => r.missedCallback && r.outcome === 'answered').length,
    };
  };
  for (const l of lines) out.push(build(l));
  out.push(build(null));
  return {
    kind: input.kind,
    from: input.days[0]!,
    to: input.days[input.days.length - 1]!,
    days: input.days,
    lines: out,
  };
}

const COLUMNS: Array<[keyof ReportLine, string]> = [
  ['line', '线路号码'],
  ['lineName', '线路'],
  ['offered', '来电量'],
  ['answered', '接通量'],
  ['abandoned', '放弃量'],
  ['answerRate', '接通率'],
  ['serviceLevel', '15秒内接通率'],
  ['asaS', '平均应答时长(秒)'],
  ['ahtS', '平均通话时长(秒)'],
  ['abandonRate', '放弃率'],
  ['careAvgWaitS', '关爱来电平均等待(秒)'],
  ['careCalls', '关爱来电量'],
  ['surveyAverage', '满意度均分'],
  ['surveys', '评价数'],
  ['repeatCallers', '重复来电人数'],
  ['callbacksPlaced', '漏接回拨数'],
  ['calledBack', '漏接回拨接通数'],
];

/** CSV (RFC 4180), a header row in Chinese; spreadsheet formulas in cells are defused. */
export function reportCsv(r: KpiReport): string {
  const cell = (v: unknown) => {
    let s = v === null || v === undefined ? '' : String(v);
    if (/^[=+\-@]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const head = ['报表', '起', '止', ...COLUMNS.map(([, h]) => h)];
  const kind = r.kind === 'daily' ? '日报' : '周报';
  const rows = r.lines.map((l) => [kind, r.from, r.to, ...COLUMNS.map(([k]) => l[k])].map(cell).join(','));
  return `${[head.map(cell).join(','), ...rows].join('\r\n')}\r\n`;
}

/** The 7 days (Monday to Sunday) of the week that holds `day` (YYYY-MM-DD). */
export function weekOf(day: string): string[] {
  const d = new Date(`${day}T00:00:00Z`);
  const monday = d.getTime() - ((d.getUTCDay() + 6) % 7) * 86_400_000;
  return Array.from({ length: 7 }, (_, i) => new Date(monday + i * 86_400_000).toISOString().slice(0, 10));
}
