// The agent desktop: the page (src/agent-desktop/public, no build step), the protocol's schema as
// JSON, the agent's directory for transfers, and the admin routes around desktops: token revocation,
// live desktops, tidal notices, supervisor messages and the screen-pop's link table.
import { serveStaticPage } from '../static-page.ts';
import { browserBundle } from '../browser-bundle.ts';
import { actorName, AGENT, CONFIGURE, OPERATE, READ, SUPERVISE, WATCH } from '../../accounts/roles.ts';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Logger } from '../../logging/logger.ts';
import type { RouterParts } from '../../router.ts';
import { LINK_SCOPE, LinkTable } from '../../screen-pop/context.ts';
import { Link, protocolDocument } from '../../screen-pop/messages.ts';

const PUBLIC_DIR = new URL('../../agent-desktop/public/', import.meta.url);
const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'validate.js': 'text/javascript; charset=utf-8',
  'softphone.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'";

const EMERGENCY_NAMES: Record<string, string> = {
  '110': '110 公安报警',
  '119': '119 消防',
  '120': '120 急救',
  '122': '122 交通事故',
};

const Err = Type.Object({ error: Type.String(), message: Type.String() });
const AgentId = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }) });
const AgentIds = Type.Array(Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }), {
  minItems: 1,
  maxItems: 5000,
});
const Sent = Type.Object({ sent: Type.Array(Type.Object({ agentId: Type.String(), seq: Type.Integer() })) });

export const agentDesktopPlugin: FastifyPluginAsyncTypebox<{ parts: RouterParts }> = async (
  app,
  { parts },
) => {
  parts.hub.configure({ instanceId: parts.config.instanceId, wrapupS: parts.config.wrapupS });
  const stopPolicy = installDesktopLossPolicy(parts, app.log as unknown as Logger);
  app.addHook('onClose', async () => stopPolicy());
  await app.register(desktopPage, { parts });
  await app.register(softphone, { parts });
  await app.register(desktopAdmin, { parts });
};

/** The page, its assets, the schema and the agent's directory (agent token, not admin token). */
const desktopPage: FastifyPluginAsyncTypebox<{ parts: RouterParts }> = async (app, { parts }) => {
  serveStaticPage(app, { base: '/agent', dir: PUBLIC_DIR, assets: ASSETS, csp: CSP });

  app.get(
    '/agent/protocol.json',
    {
      schema: {
        tags: ['agent-desktop'],
        summary: 'The desktop protocol: JSON Schema of every server and client message',
        response: {
          200: Type.Object({
            version: Type.Integer(),
            sequenced: Type.Array(Type.String()),
            server: Type.Record(Type.String(), Type.Unknown()),
            client: Type.Record(Type.String(), Type.Unknown()),
          }),
        },
      },
    },
    async (_req, reply) => reply.header('cache-control', 'no-cache').send(protocolDocument()),
  );

  app.get(
    '/agent/api/directory',
    {
      config: { roles: AGENT },
      schema: {
        tags: ['agent-desktop'],
        summary: 'Transfer targets for the desktop (agent token)',
        security: [{ bearer: [] }],
        response: {
          200: Type.Object({
            subcenters: Type.Array(Type.Object({ line: Type.String(), name: Type.String() })),
            queues: Type.Array(Type.Object({ skill: Type.String(), name: Type.String() })),
            agents: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), state: Type.String() })),
            emergency: Type.Array(Type.Object({ service: Type.String(), name: Type.String() })),
          }),
          401: Err,
        },
      },
    },
    async (req) => {
      const me = req.principal!.agentId;
      const lines = await parts.numberPlan.lines();
      const skills = new Map<string, string>();
      for (const l of lines) if (!skills.has(l.skill)) skills.set(l.skill, l.name);
      return {
        subcenters: lines
          .filter((l) => l.mergeMode === 'subcenter')
          .map((l) => ({ line: l.number, name: l.name })),
        queues: [...skills].map(([skill, name]) => ({ skill, name })),
        emergency: Object.keys(parts.config.emergencyLines).map((service) => ({
          service,
          name: EMERGENCY_NAMES[service] ?? service,
        })),
        agents: (await parts.acd.listAgents())
          .filter((a) => a.id !== me && a.state !== 'logged_out')
          .map((a) => ({ id: a.id, name: a.name, state: a.state })),
      };
    },
  );
};

/**
 * The page's WebRTC softphone (softphone.js, issue 14): its SIP library, and the agent's own SIP account on
 * FreeSWITCH's agents profile over WebSocket. Off (enabled false, the page as without it) unless
 * HOTLINE_SOFTPHONE_WS_URL is set.
 */
