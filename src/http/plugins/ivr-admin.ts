// Admin API for IVR menus (list, get, validate, publish, roll back, funnel), the care list and
// incident announcements. Publishes, rollbacks, care-list entries and incidents are recorded under the
// authenticated actor (the signed-in user, or token:<name>), never a name sent in the body.
import { actorName, CONFIGURE, OPERATE, READ, WATCH } from '../../accounts/roles.ts';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { checkStructure, MenuDocumentSchema, parseMenuText } from '../../ivr/schema.ts';
import { validateMenu } from '../../ivr/validate.ts';
import { validationContext } from '../../ivr/validation-context.ts';
import { dayOf } from '../../records/call-records.ts';
import type { RouterParts } from '../../router.ts';
import { DateStr } from '../schemas.ts';

const Err = Type.Object({ error: Type.String(), message: Type.String() });
const ProblemList = Type.Array(Type.Object({ node: Type.String(), message: Type.String() }));
const Problems = Type.Object({ valid: Type.Boolean(), problems: ProblemList });
// A publish refused: the menu's problems when it was the menu; only the reason when the request
// itself was malformed (answered by the application's validation handler).
const PublishRefused = Type.Object({
  error: Type.String(),
  message: Type.String(),
  valid: Type.Optional(Type.Boolean()),
  problems: Type.Optional(ProblemList),
});
const Line = Type.Object({ line: Type.String({ pattern: '^\\d{3,8}$' }) });
// Still accepted so that existing clients keep working, but not used.
const Operator = Type.Optional(
  Type.String({
    minLength: 1,
    maxLength: 40,
    description: 'ignored: the audit names the signed-in user or token, never a name sent in the body',
  }),
);
const PromptS = Type.Object({ file: Type.String({ minLength: 1 }), text: Type.String({ minLength: 1 }) });

