// Operator day overrides in Redis, per service line, beside the line's history.
import type { Redis } from 'ioredis';
import { HistoryKeys } from '../history/history-keys.ts';
import { type DayOverride, parseOverridesJson } from './day-overrides.ts';

export class OverrideStore {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    line: string,
  ) {
    this.key = new HistoryKeys(prefix, line).overrides();
  }

  async list(): Promise<DayOverride[]> {
    const all = await this.redis.hgetall(this.key);
    return parseOverridesJson(`[${Object.values(all).join(',')}]`).sort((a, b) =>
      a.date.localeCompare(b.date),
    );
  }

  async set(o: DayOverride): Promise<void> {
    await this.redis.hset(this.key, o.date, JSON.stringify(o));
  }

  /** Returns whether there was an override for the date. */
  async remove(date: string): Promise<boolean> {
    return (await this.redis.hdel(this.key, date)) > 0;
  }
}