const softphone: FastifyPluginAsyncTypebox<{ parts: RouterParts }> = async (app, { parts }) => {
  app.get('/agent/vendor/jssip.min.js', { schema: { hide: true } }, async (_req, reply) =>
    reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .send(await browserBundle('jssip', 'JsSIP')),
  );

  app.get(
    '/agent/api/softphone',
    {
      config: { roles: AGENT },
      schema: {
        tags: ['agent-desktop'],
        summary: "The agent's softphone account: SIP over WebSocket to FreeSWITCH (agent token)",
        description:
          'enabled false when the router has no HOTLINE_SOFTPHONE_WS_URL or the agent no extension. The answer ' +
          'holds the SIP password: it is never cached (no-store) nor logged.',
        security: [{ bearer: [] }],
        response: {
          200: Type.Object({
            enabled: Type.Boolean(),
            wsUrl: Type.Optional(Type.String()),
            /** sip:<extension>@<agents domain>, what FreeSWITCH rings as user/<extension>@<domain>. */
            uri: Type.Optional(Type.String()),
            authorizationUser: Type.Optional(Type.String()),
            password: Type.Optional(Type.String()),
            displayName: Type.Optional(Type.String()),
            iceServers: Type.Optional(Type.Array(Type.String())),
          }),
          401: Err,
        },
      },
    },
    async (req, reply) => {
      reply.header('cache-control', 'no-store');
      const sp = parts.config.softphone;
      const id = req.principal?.agentId;
      const agent = sp && id ? await parts.acd.getAgent(id) : null;
      if (!sp || !agent?.extension) return { enabled: false };
      return {
        enabled: true,
        wsUrl: sp.wsUrl,
        uri: `sip:${agent.extension}@${parts.config.agentsDomain}`,
        authorizationUser: agent.extension,
        password: sp.password,
        displayName: agent.name || agent.extension,
        iceServers: sp.iceServers,
      };
    },
  );
};

const desktopAdmin: FastifyPluginAsyncTypebox<{ parts: RouterParts }> = async (app, { parts }) => {
  const security = [{ bearer: [] }];
  const links = new LinkTable(parts.redis, parts.acd.keys);
  const tags = ['agent-desktop'];

  app.post(
    '/admin/agents/:id/tokens/revoke',
    {
      config: { roles: OPERATE },
      schema: {
        tags,
        summary: 'Revoke every desktop token issued to the agent so far and close its desktops',
        security,
        params: AgentId,
        response: { 200: Type.Object({ revokedUntil: Type.Integer() }), 404: Err },
      },
    },
    async (req, reply) => {
      if (!(await parts.acd.getAgent(req.params.id))) {
        return reply.code(404).send({ error: 'not_found', message: `no agent ${req.params.id}` });
      }
      return { revokedUntil: await parts.hub.revokeTokens(req.params.id) };
    },
  );

  app.get(
    '/admin/desktops',
    {
      config: { roles: WATCH },
      schema: {
        tags,
        summary: "Agents' desktops: connected anywhere, latest sequence number, latest acknowledged",
        security,
        response: {
          200: Type.Array(
            Type.Object({
              agentId: Type.String(),
              state: Type.String(),
              live: Type.Boolean(),
              lastSeq: Type.Integer(),
              lastAck: Type.Integer(),
            }),
          ),
        },
      },
    },
    async () => {
      const agents = await parts.acd.listAgents();
      return Promise.all(
        agents.map(async (a) => ({
          agentId: a.id,
          state: a.state,
          live: await parts.hub.hasLiveDesktop(a.id),
          lastSeq: await parts.hub.lastSeq(a.id),
          lastAck: await parts.hub.lastAck(a.id),
        })),
      );
    },
  );

  app.post(
    '/admin/desktop/tidal',
    {
      config: { roles: SUPERVISE },
      schema: {
        tags,
        summary: 'Tidal staffing notice (潮汐排班) to agents: they move to the front line or back office',
        security,
        body: Type.Object({
          agentIds: AgentIds,
          at: Type.String({
            pattern: '^([01]\\d|2[0-3]):[0-5]\\d$',
            description: 'HH:MM China time, next occurrence',
          }),
          toPool: Type.String({ minLength: 1, maxLength: 20, description: 'front or back' }),
          fromPool: Type.Optional(Type.String({ maxLength: 20 })),
          text: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        }),
        response: { 200: Sent },
      },
    },
    async (req) => {
      const effectiveAt = nextLocalTime(req.body.at);
      const sent = [];
      for (const agentId of req.body.agentIds) {
        const seq = await parts.hub.tidalNotice(agentId, {
          effectiveAt,
          toPool: req.body.toPool,
          fromPool: req.body.fromPool,
          text: req.body.text,
        });
        sent.push({ agentId, seq });
      }
      return { sent };
    },
  );

  app.post(
    '/admin/desktop/message',
    {
      config: { roles: SUPERVISE },
      schema: {
        tags,
        summary: "A supervisor's message to agents' desktops",
        security,
        body: Type.Object({
          agentIds: AgentIds,
          text: Type.String({ minLength: 1, maxLength: 500 }),
          from: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 40,
              description: 'ignored: agents see the signed-in user or token, never a name sent in the body',
            }),
          ),
          level: Type.Optional(Type.Union([Type.Literal('info'), Type.Literal('urgent')])),
        }),
        response: { 200: Sent },
      },
    },
    async (req) => {
      const sent = [];
      for (const agentId of req.body.agentIds) {
        // The sender agents see is who signed in: a name in the body could be anyone's.
        const seq = await parts.hub.supervisorMessage(
          agentId,
          actorName(req.principal!),
          req.body.text,
          req.body.level,
        );
        sent.push({ agentId, seq });
      }
      return { sent };
    },
  );

  const Scope = Type.Object({
    scope: Type.String({
      pattern: LINK_SCOPE,
      description: 'line:<number>, skill:<skill> or ivr:<line>:<node label>',
    }),
  });
  app.get(
    '/admin/screenpop/links',
    {
      config: { roles: READ },
      schema: {
        tags,
        summary: 'Policy links shown in the screen-pop, per line, skill and IVR node',
        security,
        response: { 200: Type.Record(Type.String(), Type.Array(Link)) },
      },
    },
    async () => links.all(),
  );
  app.put(
    '/admin/screenpop/links/:scope',
    {
      config: { roles: CONFIGURE },
      schema: {
        tags,
        summary: 'Set the links of one scope (an empty list removes it)',
        security,
        params: Scope,
        body: Type.Object({ links: Type.Array(Link, { maxItems: 20 }) }),
        response: { 200: Type.Object({ scope: Type.String(), links: Type.Array(Link) }) },
      },
    },
    async (req) => {
      await links.put(req.params.scope, req.body.links);
      return { scope: req.params.scope, links: req.body.links };
    },
  );
  app.delete(
    '/admin/screenpop/links/:scope',
    {
      config: { roles: CONFIGURE },
      schema: {
        tags,
        summary: 'Remove the links of one scope',
        security,
        params: Scope,
        response: { 200: Type.Object({ removed: Type.Boolean() }) },
      },
    },
    async (req) => ({ removed: await links.remove(req.params.scope) }),
  );
};

