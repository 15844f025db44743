// Admin API for tidal staffing (潮汐排班): make, see, approve, change and cancel a day's plan, move
// seats at once in an emergency, keep the roster of home pools and skills, read the audit trail and
// the scheduler's status, and the plan as an SVG chart for the operations dashboard.
import { actorName, CONFIGURE, READ, SUPERVISE, WATCH } from '../../accounts/roles.ts';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { RouterParts } from '../../router.ts';
import { actualsPerInterval, renderTidalChart } from '../../tidal/chart.ts';
import { systemClock } from '../../tidal/clock.ts';
import { schedulerFor } from '../../tidal/scheduler.ts';
import { TidalError, TidalService } from '../../tidal/service.ts';
import { localDate, MINUTE_MS, parseHhmm } from '../../tidal/time.ts';
import type { TidalPlan } from '../../tidal/types.ts';
import { DateStr } from '../schemas.ts';

const Err = Type.Object({
  error: Type.String(),
  message: Type.String(),
  problems: Type.Optional(Type.Array(Type.String())),
});
const Hhmm = Type.String({ pattern: '^\\d{1,2}:\\d{2}$', description: 'Local time HH:MM on the plan’s day' });
const AgentIdStr = Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' });
const By = Type.Optional(
  Type.String({
    minLength: 1,
    maxLength: 40,
    description:
      'ignored: the plan and its audit name the signed-in user or token, never a name sent in the body',
  }),
);
const Version = Type.Integer({ minimum: 0, description: 'The plan version the change was made against' });
const SkillMap = Type.Record(
  Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,31}$' }),
  Type.Integer({ minimum: 1, maximum: 5 }),
);
const PlanOptionsBody = Type.Partial(
  Type.Object({
    leadMin: Type.Number({ minimum: 0, maximum: 1440 }),
    capShare: Type.Number({ minimum: 0, maximum: 1 }),
    capSeats: Type.Integer({ minimum: 0 }),
    minBlockMin: Type.Number({ minimum: 0, maximum: 1440 }),
    hysteresisSeats: Type.Number({ minimum: 0 }),
    holdMin: Type.Number({ minimum: 0, maximum: 1440 }),
    restMin: Type.Number({ minimum: 0, maximum: 1440 }),
    minFit: Type.Number({ minimum: 0, maximum: 1 }),
    noticeMin: Type.Number({ minimum: 0, maximum: 240 }),
  }),
);
const TargetsBody = Type.Partial(
  Type.Object({
    serviceLevel: Type.Number({ minimum: 0, maximum: 1 }),
    thresholdS: Type.Number({ minimum: 0 }),
    answerRate: Type.Number({ minimum: 0, maximum: 1 }),
    careAsaS: Type.Number({ exclusiveMinimum: 0 }),
    careShare: Type.Number({ minimum: 0, maximum: 1 }),
    shrinkage: Type.Number({ minimum: 0, exclusiveMaximum: 1 }),
  }),
);
const RosterAgent = Type.Object({
  id: AgentIdStr,
  name: Type.Optional(Type.String({ maxLength: 40 })),
  homePool: Type.Union([Type.Literal('front'), Type.Literal('back')]),
  frontSkills: SkillMap,
  backSkills: SkillMap,
  shift: Type.Optional(Type.String({ pattern: '^\\d{1,2}:\\d{2}-\\d{1,2}:\\d{2}$' })),
  lastMovedAt: Type.Optional(Type.Integer()),
});

