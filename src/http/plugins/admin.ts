// Admin API: the number plan's lines, agents and their states, agent tokens, records.
import { actorName, CONFIGURE, OPERATE, READ, SUPERVISE, WATCH } from '../../accounts/roles.ts';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AcdError } from '../../acd/store.ts';
import type { AgentState } from '../../acd/types.ts';
import { dayOf } from '../../records/call-records.ts';
import type { RouterParts } from '../../router.ts';
import { issueAgentToken } from '../../screen-pop/agent-token.ts';
import { TidalStore } from '../../tidal/store.ts';
import { ForcedStates } from '../../acd/forced-state.ts';
import { maskPhone } from '../../logging/mask.ts';
import { channelUp } from '../../esl/channel-exists.ts';
import { DateStr } from '../schemas.ts';

const Line = Type.Object({
  number: Type.String({ pattern: '^\\d{3,8}$' }),
  name: Type.String({ minLength: 1, maxLength: 40 }),
  nameEn: Type.String({ maxLength: 80 }),
  mergeMode: Type.Union([
    Type.Literal('hub'),
    Type.Literal('merged'),
    Type.Literal('dual'),
    Type.Literal('subcenter'),
  ]),
  skill: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }),
  subcenterUri: Type.Optional(Type.String({ pattern: '^sips?:[^\\s]+$' })),
});

const Agent = Type.Object({
  id: Type.String(),
  name: Type.String(),
  extension: Type.String(),
  skills: Type.Record(Type.String(), Type.Integer()),
  state: Type.String(),
  idleSince: Type.Integer(),
  callsToday: Type.Integer(),
  reason: Type.Optional(
    Type.String({
      description:
        'why not ready: break, meal, training, meeting, back-office, or no-answer, desktop-lost, phone-drops (set by the router)',
    }),
  ),
  callId: Type.Optional(Type.String()),
  noAnswerStreak: Type.Optional(Type.Integer({ description: 'offers missed in a row' })),
  dropStreak: Type.Optional(
    Type.Integer({
      description: 'calls in a row the phone dropped as it answered, before the caller was put through',
    }),
  ),
  pool: Type.Optional(Type.String()),
  desktopConnected: Type.Boolean(),
});

const AgentBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 40 }),
  extension: Type.String({
    pattern: '^\\d{3,8}$',
    description:
      'the seat phone; agents may share one across shifts, but no two agents on duty (not logged out) at once',
  }),
  skills: Type.Record(
    Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }),
    Type.Integer({ minimum: 1, maximum: 5 }),
    {
      minProperties: 1,
      description: 'skill -> level; each skill a queue, or a back-office skill of the tidal roster',
    },
  ),
});

const StateBody = Type.Object({
  state: Type.Union([Type.Literal('ready'), Type.Literal('not_ready'), Type.Literal('logged_out')]),
  reason: Type.Optional(
    Type.Union([
      Type.Literal('break'),
      Type.Literal('meal'),
      Type.Literal('training'),
      Type.Literal('meeting'),
      Type.Literal('back-office'),
    ]),
  ),
  force: Type.Optional(
    Type.Boolean({
      description:
        'a supervisor forcing an agent shown reserved, ringing or talking: needs a note, is refused while the call is up on the switch, and is audited under the signed-in user (or token:<name>)',
    }),
  ),
  operator: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 40,
      pattern: '^[^\\s]+$',
      description: 'ignored: the audit names the signed-in user or token, never a name sent in the body',
    }),
  ),
  note: Type.Optional(Type.String({ minLength: 2, maxLength: 200 })),
});

const Err = Type.Object({ error: Type.String(), message: Type.String() });
const AgentId = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }) });