export const ivrAdminPlugin: FastifyPluginAsyncTypebox<{ parts: RouterParts }> = async (app, { parts }) => {
  const security = [{ bearer: [] }];
  const { menus, care, incidentStore, funnelStore } = parts.ivr;

  async function check(raw: unknown) {
    const s = checkStructure(raw);
    if ('errors' in s) {
      return {
        doc: null,
        problems: s.errors.map((e) => ({ node: e.split(':')[0]!, message: e.slice(e.indexOf(':') + 2) })),
      };
    }
    return { doc: s.doc, problems: validateMenu(s.doc, validationContext(await parts.numberPlan.lines())) };
  }

  app.get(
    '/admin/ivr/schema',
    {
      config: { roles: READ },
      schema: { tags: ['ivr'], summary: 'JSON Schema of a menu document', security },
    },
    async () => MenuDocumentSchema,
  );

  app.get(
    '/admin/ivr',
    {
      config: { roles: READ },
      schema: {
        tags: ['ivr'],
        summary: "Each line's current menu version",
        security,
        response: {
          200: Type.Array(Type.Object({ line: Type.String(), version: Type.Integer(), mode: Type.String() })),
        },
      },
    },
    async () => {
      const out = [];
      for (const l of await parts.numberPlan.lines()) {
        const cur = await menus.current(l.number);
        if (cur) out.push({ line: l.number, version: cur.version, mode: cur.doc.mode });
      }
      return out;
    },
  );

  app.get(
    '/admin/ivr/:line',
    {
      config: { roles: READ },
      schema: {
        tags: ['ivr'],
        summary: "A line's menu: the current version, or ?version=N",
        security,
        params: Line,
        querystring: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }),
        response: {
          200: Type.Object({
            version: Type.Integer(),
            versions: Type.Array(Type.Integer()),
            doc: Type.Unknown(),
          }),
          404: Err,
        },
      },
    },
    async (req, reply) => {
      const { line } = req.params;
      const versions = await menus.versions(line);
      if (req.query.version) {
        const doc = await menus.get(line, req.query.version);
        if (!doc)
          return reply
            .code(404)
            .send({ error: 'not_found', message: `line ${line} has no version ${req.query.version}` });
        return { version: req.query.version, versions, doc };
      }
      const cur = await menus.current(line);
      if (!cur) return reply.code(404).send({ error: 'not_found', message: `line ${line} has no menu` });
      return { version: cur.version, versions, doc: cur.doc };
    },
  );

  app.post(
    '/admin/ivr/validate',
    {
      config: { roles: CONFIGURE },
      schema: {
        tags: ['ivr'],
        summary: 'Validate a menu document without publishing it',
        security,
        body: Type.Unknown(),
        response: { 200: Problems },
      },
    },
    async (req) => {
      const { problems } = await check(req.body);
      return { valid: problems.length === 0, problems };
    },
  );

  app.post(
    '/admin/ivr/:line/publish',
    {
      config: { roles: CONFIGURE },
      schema: {
        tags: ['ivr'],
        summary: 'Publish a new immutable menu version (calls in the IVR keep theirs)',
        security,
        params: Line,
        body: Type.Object({
          operator: Operator,
          doc: Type.Optional(Type.Unknown({ description: 'the menu as a JSON object' })),
          yaml: Type.Optional(Type.String({ description: 'or the menu as YAML (or JSON) text' })),
        }),
        response: { 200: Type.Object({ version: Type.Integer() }), 400: PublishRefused },
      },
    },
    async (req, reply) => {
      let raw: unknown = req.body.doc;
      if (req.body.yaml !== undefined) {
        const parsed = parseMenuText(req.body.yaml);
        if ('errors' in parsed) {
          const problems = parsed.errors.map((e) => ({
            node: e.split(':')[0]!,
            message: e.slice(e.indexOf(':') + 2),
          }));
          return reply
            .code(400)
            .send({ error: 'invalid_menu', message: 'the menu text does not parse', valid: false, problems });
        }
        raw = parsed.doc;
      }
      const { doc, problems } = await check(raw);
      if (!doc || problems.length) {
        return reply
          .code(400)
          .send({ error: 'invalid_menu', message: 'the menu has problems', valid: false, problems });
      }
      if (doc.line !== req.params.line) {
        return reply
          .code(400)
          .send({ error: 'bad_request', message: 'doc.line must match the URL', valid: false, problems: [] });
      }
      return { version: await menus.publish(doc, actorName(req.principal!)) };
    },
  );

  app.post(
    '/admin/ivr/:line/rollback',
    {
      config: { roles: CONFIGURE },
      schema: {
        tags: ['ivr'],
        summary: 'Make an earlier version current again',
        security,
        params: Line,
        body: Type.Object({ operator: Operator, version: Type.Integer({ minimum: 1 }) }),
        response: { 200: Type.Object({ version: Type.Integer() }), 404: Err },
      },
    },
    async (req, reply) => {
      if (!(await menus.rollback(req.params.line, req.body.version, actorName(req.principal!)))) {
        return reply.code(404).send({
          error: 'not_found',
          message: `line ${req.params.line} has no version ${req.body.version}`,
        });
      }
      return { version: req.body.version };
    },
  );

  app.get(
    '/admin/ivr/audit',
    {
      config: { roles: READ },
      schema: { tags: ['ivr'], summary: 'Who published or rolled back which menu, newest first', security },
    },
    async () => menus.audit(),
  );

  app.get(
    '/admin/ivr/:line/funnel',
    {
      config: { roles: WATCH },
      schema: {
        tags: ['ivr'],
        summary: 'IVR funnel: per node, callers who entered, pressed 0, gave no input, hung up',
        security,
        params: Line,
        querystring: Type.Object({ date: Type.Optional(DateStr) }),
      },
    },
    async (req) => {
      const date = req.query.date ?? dayOf(Date.now());
      return { line: req.params.line, date, nodes: await funnelStore.read(req.params.line, date) };
    },
  );

  app.get(
    '/admin/care-list',
    {
      config: { roles: READ },
      schema: { tags: ['care'], summary: 'The care list, numbers masked', security },
    },
    async () => care.listMasked(),
  );

  app.put(
    '/admin/care-list/:number',
    {
      config: { roles: OPERATE },
      schema: {
        tags: ['care'],
        summary: 'Register an elderly or disabled caller',
        security,
        params: Type.Object({ number: Type.String({ pattern: '^\\+?[0-9]{7,15}$' }) }),
        body: Type.Object({
          kind: Type.Union([Type.Literal('elderly'), Type.Literal('disabled'), Type.Literal('other')]),
          operator: Operator,
          note: Type.Optional(Type.String({ maxLength: 100 })),
        }),
      },
    },
    async (req) => {
      await care.add(req.params.number, req.body.kind, actorName(req.principal!), req.body.note);
      return { ok: true };
    },
  );

  app.delete(
    '/admin/care-list/:number',
    {
      config: { roles: OPERATE },
      schema: {
        tags: ['care'],
        summary: 'Remove a number from the care list',
        security,
        params: Type.Object({ number: Type.String() }),
      },
    },
    async (req, reply) =>
      (await care.remove(req.params.number))
        ? { ok: true }
        : reply.code(404).send({ error: 'not_found', message: 'not on the care list' }),
  );

  app.get(
    '/admin/incidents',
    {
      config: { roles: WATCH },
      schema: { tags: ['ivr'], summary: 'Incident announcements and their key-press counts', security },
    },
    async () => {
      const [list, acks] = await Promise.all([incidentStore.list(), incidentStore.acks()]);
      return list.map((i) => ({
        ...i,
        acks: acks[i.id] ?? 0,
        active: Date.now() >= i.startsAt && Date.now() < i.endsAt,
      }));
    },
  );

  app.post(
    '/admin/incidents',
    {
      config: { roles: OPERATE },
      schema: {
        tags: ['ivr'],
        summary: 'Put an announcement at the top of lines\u2019 menus for a time window',
        security,
        body: Type.Object({
          lines: Type.Array(Type.String({ pattern: '^(\\*|\\d{3,8})$' }), { minItems: 1 }),
          prompt: PromptS,
          ackDigit: Type.Optional(Type.String({ pattern: '^[1-9*#]$' })),
          startsAt: Type.String({ format: 'date-time' }),
          endsAt: Type.String({ format: 'date-time' }),
          operator: Operator,
        }),
        response: {
          200: Type.Object({
            id: Type.String(),
            lines: Type.Array(Type.String()),
            prompt: PromptS,
            ackDigit: Type.String(),
            startsAt: Type.Integer(),
            endsAt: Type.Integer(),
            createdBy: Type.String(),
          }),
          400: Err,
        },
      },
    },
    async (req, reply) => {
      const startsAt = Date.parse(req.body.startsAt);
      const endsAt = Date.parse(req.body.endsAt);
      if (!(endsAt > startsAt))
        return reply.code(400).send({ error: 'bad_request', message: 'endsAt must be after startsAt' });
      return incidentStore.add({
        lines: req.body.lines,
        prompt: req.body.prompt,
        ackDigit: req.body.ackDigit ?? '1',
        startsAt,
        endsAt,
        createdBy: actorName(req.principal!),
      });
    },
  );

  app.delete(
    '/admin/incidents/:id',
    {
      config: { roles: OPERATE },
      schema: {
        tags: ['ivr'],
        summary: 'Remove an announcement',
        security,
        params: Type.Object({ id: Type.String() }),
      },
    },
    async (req, reply) =>
      (await incidentStore.remove(req.params.id))
        ? { ok: true }
        : reply.code(404).send({ error: 'not_found', message: 'no such incident' }),
  );
};