export const tidalPlugin: FastifyPluginAsyncTypebox<{ parts: RouterParts }> = async (app, { parts }) => {
  const security = [{ bearer: [] }];
  const tags = ['tidal'];
  const service = new TidalService(parts.redis, parts.config.redis.prefix, {
    ahtS: parts.config.defaultAhtS,
    line: parts.config.defaultLine,
  });
  // The scheduler's clock (a test may scale it), so the API and the scheduler agree on "now".
  const now = () => (schedulerFor(parts.redis)?.clock ?? systemClock).now();
  // Every route's TidalError becomes its 4xx with the reason (and the broken rules); anything else
  // goes on to the application's error handler.
  app.setErrorHandler((e, _req, reply) => {
    if (!(e instanceof TidalError)) throw e;
    return reply.code(e.status).send({
      error: e.status === 404 ? 'not_found' : e.status === 409 ? 'conflict' : 'bad_request',
      message: e.message,
      ...(e.problems.length ? { problems: e.problems } : {}),
    });
  });
  const at = (plan: TidalPlan, hhmm: string) => plan.dayStart + parseHhmm(hhmm)! * MINUTE_MS;
  // Who approved, cancelled or moved seats: the authenticated principal (a name in the body could be anyone's).
  const by = (req: FastifyRequest) => actorName(req.principal!);

  app.get(
    '/admin/tidal/plan',
    {
      config: { roles: READ },
      schema: {
        tags,
        summary: 'The tidal plan of a day, with what has become of each move',
        security,
        querystring: Type.Object({ date: Type.Optional(DateStr) }),
      },
    },
    async (req) => {
      const plan = await service.getPlan(req.query.date ?? localDate(now()));
      return { ...plan, moves: await service.moveStatus(plan, now()) };
    },
  );

  app.post(
    '/admin/tidal/plan',
    {
      config: { roles: CONFIGURE },
      schema: {
        tags,
        summary: 'Make (or remake) a day’s draft plan from the line’s forecast',
        security,
        body: Type.Object({
          date: DateStr,
          line: Type.Optional(Type.String({ pattern: '^\\d{3,8}$' })),
          quantile: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
          ahtS: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          patienceS: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          model: Type.Optional(Type.String()),
          targets: Type.Optional(TargetsBody),
          options: Type.Optional(PlanOptionsBody),
          skillMix: Type.Optional(Type.Record(Type.String(), Type.Number({ minimum: 0 }))),
          by: By,
        }),
        response: { 201: Type.Any({ description: 'The draft plan' }), 400: Err, 409: Err },
      },
    },
    async (req, reply) => {
      const { by: _claimed, ...rest } = req.body;
      const plan = await service.makePlan({ ...rest, by: by(req), now: now() });
      return reply.code(201).send(plan);
    },
  );

  app.post(
    '/admin/tidal/plan/:date/approve',
    {
      config: { roles: SUPERVISE },
      schema: {
        tags,
        summary: 'Approve a draft plan: the scheduler carries it out',
        security,
        params: Type.Object({ date: DateStr }),
        body: Type.Object({ version: Version, by: By }),
        response: { 200: Type.Any(), 404: Err, 409: Err },
      },
    },
    async (req) => {
      return await service.approve(req.params.date, req.body.version, by(req), now());
    },
  );

  app.post(
    '/admin/tidal/plan/:date/cancel',
    {
      config: { roles: SUPERVISE },
      schema: {
        tags,
        summary: 'Cancel a plan: moves not begun are dropped, agents on the front line return now',
        security,
        params: Type.Object({ date: DateStr }),
        body: Type.Object({ version: Version, by: By }),
        response: { 200: Type.Any(), 404: Err, 409: Err },
      },
    },
    async (req) => {
      return await service.cancel(req.params.date, req.body.version, by(req), now());
    },
  );

  app.patch(
    '/admin/tidal/plan/:date/moves/:id',
    {
      config: { roles: SUPERVISE },
      schema: {
        tags,
        summary: 'Change a move (agent, times), cancel it, or end it now',
        security,
        params: Type.Object({ date: DateStr, id: Type.String({ pattern: '^[a-z]\\d{1,4}$' }) }),
        body: Type.Object({
          version: Version,
          agentId: Type.Optional(AgentIdStr),
          from: Type.Optional(Hhmm),
          to: Type.Optional(Hhmm),
          cancel: Type.Optional(Type.Boolean()),
          force: Type.Optional(Type.Boolean()),
          by: By,
        }),
        response: { 200: Type.Any(), 400: Err, 404: Err, 409: Err },
      },
    },
    async (req) => {
      const b = req.body;
      const plan = await service.getPlan(req.params.date);
      return await service.changeMove(
        req.params.date,
        b.version,
        req.params.id,
        {
          ...(b.agentId !== undefined ? { agentId: b.agentId } : {}),
          ...(b.from !== undefined ? { effectiveAt: at(plan, b.from) } : {}),
          ...(b.to !== undefined ? { returnAt: at(plan, b.to) } : {}),
          ...(b.cancel ? { cancel: true } : {}),
          ...(b.force ? { force: true } : {}),
        },
        by(req),
        now(),
      );
    },
  );

  app.post(
    '/admin/tidal/plan/:date/moves',
    {
      config: { roles: SUPERVISE },
      schema: {
        tags,
        summary: 'Add a move by hand',
        security,
        params: Type.Object({ date: DateStr }),
        body: Type.Object({
          version: Version,
          agentId: AgentIdStr,
          from: Hhmm,
          to: Hhmm,
          force: Type.Optional(Type.Boolean()),
          note: Type.Optional(Type.String({ maxLength: 200 })),
          by: By,
        }),
        response: { 200: Type.Any(), 400: Err, 404: Err, 409: Err },
      },
    },
    async (req) => {
      const b = req.body;
      const plan = await service.getPlan(req.params.date);
      return await service.addMove(
        req.params.date,
        b.version,
        {
          agentId: b.agentId,
          effectiveAt: at(plan, b.from),
          returnAt: at(plan, b.to),
          ...(b.force ? { force: true } : {}),
          ...(b.note ? { note: b.note } : {}),
        },
        by(req),
        now(),
      );
    },
  );

  app.post(
    '/admin/tidal/emergency',
    {
      config: { roles: SUPERVISE },
      schema: {
        tags,
        summary: 'Move backup seats to the front line now (no lead time)',
        security,
        body: Type.Object({
          count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          agentIds: Type.Optional(Type.Array(AgentIdStr, { maxItems: 1000 })),
          durationMin: Type.Optional(Type.Integer({ minimum: 1, maximum: 1440 })),
          ignoreCap: Type.Optional(Type.Boolean()),
          note: Type.Optional(Type.String({ maxLength: 200 })),
          by: By,
        }),
        response: { 200: Type.Any(), 400: Err, 409: Err },
      },
    },
    async (req) => {
      const { by: _claimed, ...rest } = req.body;
      const r = await service.emergency(rest, by(req), now());
      return { date: r.plan.date, version: r.plan.version, moves: r.moves, problems: r.problems };
    },
  );

  app.get(
    '/admin/tidal/roster',
    {
      config: { roles: READ },
      schema: {
        tags,
        summary: 'Agents’ home pools and skills in each pool',
        security,
        response: { 200: Type.Array(RosterAgent) },
      },
    },
    async () => service.store.roster(),
  );

  app.put(
    '/admin/tidal/roster/:id',
    {
      config: { roles: CONFIGURE },
      schema: {
        tags,
        summary: 'Set an agent’s home pool, front-line and back-office skills and shift',
        security,
        params: Type.Object({ id: AgentIdStr }),
        body: Type.Omit(RosterAgent, ['id', 'lastMovedAt']),
        response: { 200: Type.Object({ id: Type.String() }), 400: Err },
      },
    },
    async (req) => {
      await service.putRosterAgent({ id: req.params.id, ...req.body }, by(req), now());
      return { id: req.params.id };
    },
  );

  app.delete(
    '/admin/tidal/roster/:id',
    {
      config: { roles: CONFIGURE },
      schema: {
        tags,
        summary: 'Take an agent off the tidal roster',
        security,
        params: Type.Object({ id: AgentIdStr }),
      },
    },
    async (req, reply) => {
      if (!(await service.store.removeRosterAgent(req.params.id)))
        return reply.code(404).send({ error: 'not_found', message: `${req.params.id} is not on the roster` });
      return { removed: req.params.id };
    },
  );

  app.get(
    '/admin/tidal/audit',
    {
      config: { roles: READ },
      schema: {
        tags,
        summary: 'Tidal audit trail, newest first',
        security,
        querystring: Type.Object({
          date: Type.Optional(DateStr),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
        }),
      },
    },
    async (req) =>
      service.store.auditEntries({
        ...(req.query.date ? { date: req.query.date } : {}),
        limit: req.query.limit ?? 200,
      }),
  );

  app.get(
    '/admin/tidal/status',
    {
      config: { roles: WATCH },
      schema: { tags, summary: 'The scheduler’s leader and today’s moves', security },
    },
    async () => {
      const s = await service.status(now());
      const local = schedulerFor(parts.redis);
      return { ...s, instance: parts.config.instanceId, leading: local?.isLeader ?? false };
    },
  );

  app.get(
    '/admin/tidal/chart.svg',
    {
      config: { roles: WATCH },
      schema: {
        tags,
        summary: 'The plan as an SVG chart: forecast and band, actual calls, seats needed and planned, moves',
        security,
        querystring: Type.Object({
          date: Type.Optional(DateStr),
          width: Type.Optional(Type.Integer({ minimum: 480, maximum: 4000 })),
        }),
        produces: ['image/svg+xml'],
      },
    },
    async (req, reply) => {
      const t = now();
      const plan = await service.getPlan(req.query.date ?? localDate(t));
      const n = plan.need.length;
      const upTo = Math.max(0, Math.min(n, Math.ceil((t - plan.dayStart) / (plan.intervalMin * MINUTE_MS))));
      const actuals = actualsPerInterval(
        await parts.records.stats.rows(plan.date),
        plan.intervalMin,
        n,
        plan.forecast?.line,
        upTo,
      );
      const svg = renderTidalChart({
        plan,
        actuals,
        now: t,
        ...(req.query.width ? { width: req.query.width } : {}),
      });
      return reply.type('image/svg+xml; charset=utf-8').send(svg);
    },
  );
};
