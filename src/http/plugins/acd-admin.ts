// Admin API for the ACD: queues (skills) with overflow, fallback and wrap-up; class weights, ageing
// and agent-choice settings; live queue status; 15-minute interval measures.
import { CONFIGURE, READ, SUPERVISE, WATCH } from '../../accounts/roles.ts';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PRIORITY_CLASSES } from '../../acd/types.ts';
import { dayOf } from '../../records/call-records.ts';
import type { RouterParts } from '../../router.ts';
import { DateStr } from '../schemas.ts';

const Err = Type.Object({ error: Type.String(), message: Type.String() });
const SkillName = Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' });
const Fallback = Type.Union([
  Type.Object({ kind: Type.Literal('queue'), skill: SkillName }),
  Type.Object({ kind: Type.Literal('callback') }),
  Type.Object({ kind: Type.Literal('message') }),
]);
const Queue = Type.Object({
  skill: SkillName,
  name: Type.String({ minLength: 1, maxLength: 40 }),
  overflowAfterS: Type.Integer({ minimum: 0, maximum: 3600 }),
  overflowTo: SkillName,
  maxWaitS: Type.Integer({ minimum: 0, maximum: 7200 }),
  fallback: Fallback,
  wrapupS: Type.Integer({ minimum: 0, maximum: 600 }),
  serviceLevelS: Type.Integer({ minimum: 1, maximum: 600 }),
});
const PerClass = Type.Object({
  care: Type.Number({ minimum: 0, maximum: 10000 }),
  enterprise: Type.Number({ minimum: 0, maximum: 10000 }),
  normal: Type.Number({ minimum: 0, maximum: 10000 }),
});
const Settings = Type.Object({
  classWeights: PerClass,
  ageingRates: PerClass,
  strategy: Type.Union([
    Type.Literal('longest-idle'),
    Type.Literal('fewest-calls'),
    Type.Literal('skill-level'),
  ]),
  maxNoAnswer: Type.Integer({ minimum: 0, maximum: 20 }),
  callbackOfferAboveS: Type.Integer({ minimum: 0, maximum: 7200 }),
  announceEveryS: Type.Integer({ minimum: 5, maximum: 600 }),
});
const Day = Type.Object({ date: Type.Optional(DateStr) });

export const acdAdminPlugin: FastifyPluginAsyncTypebox<{ parts: RouterParts }> = async (app, { parts }) => {
  const security = [{ bearer: [] }];
  const { acdConfig, acd } = parts;

  app.get(
    '/admin/queues',
    {
      config: { roles: READ },
      schema: {
        tags: ['acd'],
        summary: 'Queues (one per skill)',
        security,
        response: { 200: Type.Array(Queue) },
      },
    },
    async () => [...(await acdConfig.load()).queues.values()].sort((a, b) => a.skill.localeCompare(b.skill)),
  );

  app.put(
    '/admin/queues/:skill',
    {
      config: { roles: CONFIGURE },
      schema: {
        tags: ['acd'],
        summary: 'Create or change a queue',
        security,
        params: Type.Object({ skill: SkillName }),
        body: Queue,
        response: { 200: Queue, 400: Err },
      },
    },
    async (req, reply) => {
      const q = req.body;
      const { queues } = await acdConfig.load();
      const known = (s: string) => queues.has(s) || s === q.skill;
      const bad = (message: string) => reply.code(400).send({ error: 'bad_request', message });
      if (q.skill !== req.params.skill) return bad('body.skill must match the URL');
      if (!known(q.overflowTo)) return bad(`overflowTo: unknown queue ${q.overflowTo}`);
      if (q.fallback.kind === 'queue') {
        if (q.fallback.skill === q.skill) return bad('fallback queue must be another queue');
        if (!known(q.fallback.skill)) return bad(`fallback: unknown queue ${q.fallback.skill}`);
      }
      if (q.maxWaitS > 0 && q.overflowAfterS > 0 && q.overflowAfterS >= q.maxWaitS) {
        return bad('overflowAfterS must be shorter than maxWaitS, or the call never overflows');
      }
      await acdConfig.putQueue(q);
      parts.requestDispatch();
      return q;
    },
  );

  app.get(
    '/admin/acd/settings',
    {
      config: { roles: READ },
      schema: {
        tags: ['acd'],
        summary: 'Class weights, ageing rates, agent choice, no-answer limit',
        security,
        response: { 200: Settings },
      },
    },
    async () => (await acdConfig.load()).settings,
  );

  app.put(
    '/admin/acd/settings',
    {
      config: { roles: CONFIGURE },
      schema: {
        tags: ['acd'],
        summary: 'Change the ACD settings',
        security,
        body: Settings,
        response: { 200: Settings },
      },
    },
    async (req) => {
      await acdConfig.putSettings(req.body);
      parts.requestDispatch();
      return req.body;
    },
  );

  app.get(
    '/admin/queues/status',
    {
      config: { roles: WATCH },
      schema: { tags: ['acd'], summary: 'Calls waiting per queue and class, agents per state', security },
    },
    async () => {
      const { queues } = await acdConfig.load();
      const waiting = await acd.waiting(queues.keys(), 10_000);
      const byQueue: Record<string, Record<string, number>> = {};
      for (const c of waiting) {
        const q = (byQueue[c.skill] ??= Object.fromEntries(PRIORITY_CLASSES.map((p) => [p, 0])));
        q[c.priority] = (q[c.priority] ?? 0) + 1;
      }
      const agents: Record<string, number> = {};
      for (const a of await acd.listAgents()) agents[a.state] = (agents[a.state] ?? 0) + 1;
      return { waiting: byQueue, agents };
    },
  );

  app.post(
    '/admin/agents/:id/end-wrapup',
    {
      config: { roles: SUPERVISE },
      schema: {
        tags: ['acd'],
        summary: 'End an agent’s wrap-up early',
        security,
        params: Type.Object({ id: Type.String() }),
        response: { 200: Type.Object({ state: Type.String() }), 409: Err },
      },
    },
    async (req, reply) => {
      if (!(await acd.endWrapup(req.params.id))) {
        return reply.code(409).send({ error: 'conflict', message: 'the agent is not in wrap-up' });
      }
      await parts.hub.wrapupEnded(req.params.id, 'supervisor');
      await parts.hub.stateChanged(req.params.id, 'ready');
      parts.requestDispatch();
      return { state: 'ready' };
    },
  );

  app.get(
    '/admin/stats',
    {
      config: { roles: WATCH },
      schema: {
        tags: ['acd'],
        summary: '15-minute interval measures by line, class and skill',
        security,
        querystring: Day,
      },
    },
    async (req) => {
      const date = req.query.date ?? dayOf(Date.now());
      return { date, rows: await parts.records.stats.rows(date) };
    },
  );
};
