// `hotline history import FILE.csv`: load past call volumes into Redis for the forecaster;
// `hotline history show`: what is stored for a line. Also the history-reading helpers that
// `hotline forecast` shares (a CSV file, or a line's history in Redis).
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { HistoryCsvError, type ParsedHistory, parseHistoryCsv } from '../../history/csv-parse.ts';
import { HistoryStore } from '../../history/history-store.ts';
import { formatDate } from '../../history/local-time.ts';
import { progressBar } from '../../history/progress-bar.ts';
import { dayCount, dayStart, type IntervalSeries } from '../../history/series.ts';
import { type Command, type CommandContext, type OptionSpec, UsageError } from '../command.ts';

export const LINE_OPTION: OptionSpec = {
  name: 'line',
  description: 'service line whose history to use (default 12345)',
  takesValue: true,
  default: '12345',
};

export const CSV_OPTIONS: OptionSpec[] = [
  {
    name: 'arrival-column',
    description: 'arrival-time column of one-row-per-call files (default arrived_at)',
    takesValue: true,
  },
  {
    name: 'interval-min',
    description: 'interval to bucket call-level files into (default 15), or to require of count files',
    takesValue: true,
  },
];

export async function withRedis<T>(
  ctx: CommandContext,
  fn: (redis: Redis, prefix: string) => Promise<T>,
): Promise<T> {
  const url = ctx.env.HOTLINE_REDIS_URL || 'redis://127.0.0.1:6379/0';
  const prefix = ctx.env.HOTLINE_REDIS_PREFIX ?? 'hl:';
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => {}); // reported by the failing command instead
  try {
    await redis.connect().catch((e: Error) => {
      throw new Error(`cannot reach Redis at ${url}: ${e.message}`, { cause: e });
    });
    return await fn(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

function intervalOption(ctx: CommandContext): number | undefined {
  const raw = ctx.opts['interval-min'];
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(v))
    throw new UsageError(`--interval-min must be whole minutes`);
  return v;
}

/** Reads and parses a history CSV, with a progress bar on a TTY; errors name the file and line. */
export function readHistoryFile(
  ctx: CommandContext,
  file: string,
  progress?: (f: number) => void,
): ParsedHistory {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      cause: e,
    });
  }
  try {
    const arrivalColumn = ctx.opts['arrival-column'];
    const intervalMin = intervalOption(ctx);
    return parseHistoryCsv(text, {
      ...(typeof arrivalColumn === 'string' ? { arrivalColumn } : {}),
      ...(intervalMin === undefined ? {} : { intervalMin }),
      ...(progress ? { onProgress: progress } : {}),
    });
  } catch (e) {
    if (e instanceof HistoryCsvError) throw new Error(`${file}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** The history named by --history FILE, or else the line's history in Redis. */
export async function loadHistory(ctx: CommandContext): Promise<IntervalSeries> {
  const file = ctx.opts.history;
  if (typeof file === 'string') return readHistoryFile(ctx, file).series;
  return withRedis(ctx, (redis, prefix) => new HistoryStore(redis, prefix, String(ctx.opts.line)).load());
}

export function describeSeries(s: IntervalSeries): { from: string | null; to: string | null; days: number } {
  const days = dayCount(s);
  return days
    ? { from: formatDate(dayStart(s, 0)), to: formatDate(dayStart(s, days - 1)), days }
    : { from: null, to: null, days: 0 };
}

export const historyCommand: Command = {
  name: 'history',
  summary: 'Import past call volumes into Redis (history import FILE.csv) or show what is stored.',
  usage:
    'history import FILE.csv [--line 12345] [--interval-min M] [--arrival-column C] | history show [--line L]',
  options: [LINE_OPTION, ...CSV_OPTIONS],
  async run(ctx) {
    const [sub, file, ...extra] = ctx.args;
    const line = String(ctx.opts.line);
    if (sub === 'show' && !file) {
      const s = await withRedis(ctx, (redis, prefix) => new HistoryStore(redis, prefix, line).summary());
      if (ctx.json) ctx.out(JSON.stringify(s));
      else if (!s.days) ctx.out(`线路 ${line} 没有历史话务 (no history stored for line ${line})\n`);
      else
        ctx.out(
          `线路 line ${s.line}: ${s.days} 天 days, ${s.from} – ${s.to}, ` +
            `${s.intervalMin} 分钟间隔 minute intervals, ${s.calls} 通 calls\n`,
        );
      return 0;
    }
    if (sub !== 'import' || !file || extra.length)
      throw new UsageError('expected "history import FILE.csv" or "history show"');
    const bar = progressBar(process.stderr, `导入 importing ${file}`);
    const parsed = readHistoryFile(ctx, file, (f) => bar.update(f * 0.5));
    const stored = await withRedis(ctx, (redis, prefix) =>
      new HistoryStore(redis, prefix, line).save(parsed.series, (f) => bar.update(0.5 + f * 0.5)),
    );
    bar.done();
    const span = describeSeries(parsed.series);
    const result = {
      ok: true,
      line,
      kind: parsed.kind,
      intervalMin: parsed.series.intervalMin,
      storedIntervalMin: stored,
      rows: parsed.rows,
      calls: parsed.totalCalls,
      ...span,
    };
    if (ctx.json) ctx.out(JSON.stringify(result));
    else
      ctx.out(
        `已导入 imported ${parsed.rows} ${parsed.kind === 'calls' ? '条来电 calls' : '个时段 intervals'} ` +
          `(${parsed.totalCalls} 通 calls, ${span.from} – ${span.to}, ${parsed.series.intervalMin} 分钟 min) ` +
          `into line ${line}, stored at ${stored} min\n`,
      );
    return 0;
  },
};
