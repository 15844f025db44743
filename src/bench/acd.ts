// Bench group "acd": routing decisions against Redis, beside a trivial EVAL on the same Redis, at two sizes.
import { benchAcd } from '../acd/bench.ts';
import type { BenchGroup } from './types.ts';

export const acdGroup: BenchGroup = {
  name: 'acd',
  description:
    'routing decisions (policy over the replica, atomic reserve) with 2,000 agents / 10,000 waiting calls and 20,000 / 100,000',
  async run(ctx) {
    process.env.HOTLINE_REDIS_URL ??= ctx.redisUrl;
    const rows = [
      ...(await benchAcd()),
      ...(await benchAcd({ agents: 20_000, calls: 100_000, ready: 1000, label: '20k_100k' })),
    ];
    return rows.map((r) =>
      r.baseline !== undefined
        ? { ...r, note: 'baseline: trivial EVAL (return 1) per second, one at a time, same run' }
        : r,
    );
  },
};
