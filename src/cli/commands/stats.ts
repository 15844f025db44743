// `hotline stats --date D`: the day's 15-minute interval measures, read from Redis.
import { Redis } from 'ioredis';
import { dayOf } from '../../records/day.ts';
import { IntervalStats, type IntervalRow } from '../../records/interval-stats.ts';
import { Keys } from '../../redis/keys.ts';
import { type Command, table } from '../command.ts';

function totals(rows: IntervalRow[]) {
  const sum = (f: keyof IntervalRow) => rows.reduce((n, r) => n + (Number(r[f]) || 0), 0);
  const answered = sum('answered');
  const offered = sum('offered');
  const short = sum('shortAbandoned');
  const weighted = (f: 'asaS' | 'ahtS') =>
    answered
      ? Math.round((rows.reduce((n, r) => n + (r[f] ?? 0) * r.answered, 0) / answered) * 10) / 10
      : null;
  const care = rows.filter((r) => r.priority === 'care' && r.careAvgWaitS !== null);
  const careN = care.reduce((n, r) => n + r.answered + r.abandoned, 0);
  return {
    offered,
    answered,
    abandoned: sum('abandoned'),
    shortAbandoned: short,
    answerRate: offered - short > 0 ? Math.round((answered / (offered - short)) * 10000) / 10000 : null,
    serviceLevel: answered
      ? Math.round((sum('answeredInSL') / (answered + sum('abandoned') - short)) * 10000) / 10000
      : null,
    asaS: weighted('asaS'),
    ahtS: weighted('ahtS'),
    careAvgWaitS: careN
      ? Math.round(
          (care.reduce((n, r) => n + (r.careAvgWaitS ?? 0) * (r.answered + r.abandoned), 0) / careN) * 10,
        ) / 10
      : null,
  };
}

export const statsCommand: Command = {
  name: 'stats',
  summary:
    'Per 15-minute interval measures (offered, answered, abandoned, ASA, AHT, 接通率, care wait) for a day.',
  usage: 'stats [--date YYYY-MM-DD] [--json]',
  options: [{ name: 'date', description: 'day in China Standard Time (default today)', takesValue: true }],
  async run(ctx) {
    const date = String(ctx.opts.date ?? dayOf(Date.now()));
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      ctx.err(`stats: --date must be YYYY-MM-DD, got ${date}\n`);
      return 2;
    }
    const redis = new Redis(ctx.env.HOTLINE_REDIS_URL ?? 'redis://127.0.0.1:6379/0', {
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    });
    try {
      await redis.connect();
      const rows = await new IntervalStats(redis, new Keys(ctx.env.HOTLINE_REDIS_PREFIX ?? 'hl:')).rows(date);
      const total = totals(rows);
      if (ctx.json) ctx.out(JSON.stringify({ date, total, rows }));
      else {
        ctx.out(
          `${date}  来电 offered ${total.offered}  接通 answered ${total.answered}  接通率 ${total.answerRate ?? '-'}  平均应答 ASA ${total.asaS ?? '-'}s  关爱平均等待 ${total.careAvgWaitS ?? '-'}s`,
        );
        ctx.out(
          table(rows as unknown as Array<Record<string, unknown>>, [
            'interval',
            'line',
            'priority',
            'skill',
            'offered',
            'answered',
            'abandoned',
            'asaS',
            'ahtS',
            'answerRate',
            'careAvgWaitS',
          ]),
        );
      }
      return 0;
    } finally {
      redis.disconnect();
    }
  },
};