/** The next epoch ms at which China Standard Time shows HH:MM (today if still ahead, else tomorrow). */
export function nextLocalTime(hhmm: string, now = Date.now()): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  const cstMidnight = Math.floor((now + 8 * 3600_000) / 86400_000) * 86400_000 - 8 * 3600_000;
  let t = cstMidnight + (h * 60 + m) * 60_000;
  if (t <= now) t += 86400_000;
  return t;
}

/**
 * An agent's desktop is gone (closed or dead, and not back within the grace). If the agent is idle (ready, or in
 * wrap-up, after which they would be ready), they go not ready with reason desktop-lost: a call must not be
 * bridged to someone with no screen. Every instance hears of the loss; the state change refuses an agent who
 * was offered a call meanwhile, and is harmless done twice.
 * If the phone rings: end the ring as a no-answer, so the call flow
 * re-offers the call at once instead of after the full ring timeout. Runs on the instance that owns
 * the call; hangs up only the ringing agent leg (tagged hotline_call_id), only while the call is still
 * offered to that agent. The call flow may replace this with its own handling of onDesktopLost.
 */
export function installDesktopLossPolicy(parts: RouterParts, log: Logger): () => void {
  return parts.hub.onDesktopLost((agentId) => {
    void (async () => {
      const now = await parts.acd.getAgent(agentId);
      if (now && (now.state === 'ready' || now.state === 'wrapup')) {
        const was = await parts.acd.setAgentState(agentId, 'not_ready', 'desktop-lost').catch(() => null);
        if (was === 'ready' || was === 'wrapup') {
          log.warn({ agentId, was }, 'desktop lost: agent set not ready (desktop-lost)');
        }
        return;
      }
      for (let attempt = 0; attempt < 5; attempt++) {
        const a = await parts.acd.getAgent(agentId);
        const callId = a?.callId;
        if (!callId || (a.state !== 'ringing' && a.state !== 'reserved')) return;
        if (!parts.sessions.has(callId)) return; // another instance owns the call
        const call = await parts.acd.getCall(callId);
        if (call?.agent !== agentId) return;
        if (a.state === 'ringing') {
          log.warn({ agentId, callId }, 'desktop lost while ringing: ending the ring as no-answer');
          await parts.fsLink.api(`hupall NO_ANSWER hotline_call_id ${callId}`).catch((err: Error) => {
            log.warn({ agentId, err: err.message }, 'could not end the ring');
          });
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    })().catch((err: Error) => log.warn({ agentId, err: err.message }, 'desktop-lost policy failed'));
  });
}