export const adminPlugin: FastifyPluginAsyncTypebox<{ parts: RouterParts }> = async (app, { parts }) => {
  const security = [{ bearer: [] }];
  const tidal = new TidalStore(parts.redis, parts.config.redis.prefix);
  const forced = new ForcedStates(parts.redis, parts.acd.keys, parts.acd, (uuid) =>
    channelUp(parts.fsLink, uuid),
  );

  /** Skills no queue serves and no tidal roster names: a typo that would leave the agent idle. */
  async function unknownSkills(skills: Record<string, number>): Promise<string[]> {
    const { queues } = await parts.acdConfig.load();
    const roster = new Set(
      (await tidal.roster()).flatMap((a) => [...Object.keys(a.frontSkills), ...Object.keys(a.backSkills)]),
    );
    return Object.keys(skills).filter((s) => !queues.has(s) && !roster.has(s));
  }

  /** Another agent on duty (not logged out) on this extension: a call offered to one would ring the other. */
  async function extensionTakenBy(id: string, extension: string): Promise<string | null> {
    const other = (await parts.acd.listAgents()).find(
      (a) => a.id !== id && a.extension === extension && a.state !== 'logged_out',
    );
    return other?.id ?? null;
  }

  app.get(
    '/admin/lines',
    {
      config: { roles: READ },
      schema: {
        tags: ['admin'],
        summary: 'Service lines of the number plan',
        security,
        response: { 200: Type.Array(Line) },
      },
    },
    async () => parts.numberPlan.lines(),
  );

  app.put(
    '/admin/lines/:number',
    {
      config: { roles: CONFIGURE },
      schema: {
        tags: ['admin'],
        summary: 'Create or change a service line',
        security,
        params: Type.Object({ number: Type.String({ pattern: '^\\d{3,8}$' }) }),
        body: Line,
        response: { 200: Line, 400: Err },
      },
    },
    async (req, reply) => {
      if (req.body.number !== req.params.number) {
        return reply.code(400).send({ error: 'bad_request', message: 'body.number must match the URL' });
      }
      if (req.body.mergeMode === 'subcenter' && !req.body.subcenterUri) {
        return reply
          .code(400)
          .send({ error: 'bad_request', message: 'a sub-center line needs subcenterUri' });
      }
      await parts.numberPlan.putLine(req.body);
      // A line's callers wait in its skill's queue: a new skill gets one (an operator's settings are kept).
      await parts.acdConfig.seed([req.body.skill], { [req.body.skill]: req.body.name }, parts.config.wrapupS);
      return req.body;
    },
  );

  app.get(
    '/admin/agents',
    {
      config: { roles: WATCH },
      schema: {
        tags: ['admin'],
        summary: 'Agents and their states',
        security,
        response: { 200: Type.Array(Agent) },
      },
    },
    async () => {
      const connected = new Set(parts.hub.connectedAgents());
      return (await parts.acd.listAgents()).map((a) => ({ ...a, desktopConnected: connected.has(a.id) }));
    },
  );

  app.put(
    '/admin/agents/:id',
    {
      config: { roles: CONFIGURE },
      schema: {
        tags: ['admin'],
        summary: 'Create or change an agent',
        security,
        params: AgentId,
        body: AgentBody,
        response: { 200: Type.Object({ id: Type.String() }), 400: Err, 409: Err },
      },
    },
    async (req, reply) => {
      const unknown = await unknownSkills(req.body.skills);
      if (unknown.length) {
        return reply
          .code(400)
          .send({ error: 'bad_request', message: `skills: no queue or roster skill ${unknown.join(', ')}` });
      }
      const taker = await extensionTakenBy(req.params.id, req.body.extension);
      if (taker) {
        return reply.code(409).send({
          error: 'conflict',
          message: `extension ${req.body.extension} is in use by agent ${taker}`,
        });
      }
      await parts.acd.upsertAgent({ id: req.params.id, ...req.body });
      return { id: req.params.id };
    },
  );

  app.post(
    '/admin/agents/:id/state',
    {
      config: { roles: SUPERVISE },
      schema: {
        tags: ['admin'],
        summary: "Set an agent's state (supervisor action)",
        security,
        params: AgentId,
        body: StateBody,
        response: {
          200: Type.Object({ previous: Type.String(), state: Type.String() }),
          400: Err,
          404: Err,
          409: Err,
        },
      },
    },
    async (req, reply) => {
      const agent = await parts.acd.getAgent(req.params.id);
      if (!agent) return reply.code(404).send({ error: 'not_found', message: `no agent ${req.params.id}` });
      if (agent.state === 'logged_out' && req.body.state !== 'logged_out') {
        const taker = await extensionTakenBy(agent.id, agent.extension);
        if (taker) {
          return reply.code(409).send({
            error: 'conflict',
            message: `extension ${agent.extension} is in use by agent ${taker}, who is on duty`,
          });
        }
      }
      const busy: AgentState[] = ['reserved', 'ringing', 'talking'];
      if (req.body.force) {
        if (!req.body.note)
          return reply.code(400).send({
            error: 'bad_request',
            message: 'a forced state change needs a note (it is audited)',
          });
        const r = await forced.force(agent, req.body.state, actorName(req.principal!), req.body.note);
        if (!r.ok) return reply.code(r.code).send({ error: 'busy', message: r.reason });
        req.log.warn(
          { agentId: r.entry.agentId, from: r.entry.from, to: r.entry.to, operator: r.entry.operator },
          'agent state forced by a supervisor',
        );
        if (req.body.state === 'ready') parts.requestDispatch();
        if (r.entry.callId)
          await parts.hub.send(req.params.id, { type: 'ended', callId: r.entry.callId, outcome: 'answered' });
        await parts.hub.send(req.params.id, {
          type: 'state',
          state: req.body.state,
          reason: req.body.reason,
        });
        return { previous: r.entry.from, state: req.body.state };
      }
      if (busy.includes(agent.state)) {
        return reply.code(409).send({
          error: 'busy',
          message: `agent is ${agent.state}; change it after the call, or force it (force, note) if the call is over`,
        });
      }
      try {
        const previous = await parts.acd.setAgentState(req.params.id, req.body.state, req.body.reason ?? '');
        if (req.body.state === 'ready') parts.requestDispatch();
        await parts.hub.send(req.params.id, {
          type: 'state',
          state: req.body.state,
          reason: req.body.reason,
        });
        return { previous, state: req.body.state };
      } catch (err) {
        if (err instanceof AcdError) return reply.code(409).send({ error: 'conflict', message: err.message });
        throw err;
      }
    },
  );

  const Number_ = Type.Object({ number: Type.String({ pattern: '^\\+?\\d{3,20}$' }) });
  app.get(
    '/admin/do-not-call',
    {
      config: { roles: READ },
      schema: {
        tags: ['admin'],
        summary: 'Numbers the missed-call callback never calls (masked)',
        security,
        response: { 200: Type.Object({ numbers: Type.Array(Type.String()), pending: Type.Integer() }) },
      },
    },
    async () => ({
      numbers: (await parts.missed().doNotCallList()).map(maskPhone),
      pending: await parts.missed().pending(),
    }),
  );
  for (const [method, on] of [
    ['PUT', true],
    ['DELETE', false],
  ] as const) {
    app.route({
      method,
      url: '/admin/do-not-call/:number',
      config: { roles: OPERATE },
      schema: {
        tags: ['admin'],
        summary: on
          ? 'Never call this number back after a missed call (and drop it if pending)'
          : 'Allow missed-call callbacks to this number again',
        security,
        params: Number_,
        response: { 200: Type.Object({ ok: Type.Boolean() }) },
      },
      handler: async (req: { params: { number: string } }) => {
        await parts.missed().doNotCall(req.params.number, on);
        return { ok: true };
      },
    });
  }

  app.get(
    '/admin/agents/state-audit',
    {
      config: { roles: READ },
      schema: {
        tags: ['admin'],
        summary: "Supervisors' forced agent states, newest first (notes masked)",
        security,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          agent: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
        }),
        response: {
          200: Type.Array(
            Type.Object({
              at: Type.Integer(),
              operator: Type.String(),
              agentId: Type.String(),
              from: Type.String(),
              to: Type.String(),
              note: Type.String(),
              callId: Type.Optional(Type.String()),
              switchCheck: Type.String({
                description: 'gone, no-call, or unknown (the switch could not be asked)',
              }),
            }),
          ),
        },
      },
    },
    async (req) => forced.list(req.query.limit ?? 100, req.query.agent),
  );

  app.post(
    '/admin/agents/:id/token',
    {
      config: { roles: OPERATE },
      schema: {
        tags: ['admin'],
        summary: "Issue a token for the agent's desktop WebSocket",
        security,
        params: AgentId,
        body: Type.Optional(
          Type.Object({ ttlS: Type.Optional(Type.Integer({ minimum: 60, maximum: 604800 })) }),
        ),
        response: { 200: Type.Object({ token: Type.String(), expiresInS: Type.Integer() }), 404: Err },
      },
    },
    async (req, reply) => {
      if (!(await parts.acd.getAgent(req.params.id))) {
        return reply.code(404).send({ error: 'not_found', message: `no agent ${req.params.id}` });
      }
      const ttl = req.body?.ttlS ?? parts.config.agentTokenTtlS;
      return { token: issueAgentToken(parts.config.agentTokenSecret, req.params.id, ttl), expiresInS: ttl };
    },
  );

  app.get(
    '/admin/records',
    {
      config: { roles: READ },
      schema: {
        tags: ['admin'],
        summary: 'Call records of one day (China Standard Time), a page at a time',
        description:
          'Records in arrival order. Pass the nextCursor of an answer as `after` for the next page; ' +
          'no nextCursor means the last page.',
        security,
        querystring: Type.Object({
          date: Type.Optional(DateStr),
          limit: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 1000, default: 1000, description: 'records per page' }),
          ),
          after: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 200,
              description: 'the nextCursor of the previous page',
            }),
          ),
        }),
        response: {
          200: Type.Object({
            date: Type.String(),
            counters: Type.Record(Type.String(), Type.Integer()),
            total: Type.Integer({ description: 'records of the day, all pages' }),
            records: Type.Array(Type.Record(Type.String(), Type.Unknown())),
            nextCursor: Type.Optional(Type.String({ description: 'pass as `after` for the next page' })),
          }),
          400: Err,
        },
      },
    },
    async (req, reply) => {
      const date = req.query.date ?? dayOf(Date.now());
      const [counters, page] = await Promise.all([
        parts.records.counters(date),
        parts.records.page(date, {
          limit: req.query.limit ?? 1000,
          ...(req.query.after !== undefined ? { after: req.query.after } : {}),
        }),
      ]);
      if (!page) {
        return reply
          .code(400)
          .send({ error: 'bad_request', message: `after: ${req.query.after} is not a record of ${date}` });
      }
      return {
        date,
        counters,
        total: page.total,
        records: page.records as unknown as Record<string, unknown>[],
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      };
    },
  );
};
