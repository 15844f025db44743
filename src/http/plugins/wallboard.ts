// The supervisors' wallboard: one snapshot (GET /admin/wallboard) and the same snapshot every 2 s as server-sent
// events (GET /admin/wallboard/stream, read with fetch so that the bearer token stays in a header). The figures
// are computed by src/wallboard/figures.ts; this plugin only gathers what it needs from Redis.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { PRIORITY_CLASSES, type PriorityClass } from '../../acd/types.ts';
import { seesMasked, WATCH } from '../../accounts/roles.ts';
import { maskDeep } from '../../logging/mask.ts';
import { dayOf } from '../../records/call-records.ts';
import type { RouterParts } from '../../router.ts';
import { funnelOf, type QueueNow, wallboard, type Wallboard } from '../../wallboard/figures.ts';

const PUSH_EVERY_MS = 2000;
/** Streams open at once per router: each costs a snapshot every 2 s. */
const MAX_STREAMS = 50;

export async function wallboardSnapshot(parts: RouterParts, now = Date.now()): Promise<Wallboard> {
  const { queues } = await parts.acdConfig.load();
  const lines = await parts.numberPlan.lines();
  const skills = [...new Set([...queues.keys(), ...lines.map((l) => l.skill)])].sort();
  const pipe = parts.redis.pipeline();
  for (const s of skills)
    for (const c of PRIORITY_CLASSES) {
      pipe.zcard(parts.acd.keys.queue(s, c));
      pipe.zrange(parts.acd.keys.queue(s, c), '0', '0', 'WITHSCORES');
    }
  const res = (await pipe.exec()) ?? [];
  let i = 0;
  const queueNow: QueueNow[] = skills.map((skill) => {
    const waiting = {} as Record<PriorityClass, number>;
    const oldestQueuedAt: Partial<Record<PriorityClass, number>> = {};
    for (const c of PRIORITY_CLASSES) {
      waiting[c] = Number(res[i++]?.[1] ?? 0);
      const head = (res[i++]?.[1] ?? []) as string[];
      if (head[1] !== undefined) oldestQueuedAt[c] = Number(head[1]);
    }
    const served = lines.filter((l) => l.skill === skill);
    return {
      skill,
      name: queues.get(skill)?.name ?? served[0]?.name ?? skill,
      lines: served.map((l) => l.number),
      waiting,
      oldestQueuedAt,
    };
  });
  const agents = (await parts.acd.listAgents()).map((a) => ({
    id: a.id,
    name: a.name,
    state: a.state,
    ...(a.reason ? { reason: a.reason } : {}),
    ...(a.pool ? { pool: a.pool } : {}),
  }));
  const incidents = await parts.ivr.incidentStore.list();
  const [today, yesterday] = await Promise.all([
    parts.records.stats.rows(dayOf(now)),
    parts.records.stats.rows(dayOf(now - 86_400_000)),
  ]);
  const ivr = await Promise.all(
    lines.map(async (l) => funnelOf(l.number, await parts.ivr.funnelStore.read(l.number, dayOf(now)))),
  );
  return wallboard({ now, today, yesterday, queues: queueNow, agents, incidents, ivr });
}

export const wallboardPlugin: FastifyPluginAsyncTypebox<{ parts: RouterParts }> = async (app, { parts }) => {
  const tags = ['wallboard'];
  let streams = 0;
  // Every open board shows the same figures: one snapshot serves all streams for a second, not one read per board.
  let shared: { at: number; snap: Promise<Wallboard> } | null = null;
  const current = (): Promise<Wallboard> => {
    const now = Date.now();
    if (!shared || now - shared.at >= 1000) {
      const snap = wallboardSnapshot(parts, now);
      snap.catch(() => (shared = null));
      shared = { at: now, snap };
    }
    return shared.snap;
  };

  app.get(
    '/admin/wallboard',
    {
      config: { roles: WATCH },
      schema: {
        tags,
        summary:
          'The wallboard now: measures (today, interval, 24 h), queues, agents by state and pool, alarms',
      },
    },
    async () => wallboardSnapshot(parts),
  );

  app.get(
    '/admin/wallboard/stream',
    {
      config: { roles: WATCH },
      schema: {
        tags,
        summary: 'The wallboard as server-sent events, one snapshot every 2 s',
        produces: ['text/event-stream'],
        response: { 503: Type.Object({ error: Type.String(), message: Type.String() }) },
      },
    },
    async (req, reply) => {
      if (streams >= MAX_STREAMS)
        return reply.code(503).send({ error: 'busy', message: `at most ${MAX_STREAMS} wallboard streams` });
      streams++;
      const masked = seesMasked(req.principal!);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let closed = false;
      let timer: NodeJS.Timeout | null = null;
      const push = async () => {
        if (closed) return;
        try {
          const snap = await current();
          res.write(`event: wallboard\ndata: ${JSON.stringify(masked ? maskDeep(snap) : snap)}\n\n`);
        } catch (err) {
          res.write(`event: error\ndata: ${JSON.stringify({ message: (err as Error).message })}\n\n`);
        }
        if (!closed) timer = setTimeout(() => void push(), PUSH_EVERY_MS);
      };
      req.raw.on('close', () => {
        closed = true;
        streams--;
        if (timer) clearTimeout(timer);
      });
      void push();
    },
  );
};
