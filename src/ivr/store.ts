// Published menus in Redis: every publish is an immutable version; "current" points at one of them.
// A call loads the current version once and keeps it, so a publish never changes a call in progress.
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import { runScript } from '../redis/run-script.ts';
import type { MenuDocument } from './types.ts';

export interface AuditEntry {
  at: number;
  line: string;
  action: 'publish' | 'rollback';
  version: number;
  operator: string;
}

/**
 * How long a parsed version is kept in memory. Versions never change (SET NX), so this only bounds how long a
 * version number re-used after Redis lost its data (an older snapshot, then a publish) could still show the old
 * document.
 */
const VERSION_CACHE_MS = 60_000;

export class MenuStore {
  /** Parsed versions by line and version: every call reads the current one, which is almost always the same. */
  private readonly versionCache = new Map<string, { at: number; doc: MenuDocument }>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async publish(doc: MenuDocument, operator: string): Promise<number> {
    const version = await this.redis.incr(this.keys.ivrSeq(doc.line));
    const entry: AuditEntry = { at: Date.now(), line: doc.line, action: 'publish', version, operator };
    await this.redis
      .multi()
      .set(this.keys.ivrVersion(doc.line, version), JSON.stringify(doc), 'NX')
      .set(this.keys.ivrCurrent(doc.line), String(version))
      .lpush(this.keys.ivrAudit(), JSON.stringify(entry))
      .ltrim(this.keys.ivrAudit(), 0, 9999)
      .exec();
    return version;
  }

  async rollback(line: string, version: number, operator: string): Promise<boolean> {
    if (!(await this.redis.exists(this.keys.ivrVersion(line, version)))) return false;
    const entry: AuditEntry = { at: Date.now(), line, action: 'rollback', version, operator };
    await this.redis
      .multi()
      .set(this.keys.ivrCurrent(line), String(version))
      .lpush(this.keys.ivrAudit(), JSON.stringify(entry))
      .exec();
    return true;
  }

  async current(line: string): Promise<{ version: number; doc: MenuDocument } | null> {
    const v = await this.redis.get(this.keys.ivrCurrent(line));
    if (!v) return null;
    const doc = await this.get(line, Number(v));
    return doc ? { version: Number(v), doc } : null;
  }

  async get(line: string, version: number): Promise<MenuDocument | null> {
    const key = this.keys.ivrVersion(line, version);
    const hit = this.versionCache.get(key);
    const now = Date.now();
    if (hit && now - hit.at < VERSION_CACHE_MS) return hit.doc;
    const text = await this.redis.get(key);
    if (!text) return null;
    // Frozen: one object serves every call of this version, and none may change it for the others.
    const doc = deepFreeze(JSON.parse(text) as MenuDocument);
    if (this.versionCache.size > 200) this.versionCache.clear();
    this.versionCache.set(key, { at: now, doc });
    return doc;
  }

  async versions(line: string): Promise<number[]> {
    const seq = Number((await this.redis.get(this.keys.ivrSeq(line))) ?? 0);
    return Array.from({ length: seq }, (_, i) => i + 1);
  }

  async audit(limit = 100): Promise<AuditEntry[]> {
    return (await this.redis.lrange(this.keys.ivrAudit(), 0, limit - 1)).map(
      (t) => JSON.parse(t) as AuditEntry,
    );
  }

  /** Publishes a shipped menu for each line that has none yet; operators' versions are kept. */
  async seed(docs: MenuDocument[]): Promise<void> {
    for (const doc of docs) {
      if (!(await this.redis.exists(this.keys.ivrCurrent(doc.line)))) await this.publish(doc, 'system');
    }
  }
}

/**
 * KEYS: the day's funnel. ARGV: ttl, then one field per event. One script per call where a MULTI sent a command
 * per event and two more, each with its own reply for the router to read.
 */
const COUNT_EVENTS = `
for i = 2, #ARGV do redis.call('HINCRBY', KEYS[1], ARGV[i], 1) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
`;

/** Where callers leave or press 0: counters per line, day and node. */
export class IvrFunnel {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async record(line: string, day: string, events: Array<{ node: string; event: string }>): Promise<void> {
    if (!events.length) return;
    await runScript(
      this.redis,
      COUNT_EVENTS,
      1,
      this.keys.ivrStats(line, day),
      400 * 86400,
      ...events.map((e) => `${e.node}|${e.event}`),
    );
  }

  async read(line: string, day: string): Promise<Array<{ node: string; counts: Record<string, number> }>> {
    const h = await this.redis.hgetall(this.keys.ivrStats(line, day));
    const byNode = new Map<string, Record<string, number>>();
    for (const [k, v] of Object.entries(h)) {
      const [node, event] = k.split('|') as [string, string];
      const c = byNode.get(node) ?? {};
      c[event] = Number(v);
      byNode.set(node, c);
    }
    return [...byNode.entries()].map(([node, counts]) => ({ node, counts }));
  }
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
