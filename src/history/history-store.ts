// Call-volume history in Redis: one hash per day of interval counts, so an import of a few days
// (yesterday's calls) merges into what is there, and the planner loads any range of days. The
// interval is fixed per line by its first import; finer files are summed into it.
import type { Redis } from 'ioredis';
import { DAY_MS, formatDate, parseDate } from './local-time.ts';
import { aggregate, dayCount, dayStart, dayValues, type IntervalSeries, slotsPerDay } from './series.ts';
import { HistoryKeys } from './history-keys.ts';

export interface HistorySummary {
  line: string;
  intervalMin: number | null;
  days: number;
  from: string | null;
  to: string | null;
  calls: number;
}

const DAYS_PER_BATCH = 14;

const hhmm = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

export class HistoryStore {
  private readonly keys: HistoryKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    readonly line: string,
  ) {
    this.keys = new HistoryKeys(prefix, line);
  }

  async intervalMin(): Promise<number | null> {
    const v = await this.redis.hget(this.keys.meta(), 'intervalMin');
    return v === null ? null : Number(v);
  }

  /** Stores every known interval of `series`; returns the interval it was stored at. */
  async save(input: IntervalSeries, onProgress?: (fraction: number) => void): Promise<number> {
    const stored = await this.intervalMin();
    let series = input;
    if (stored !== null && stored !== input.intervalMin) {
      if (stored % input.intervalMin !== 0)
        throw new Error(
          `line ${this.line} keeps ${stored}-minute history; ${input.intervalMin}-minute counts cannot be summed into it`,
        );
      series = aggregate(input, stored / input.intervalMin);
    }
    const n = slotsPerDay(series);
    const days = dayCount(series);
    let calls = 0;
    for (let first = 0; first < days; first += DAYS_PER_BATCH) {
      const batch = this.redis.multi();
      for (let d = first; d < Math.min(days, first + DAYS_PER_BATCH); d++) {
        const values = dayValues(series, d);
        const fields: Record<string, string> = {};
        let known = 0;
        for (let s = 0; s < n; s++) {
          const v = values[s]!;
          if (Number.isNaN(v)) continue;
          fields[hhmm(s * series.intervalMin)] = String(v);
          known++;
          calls += v;
        }
        if (!known) continue;
        const date = formatDate(dayStart(series, d));
        batch.hset(this.keys.day(date), fields);
        batch.zadd(this.keys.days(), Math.round(dayStart(series, d) / DAY_MS), date);
      }
      await batch.exec();
      onProgress?.(Math.min(1, (first + DAYS_PER_BATCH) / days));
    }
    await this.redis.hset(this.keys.meta(), {
      intervalMin: String(series.intervalMin),
      updatedAt: new Date().toISOString(),
    });
    await this.redis.hincrbyfloat(this.keys.meta(), 'importedCalls', calls);
    return series.intervalMin;
  }

  /** The history between two dates (inclusive, `YYYY-MM-DD`), or all of it. */
  async load(from?: string, to?: string): Promise<IntervalSeries> {
    const intervalMin = await this.intervalMin();
    if (intervalMin === null) throw new Error(`no history stored for line ${this.line}`);
    const score = (date: string | undefined, dflt: string) => {
      if (date === undefined) return dflt;
      const t = parseDate(date);
      if (t === null) throw new Error(`"${date}" is not a date (YYYY-MM-DD)`);
      return String(Math.round(t / DAY_MS));
    };
    const dates = await this.redis.zrangebyscore(this.keys.days(), score(from, '-inf'), score(to, '+inf'));
    if (!dates.length) return { start: 0, intervalMin, values: new Float64Array(0) };
    const start = parseDate(dates[0]!)!;
    const days = Math.round((parseDate(dates[dates.length - 1]!)! - start) / DAY_MS) + 1;
    const n = 1440 / intervalMin;
    const values = new Float64Array(days * n).fill(NaN);
    const pipe = this.redis.pipeline();
    for (const date of dates) pipe.hgetall(this.keys.day(date));
    const replies = (await pipe.exec()) ?? [];
    dates.forEach((date, i) => {
      const [err, hash] = replies[i] ?? [null, {}];
      if (err) throw err;
      const d = Math.round((parseDate(date)! - start) / DAY_MS);
      for (const [field, value] of Object.entries(hash as Record<string, string>)) {
        const [h, m] = field.split(':').map(Number) as [number, number];
        values[d * n + (h * 60 + m) / intervalMin] = Number(value);
      }
    });
    return { start, intervalMin, values };
  }

  async summary(): Promise<HistorySummary> {
    const intervalMin = await this.intervalMin();
    const [first, last, count] = await Promise.all([
      this.redis.zrange(this.keys.days(), '0', '0'),
      this.redis.zrange(this.keys.days(), '-1', '-1'),
      this.redis.zcard(this.keys.days()),
    ]);
    let calls = 0;
    if (count) {
      const s = await this.load();
      for (const v of s.values) if (!Number.isNaN(v)) calls += v;
    }
    return { line: this.line, intervalMin, days: count, from: first[0] ?? null, to: last[0] ?? null, calls };
  }
}
