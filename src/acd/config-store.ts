// Operator settings of the ACD in Redis: queues (one per skill) and the class weights, ageing rates,
// agent-choice strategy and no-answer limit. Read by every instance; changed through the admin API.
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import { type AcdSettings, DEFAULT_SETTINGS, defaultQueue, type QueueConfig } from './types.ts';

export class AcdConfigStore {
  private cache: { at: number; queues: Map<string, QueueConfig>; settings: AcdSettings } | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    /** Settings are re-read at most this often, so a change reaches every instance within it. */
    private readonly cacheMs = 1000,
  ) {}

  /** Creates a queue for each skill that has none; operators' settings are kept. */
  async seed(
    skills: Iterable<string>,
    names: Record<string, string> = {},
    wrapupS?: number,
    overrides: Record<string, Partial<Omit<QueueConfig, 'skill'>>> = {},
  ): Promise<void> {
    const pipe = this.redis.pipeline();
    for (const s of new Set([...skills, 'general'])) {
      const q = { ...defaultQueue(s, names[s] ?? s), ...overrides[s] };
      if (wrapupS !== undefined) q.wrapupS = wrapupS;
      pipe.hsetnx(this.keys.queueConfigs(), s, JSON.stringify(q));
    }
    pipe.setnx(this.keys.acdSettings(), JSON.stringify(DEFAULT_SETTINGS));
    await pipe.exec();
    this.cache = null;
  }

  async load(): Promise<{ queues: Map<string, QueueConfig>; settings: AcdSettings }> {
    if (this.cache && Date.now() - this.cache.at < this.cacheMs) return this.cache;
    const [q, s] = await Promise.all([
      this.redis.hgetall(this.keys.queueConfigs()),
      this.redis.get(this.keys.acdSettings()),
    ]);
    const queues = new Map(Object.entries(q).map(([k, v]) => [k, JSON.parse(v) as QueueConfig]));
    const settings = s
      ? { ...DEFAULT_SETTINGS, ...(JSON.parse(s) as Partial<AcdSettings>) }
      : DEFAULT_SETTINGS;
    this.cache = { at: Date.now(), queues, settings };
    return this.cache;
  }

  async putQueue(q: QueueConfig): Promise<void> {
    await this.redis.hset(this.keys.queueConfigs(), q.skill, JSON.stringify(q));
    this.cache = null;
  }

  async putSettings(s: AcdSettings): Promise<void> {
    await this.redis.set(this.keys.acdSettings(), JSON.stringify(s));
    this.cache = null;
  }
}
