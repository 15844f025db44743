// GET /health: the state of Redis, the ESL inbound link and the outbound socket server. Open, so that
// load balancers and operators can read it; it carries no personal data.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RouterParts } from '../../router.ts';

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  instance: Type.String(),
  redis: Type.Object({ ok: Type.Boolean(), status: Type.String() }),
  eslInbound: Type.Object({
    ok: Type.Boolean(),
    state: Type.String(),
    protocolErrors: Type.Integer(),
    reconnects: Type.Integer(),
    events: Type.Record(Type.String(), Type.Integer(), {
      description: 'events received on the inbound link since start, by Event-Name',
    }),
  }),
  parkedCalls: Type.Union([
    Type.Null(),
    Type.Object(
      {
        state: Type.String(),
        sessions: Type.Integer({ description: 'parked callers taken since start' }),
        parkDelayMs: Type.Number({
          description:
            "mean time from a CHANNEL_PARK to this router's claim, last window (HOTLINE_SHED_PARK_MS)",
        }),
        busyShare: Type.Number({ description: 'share of new parked callers told the line is busy now' }),
        turnedAway: Type.Integer({ description: 'parked callers told the line is busy since start' }),
        othersHangups: Type.Integer({
          description:
            'hangups of parked callers this instance does not drive, heard here for the orphan and reconcile checks',
        }),
      },
      { description: 'callers parked by the dialplan and driven over inbound sockets (null: not on)' },
    ),
  ]),
  socketServer: Type.Object({
    ok: Type.Boolean(),
    port: Type.Integer(),
    sessions: Type.Integer(),
    activeCalls: Type.Integer(),
    protocolErrors: Type.Integer(),
    promptErrors: Type.Integer({
      description: 'prompts FreeSWITCH could not play (missing or unreadable sound files) since start',
    }),
    shedCalls: Type.Integer({
      description: 'calls passed on to the backup router because this one was over its limits, since start',
    }),
    eventLoopLagMs: Type.Number({ description: 'p99 event-loop delay over the last half second' }),
    switchPressure: Type.Object(
      {
        connectMs: Type.Number({
          description: "FreeSWITCH's mean time to answer a new socket's connect, last busy half second (ms)",
        }),
        busyShare: Type.Number({ description: 'share of new callers told the line is busy now (0..1)' }),
        turnedAway: Type.Integer({ description: 'callers told the line is busy since start' }),
      },
      { description: "FreeSWITCH's overload control (HOTLINE_SHED_CONNECT_MS)" },
    ),
    joinPressure: Type.Object(
      {
        joinMs: Type.Number({
          description:
            "mean time from an agent's answer to the caller put through, last busy half second (ms)",
        }),
        busyShare: Type.Number({
          description: 'share of new callers told the line is busy for slow joins (0..1)',
        }),
        turnedAway: Type.Integer({ description: 'callers told the line is busy for slow joins since start' }),
      },
      {
        description:
          'the same control fed with joins, for sockets and parked callers alike (HOTLINE_SHED_JOIN_MS)',
      },
    ),
  }),
  sipEdge: Type.Optional(
    Type.Object({
      state: Type.String(),
      calls: Type.Integer(),
      poolUp: Type.Integer({ description: 'FreeSWITCH pool members answering OPTIONS' }),
      poolSize: Type.Integer(),
    }),
  ),
});

export const healthPlugin: FastifyPluginAsyncTypebox<{ parts: RouterParts }> = async (app, { parts }) => {
  app.get(
    '/health',
    { schema: { tags: ['health'], summary: 'Router health', response: { 200: Health, 503: Health } } },
    async (_req, reply) => {
      const redisOk = parts.redis.status === 'ready';
      const link = parts.fsLink;
      const body = {
        status: (redisOk && link.state === 'connected' && parts.outbound.listening ? 'ok' : 'degraded') as
          'ok' | 'degraded',
        instance: parts.config.instanceId,
        redis: { ok: redisOk, status: parts.redis.status },
        eslInbound: {
          ok: link.state === 'connected',
          state: link.state,
          protocolErrors: link.protocolErrors,
          reconnects: link.reconnects,
          events: { ...link.eventCounts },
        },
        parkedCalls: parts.parkedStatus(),
        socketServer: {
          ok: parts.outbound.listening,
          port: parts.eslPort(),
          sessions: parts.outbound.sessions,
          activeCalls: parts.sessions.size,
          protocolErrors: parts.outbound.protocolErrors,
          promptErrors: parts.outbound.promptErrors,
          shedCalls: parts.load().shedCalls,
          eventLoopLagMs: Math.round(parts.load().lagMs * 10) / 10,
          switchPressure: {
            connectMs: Math.round((parts.pressure().lastMeanMs || 0) * 10) / 10,
            busyShare: parts.pressure().share,
            turnedAway: parts.pressure().turnedAway,
          },
          joinPressure: {
            joinMs: Math.round((parts.joinPressure().lastMeanMs || 0) * 10) / 10,
            busyShare: parts.joinPressure().share,
            turnedAway: parts.joinPressure().turnedAway,
          },
        },
        ...(parts.sipEdgeStatus() ? { sipEdge: parts.sipEdgeStatus()! } : {}),
      };
      // Degraded still answers 200: the router serves its API while FreeSWITCH is away.
      return reply.code(redisOk ? 200 : 503).send(body);
    },
  );
};
