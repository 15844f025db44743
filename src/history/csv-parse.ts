// Reads call-volume history from CSV text, without touching Redis or files, so tests, the backtest
// and the importer share one reading of the format. Two layouts are accepted:
//   interval counts  `start,calls` — one row per interval, interval inferred from the rows;
//   call records     any columns including `arrived_at` — one row per call, bucketed here.
// Every rejected row is reported with its 1-based line number, because operators fix files in an
// editor and the line is what they can find.
import { type IntervalSeries, seriesFromPoints } from './series.ts';
import { inferIntervalMinutes, IntervalError, isSupportedInterval } from './interval-inference.ts';
import { formatLocalTime, minuteOfDay, MINUTE_MS, parseLocalTime, startOfDay } from './local-time.ts';
import { bucketArrivals } from './call-bucketing.ts';

export class HistoryCsvError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'HistoryCsvError';
  }
}

export interface ParseOptions {
  /** Column holding each call's arrival time in call-level files (default `arrived_at`). */
  arrivalColumn?: string;
  /** Interval to bucket call-level files into, or to require of count files (minutes). */
  intervalMin?: number;
  /** Called now and then with the share of the text read so far (0..1). */
  onProgress?: (fraction: number) => void;
}

export interface ParsedHistory {
  kind: 'counts' | 'calls';
  series: IntervalSeries;
  /** Data rows read (intervals or calls). */
  rows: number;
  /** Calls in the file. */
  totalCalls: number;
}

const PROGRESS_EVERY = 5000;

function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',').map((c) => c.trim());
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

interface Row {
  line: number;
  cells: string[];
}

/** Yields the non-blank data rows with their line numbers; the header is returned separately. */
function readRows(text: string, onProgress?: (f: number) => void): { header: string[]; rows: Row[] } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split(/\r?\n/);
  let h = 0;
  while (h < lines.length && lines[h]!.trim() === '') h++;
  if (h >= lines.length)
    throw new HistoryCsvError('the file is empty: expected a header such as "start,calls"');
  const header = splitCsvLine(lines[h]!).map((c) => c.toLowerCase());
  const rows: Row[] = [];
  for (let i = h + 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    rows.push({ line: i + 1, cells: splitCsvLine(raw) });
    if (onProgress && i % PROGRESS_EVERY === 0) onProgress(i / lines.length);
  }
  return { header, rows };
}

const EXAMPLE_TIME = '2024-03-01T08:15:00';

function parseTimeCell(text: string | undefined, what: string, line: number): number {
  const t = text === undefined || text === '' ? null : parseLocalTime(text);
  if (t === null)
    throw new HistoryCsvError(
      `${what} ${JSON.stringify(text ?? '')} is not an ISO 8601 local time such as ${EXAMPLE_TIME}`,
      line,
    );
  return t;
}

function parseCounts(header: string[], rows: Row[], opts: ParseOptions): ParsedHistory {
  const iStart = header.indexOf('start');
  const iCalls = header.indexOf('calls');
  const points: Array<{ time: number; calls: number }> = [];
  const seen = new Map<number, number>();
  let total = 0;
  for (const { line, cells } of rows) {
    if (cells.length !== header.length)
      throw new HistoryCsvError(
        `expected ${header.length} columns (${header.join(',')}), found ${cells.length}`,
        line,
      );
    const time = parseTimeCell(cells[iStart], 'start', line);
    const text = cells[iCalls] ?? '';
    const calls = text === '' ? NaN : Number(text);
    if (!Number.isFinite(calls) || calls < 0)
      throw new HistoryCsvError(`calls ${JSON.stringify(text)} is not a non-negative number`, line);
    const earlier = seen.get(time);
    if (earlier !== undefined)
      throw new HistoryCsvError(`start ${formatLocalTime(time)} repeats line ${earlier}`, line);
    seen.set(time, line);
    points.push({ time, calls });
    total += calls;
  }
  if (!points.length) throw new HistoryCsvError('no data rows after the header');
  let intervalMin: number;
  try {
    intervalMin = opts.intervalMin ?? inferIntervalMinutes(points.map((p) => p.time));
  } catch (e) {
    if (e instanceof IntervalError) throw new HistoryCsvError(e.message);
    throw e;
  }
  if (!isSupportedInterval(intervalMin))
    throw new HistoryCsvError(`interval ${intervalMin} minutes is not 5 to 60 minutes dividing a day evenly`);
  for (const [time, line] of seen) {
    if ((time - startOfDay(time)) % (intervalMin * MINUTE_MS) !== 0)
      throw new HistoryCsvError(
        `start ${formatLocalTime(time)} is not on the ${intervalMin}-minute grid ` +
          `(minute ${minuteOfDay(time)} of the day; intervals start at midnight)`,
        line,
      );
  }
  return {
    kind: 'counts',
    series: seriesFromPoints(points, intervalMin),
    rows: points.length,
    totalCalls: total,
  };
}

function parseCalls(header: string[], rows: Row[], column: string, opts: ParseOptions): ParsedHistory {
  const iArrived = header.indexOf(column);
  const times: number[] = [];
  for (const { line, cells } of rows) {
    if (cells.length !== header.length)
      throw new HistoryCsvError(`expected ${header.length} columns, found ${cells.length}`, line);
    times.push(parseTimeCell(cells[iArrived], column, line));
  }
  if (!times.length) throw new HistoryCsvError('no data rows after the header');
  const intervalMin = opts.intervalMin ?? 15;
  if (!isSupportedInterval(intervalMin))
    throw new HistoryCsvError(`interval ${intervalMin} minutes is not 5 to 60 minutes dividing a day evenly`);
  return {
    kind: 'calls',
    series: bucketArrivals(times, intervalMin),
    rows: times.length,
    totalCalls: times.length,
  };
}

/** Parses a history CSV (interval counts or call records) into a series. */
export function parseHistoryCsv(text: string, opts: ParseOptions = {}): ParsedHistory {
  const { header, rows } = readRows(text, opts.onProgress);
  const arrival = (opts.arrivalColumn ?? 'arrived_at').toLowerCase();
  let parsed: ParsedHistory;
  if (header.includes(arrival)) parsed = parseCalls(header, rows, arrival, opts);
  else if (header.includes('start') && header.includes('calls')) parsed = parseCounts(header, rows, opts);
  else
    throw new HistoryCsvError(
      `header ${JSON.stringify(header.join(','))} has neither "start,calls" (interval counts) ` +
        `nor "${arrival}" (one row per call)`,
      1,
    );
  opts.onProgress?.(1);
  return parsed;
}
