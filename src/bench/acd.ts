// Bench group "acd": routing decisions against Redis, beside a trivial EVAL on the same Redis.
import { benchAcd } from '../acd/bench.ts';
import type { BenchGroup } from './types.ts';

export const acdGroup: BenchGroup = {
  name: 'acd',
  description:
    'routing decisions (snapshot, policy, atomic reserve) with 2,000 agents and 10,000 waiting calls',
  async run(ctx) {
    process.env.HOTLINE_REDIS_URL ??= ctx.redisUrl;
    const rows = await benchAcd();
    return rows.map((r) =>
      r.baseline !== undefined
        ? { ...r, note: 'baseline: trivial EVAL (return 1) per second, one at a time' }
        : r,
    );
  },
};
