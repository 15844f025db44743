// The number plan in Redis, shared by all router instances; seeded with the default lines once.
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import { DEFAULT_LINES, type ServiceLine } from './lines.ts';
import type { NumberPlan } from './resolve.ts';

export class NumberPlanStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly defaultLine: string,
  ) {}

  async seedDefaults(): Promise<void> {
    const args = DEFAULT_LINES.flatMap((l) => [l.number, JSON.stringify(l)]);
    // HSETNX per line keeps operators' edits when a router restarts.
    const pipe = this.redis.pipeline();
    for (let i = 0; i < args.length; i += 2) pipe.hsetnx(this.keys.lines(), args[i]!, args[i + 1]!);
    await pipe.exec();
  }

  async lines(): Promise<ServiceLine[]> {
    const h = await this.redis.hgetall(this.keys.lines());
    return Object.values(h)
      .map((v) => JSON.parse(v) as ServiceLine)
      .sort((a, b) => a.number.localeCompare(b.number));
  }

  async plan(): Promise<NumberPlan> {
    return { lines: await this.lines(), defaultLine: this.defaultLine };
  }

  async putLine(line: ServiceLine): Promise<void> {
    await this.redis.hset(this.keys.lines(), line.number, JSON.stringify(line));
  }
}
