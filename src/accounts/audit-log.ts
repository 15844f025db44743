// The change audit: who changed what, when, with the resource before and after. One Redis stream shared by
// every router, trimmed to the newest 100,000 entries. Secrets never enter it (see redact).
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';

export interface AuditEntry {
  id?: string;
  at: number;
  actor: string;
  actorKind: string;
  roles: string[];
  action: string;
  target: string;
  status?: number;
  before?: unknown;
  after?: unknown;
  request?: unknown;
}

const SECRET_FIELD = /pass(word)?|token|secret/i;

/** Replaces secret-looking fields (passwords, tokens) with "[redacted]", at any depth. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = SECRET_FIELD.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

export class AuditLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async write(e: AuditEntry): Promise<void> {
    const body = JSON.stringify({
      ...e,
      before: redact(e.before),
      after: redact(e.after),
      request: redact(e.request),
    });
    await this.redis.xadd(this.keys.changeAudit(), 'MAXLEN', '~', 100000, '*', 'e', body.slice(0, 64_000));
  }

  /** Newest first; `before` is an entry id to page back from. */
  async read(opts: { limit: number; before?: string; actor?: string }): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    let end = opts.before ? `(${opts.before}` : '+';
    while (out.length < opts.limit) {
      const rows = (await this.redis.xrevrange(this.keys.changeAudit(), end, '-', 'COUNT', 200)) as Array<
        [string, string[]]
      >;
      if (!rows.length) break;
      for (const [id, fields] of rows) {
        end = `(${id}`;
        const e = JSON.parse(fields[1] ?? '{}') as AuditEntry;
        if (opts.actor && e.actor !== opts.actor) continue;
        out.push({ id, ...e });
        if (out.length >= opts.limit) break;
      }
    }
    return out;
  }
}
