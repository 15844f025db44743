// The number plan in Redis, shared by all router instances; seeded with the default lines once.
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import { DEFAULT_LINES, type ServiceLine } from './lines.ts';
import type { NumberPlan } from './resolve.ts';

const PLAN_CACHE_MS = 1000;

export class NumberPlanStore {
  private cached: { at: number; plan: NumberPlan } | null = null;

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

  /**
   * The plan every call resolves against. Read at most once a second per instance: a read and a parse per
   * arriving call would sit on every caller's way to a human, and operators' edits may take a second to reach
   * the other instances.
   */
  async plan(): Promise<NumberPlan> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < PLAN_CACHE_MS) return this.cached.plan;
    const plan = { lines: await this.lines(), defaultLine: this.defaultLine };
    this.cached = { at: now, plan };
    return plan;
  }

  async putLine(line: ServiceLine): Promise<void> {
    await this.redis.hset(this.keys.lines(), line.number, JSON.stringify(line));
    this.cached = null;
  }
}
