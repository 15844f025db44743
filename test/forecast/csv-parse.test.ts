// Reading history files: interval inference, gaps and closed hours, call-level files, and errors
// that name the line to fix.
import { describe, expect, it } from 'vitest';
import { HistoryCsvError, parseHistoryCsv } from '../../src/history/csv-parse.ts';
import { inferIntervalMinutes } from '../../src/history/interval-inference.ts';
import { formatLocalTime, parseLocalTime } from '../../src/history/local-time.ts';
import { dayCount, slotTime } from '../../src/history/series.ts';

/** A counts file for `days` days at `intervalMin`, open 08:00-20:00 only unless `allDay`. */
function countsCsv(
  intervalMin: number,
  days: number,
  opts: { allDay?: boolean; skipDay?: number } = {},
): string {
  const lines = ['start,calls'];
  for (let d = 0; d < days; d++) {
    if (d === opts.skipDay) continue;
    for (let m = 0; m < 1440; m += intervalMin) {
      if (!opts.allDay && (m < 480 || m >= 1200)) continue;
      const t = Date.UTC(2024, 2, 4 + d, 0, m);
      lines.push(`${formatLocalTime(t)},${(m / intervalMin) % 7}`);
    }
  }
  return lines.join('\n') + '\n';
}

const errorOf = (text: string, opts = {}) => {
  try {
    parseHistoryCsv(text, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(HistoryCsvError);
    return (e as Error).message;
  }
  throw new Error('expected the file to be rejected');
};

describe('interval inference', () => {
  it.each([5, 6, 10, 15, 20, 30, 60])('infers %i minutes despite closed hours and a missing day', (iv) => {
    const parsed = parseHistoryCsv(countsCsv(iv, 4, { skipDay: 2 }));
    expect(parsed.series.intervalMin).toBe(iv);
    expect(dayCount(parsed.series)).toBe(4);
  });

  it('leaves gaps and closed hours unknown, not zero', () => {
    const { series } = parseHistoryCsv(countsCsv(15, 3, { skipDay: 1 }));
    const at = (iso: string) => series.values[(parseLocalTime(iso)! - series.start) / 900_000]!;
    expect(at('2024-03-04T03:00')).toBeNaN(); // closed
    expect(at('2024-03-05T09:00')).toBeNaN(); // lost day
    expect(at('2024-03-06T08:15')).toBe(33 % 7);
  });

  it('rejects steps outside 5 to 60 minutes or not dividing a day', () => {
    expect(() => inferIntervalMinutes([0, 7, 14, 21].map((m) => m * 60_000))).toThrow(/7 minutes apart/);
    expect(() => inferIntervalMinutes([0, 120, 240].map((m) => m * 60_000))).toThrow(/120 minutes/);
    expect(() => inferIntervalMinutes([0])).toThrow(/at least two/);
  });
});

describe('counts files', () => {
  it('reads CRLF line ends, a byte-order mark, quoted cells and blank lines', () => {
    const text =
      '\ufeffstart,calls\r\n"2024-03-04T08:00:00",3\r\n\r\n2024-03-04T08:06:00,"4"\r\n2024-03-04 08:12,0\r\n';
    const p = parseHistoryCsv(text);
    expect(p.kind).toBe('counts');
    expect(p.series.intervalMin).toBe(6);
    expect(p.rows).toBe(3);
    expect(p.totalCalls).toBe(7);
    expect(formatLocalTime(slotTime(p.series, 80))).toBe('2024-03-04T08:00:00');
    expect(p.series.values[80]).toBe(3);
  });

  it('names the line of a bad time, a bad count, a repeated row and an off-grid row', () => {
    const head = 'start,calls\n2024-03-04T08:00,1\n2024-03-04T08:15,2\n';
    expect(errorOf(head + '2024-03-04T8:30,3\n')).toMatch(
      /^line 4: start "2024-03-04T8:30" is not an ISO 8601/,
    );
    expect(errorOf(head + '2024-02-30T08:30,3\n')).toMatch(/^line 4: start/);
    expect(errorOf(head + '2024-03-04T08:30,abc\n')).toMatch(
      /^line 4: calls "abc" is not a non-negative number/,
    );
    expect(errorOf(head + '2024-03-04T08:30,-2\n')).toMatch(/^line 4: calls "-2"/);
    expect(errorOf(head + '2024-03-04T08:30\n')).toMatch(/^line 4: expected 2 columns/);
    expect(errorOf(head + '\n2024-03-04T08:15,5\n')).toMatch(
      /^line 5: start 2024-03-04T08:15:00 repeats line 3/,
    );
    expect(errorOf(head + '2024-03-04T08:30,1\n2024-03-04T08:40,1\n')).toMatch(
      /^line 5: start 2024-03-04T08:40:00 is not on the 15-minute grid/,
    );
  });

  it('rejects a file with no usable header or no rows', () => {
    expect(errorOf('')).toMatch(/empty/);
    expect(errorOf('time,count\n2024-03-04T08:00,1\n')).toMatch(/^line 1: header "time,count"/);
    expect(errorOf('start,calls\n')).toMatch(/no data rows/);
  });
});

describe('call-level files', () => {
  const calls = [
    'call_id,arrived_at,outcome',
    '1,2024-03-04T08:01:10,answered',
    '2,2024-03-04T08:14:59,abandoned',
    '3,2024-03-04T08:15:00,answered',
    '4,2024-03-05T23:59:59.5,answered',
  ].join('\n');

  it('buckets arrivals at 15 minutes by default, counting empty intervals as zero', () => {
    const p = parseHistoryCsv(calls);
    expect(p.kind).toBe('calls');
    expect(p.series.intervalMin).toBe(15);
    expect(dayCount(p.series)).toBe(2);
    expect(p.series.values[32]).toBe(2); // 08:00-08:15
    expect(p.series.values[33]).toBe(1);
    expect(p.series.values[0]).toBe(0);
    expect(p.series.values[191]).toBe(1);
    expect(parseHistoryCsv(calls, { intervalMin: 5 }).series.values[96]).toBe(1);
  });

  it('takes another arrival column and names the line of a bad time', () => {
    const p = parseHistoryCsv(calls.replace('arrived_at', 'vru_entry'), { arrivalColumn: 'vru_entry' });
    expect(p.totalCalls).toBe(4);
    expect(errorOf(calls + '\n5,yesterday,answered\n')).toMatch(/^line 6: arrived_at "yesterday"/);
  });
});
