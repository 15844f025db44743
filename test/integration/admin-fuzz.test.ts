// Fuzzing every admin route from the OpenAPI document the router serves: for each operation, inputs
// generated from its own parameter and body schemas (mostly near-valid, with hostile values mixed in:
// "Infinity", "1e400", impossible dates, wrong types, odd strings) must never answer 5xx, every 4xx
// must carry a reason, and afterwards the ACD's stored settings must still be valid numbers.
// FUZZ_RUNS (per route, default 100) and FUZZ_SEED repeat or widen a run.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.ts';

// A JSON Schema node, as @fastify/swagger writes it into the OpenAPI document.
interface Schema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  patternProperties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  required?: string[];
  items?: Schema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
}
interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema: Schema }> };
}

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

// Names the stack knows (queues, lines, an agent, its extension), so that generated requests also get
// past "no such queue" to the code that stores.
const KNOWN = ['general', 'hrss', 'market', 'urban', '12345', '12333', 'a1', '1001', '1002', '13800138000'];

const hostile: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(
  'Infinity',
  '-Infinity',
  '1e400',
  '-1e400',
  'NaN',
  '0x10',
  ' 7',
  '-1',
  '1.5',
  '99999999999999999999',
  '2026-02-30',
  '2026-13-01',
  '24:30',
  '99:99',
  '',
  ' ',
  '__proto__',
  'constructor',
  '../../etc/passwd',
  '%00',
  '１２３４５',
  '13800138000,x=y}',
  'a'.repeat(300),
  null,
  true,
  false,
  0,
  -1,
  1e308,
  -1e308,
  0.5,
  [],
  {},
  [1, 2],
  JSON.parse('{"__proto__":{"polluted":1}}') as unknown,
);

function numberArb(s: Schema, integer: boolean): fc.Arbitrary<unknown> {
  const lo = s.minimum ?? s.exclusiveMinimum ?? -1e6;
  const hi = s.maximum ?? s.exclusiveMaximum ?? 1e6;
  const inside = integer
    ? fc.integer({ min: Math.ceil(lo), max: Math.floor(hi) })
    : fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });
  // Just outside the bounds, and the same number as a string (coercion).
  const edges = fc.constantFrom(lo - 1, hi + 1, lo, hi, String(hi + 1), String(lo));
  return fc.oneof({ weight: 5, arbitrary: inside }, { weight: 1, arbitrary: edges });
}

function stringArb(s: Schema): fc.Arbitrary<unknown> {
  if (s.format === 'date') {
    return fc.oneof(
      fc
        .date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10)),
      fc
        .tuple(
          fc.integer({ min: 1990, max: 2100 }),
          fc.integer({ min: 0, max: 13 }),
          fc.integer({ min: 0, max: 32 }),
        )
        .map(([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`),
    );
  }
  if (s.format === 'date-time') {
    return fc
      .date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true })
      .map((d) => d.toISOString());
  }
  if (s.pattern) {
    const re = new RegExp(s.pattern);
    const fits = (x: string) => re.test(x) && x.length <= (s.maxLength ?? Infinity);
    const known = KNOWN.filter(fits);
    const any = fc.stringMatching(re).filter(fits);
    return known.length
      ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known) }, { weight: 2, arbitrary: any })
      : any;
  }
  return fc.string({
    minLength: s.minLength ?? 0,
    maxLength: Math.min(s.maxLength ?? 40, 60),
    unit: 'grapheme',
  });
}

function objectArb(s: Schema, depth: number): fc.Arbitrary<unknown> {
  const props = s.properties ?? {};
  const required = new Set(s.required ?? []);
  const fixed = fc.record(
    Object.fromEntries(Object.entries(props).map(([k, v]) => [k, fromSchema(v, depth + 1)])),
    { requiredKeys: Object.keys(props).filter((k) => required.has(k)) },
  );
  const patterned = Object.entries(s.patternProperties ?? {}).map(([pattern, v]) =>
    fc.dictionary(
      fc.oneof(
        { weight: 4, arbitrary: fc.stringMatching(new RegExp(pattern)) },
        { weight: 1, arbitrary: fc.string() },
      ),
      fromSchema(v, depth + 1),
      { maxKeys: 4 },
    ),
  );
  if (!patterned.length) return fixed;
  return fc
    .tuple(fixed, ...patterned)
    .map((parts) => Object.assign({}, ...(parts as Array<Record<string, unknown>>)) as unknown);
}

/** Values for a schema: mostly valid, sometimes hostile, at every level. */
function fromSchema(s: Schema, depth = 0): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 6, arbitrary: validish(s, depth) }, { weight: 1, arbitrary: hostile });
}

function validish(s: Schema, depth: number): fc.Arbitrary<unknown> {
  if (depth > 5) return fc.constant(null);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives?.length) return fc.oneof(...alternatives.map((a) => validish(a, depth)));
  if (s.allOf?.length) {
    return fc
      .tuple(...s.allOf.map((a) => validish(a, depth)))
      .map((parts) => Object.assign({}, ...parts.filter((p) => p && typeof p === 'object')) as unknown);
  }
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'integer':
      return numberArb(s, true);
    case 'number':
      return numberArb(s, false);
    case 'string':
      return stringArb(s);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(s.items ? fromSchema(s.items, depth + 1) : fc.jsonValue({ maxDepth: 1 }), {
        maxLength: Math.min(s.maxItems ?? 4, 4),
      });
    case 'object':
      return objectArb(s, depth);
    default:
      return s.properties ? objectArb(s, depth) : fc.jsonValue({ maxDepth: 2 });
  }
}

interface Request {
  path: string;
  query: Record<string, unknown>;
  body: unknown;
}

function requestArb(route: string, op: Operation): fc.Arbitrary<Request> {
  const params = op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  const bodySchema = op.requestBody?.content?.['application/json']?.schema;
  return fc
    .record({
      path: fc.record(Object.fromEntries(pathParams.map((p) => [p.name, fromSchema(p.schema)]))),
      query: fc.record(Object.fromEntries(queryParams.map((p) => [p.name, fromSchema(p.schema)])), {
        requiredKeys: [],
      }),
      body: bodySchema
        ? fc.oneof(
            { weight: 8, arbitrary: fromSchema(bodySchema) },
            { weight: 1, arbitrary: fc.constant(undefined) },
          )
        : fc.constant(undefined),
    })
    .map(({ path, query, body }) => ({
      path: route.replace(/\{(\w+)\}/g, (_m, name: string) =>
        encodeURIComponent(typeof path[name] === 'object' ? JSON.stringify(path[name]) : String(path[name])),
      ),
      query,
      body,
    }));
}

function queryString(q: Record<string, unknown>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v])
      sp.append(k, typeof one === 'object' ? JSON.stringify(one) : String(one));
  }
  const s = sp.toString();
  return s ? `?${s}` : '';
}

let stack: Stack;
let token: string;
let spec: { paths: Record<string, Record<string, Operation>> };
beforeAll(async () => {
  stack = await startStack();
  token = stack.router.parts.config.adminToken;
  spec = (await fetch(`${stack.http}/docs/json`).then((r) => r.json())) as typeof spec;
  // Something for the per-agent and per-line routes to find.
  await stack.addAgent('a1', '1001', { general: 1 });
});
afterAll(async () => {
  await stack.stop();
});

async function send(method: string, req: Request): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${stack.http}${req.path}${queryString(req.query)}`, {
    method: method.toUpperCase(),
    headers: {
      authorization: `Bearer ${token}`,
      ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: req.body !== undefined ? JSON.stringify(req.body) : undefined,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (the chart's SVG)
  }
  return { status: res.status, body };
}

describe('admin API under fuzzed input', () => {
  it('answers every generated request to every admin route without a 5xx, and 4xx with a reason', async () => {
    const ops = Object.entries(spec.paths)
      // Revoking the shared token would lock the fuzzer out of every later route (tested in accounts.test.ts); the
      // wallboard's event stream never ends (tested in console-page.test.ts).
      .filter(
        ([route]) =>
          route.startsWith('/admin/') &&
          route !== '/admin/api-tokens/shared/revoke' &&
          route !== '/admin/wallboard/stream',
      )
      .flatMap(([route, methods]) =>
        Object.entries(methods)
          .filter(([m]) => ['get', 'put', 'post', 'patch', 'delete'].includes(m))
          .map(([method, op]) => ({ route, method, op })),
      );
    expect(ops.length).toBeGreaterThan(30);
    const statuses: Record<string, number> = {};
    const failures: string[] = [];
    for (const { route, method, op } of ops) {
      const details = await fc.check(
        fc.asyncProperty(requestArb(route, op), async (req) => {
          const res = await send(method, req);
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          const where = `${method.toUpperCase()} ${req.path}${queryString(req.query)} ${JSON.stringify(req.body)}`;
          expect(res.status, `${where} -> ${JSON.stringify(res.body)}`).toBeLessThan(500);
          if (res.status >= 400) {
            expect(
              (res.body as { message?: unknown } | null)?.message,
              `${where} -> ${res.status} without a reason`,
            ).toEqual(expect.any(String));
          }
        }),
        { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true },
      );
      if (details.failed) {
        const e = details.errorInstance;
        failures.push(`seed ${details.seed}: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
      }
    }
    expect(failures).toEqual([]);
    // The run was not all refusals: valid inputs got through too.
    expect(statuses[200] ?? 0).toBeGreaterThan(ops.length);
  }, 120_000);

  it('leaves the stored ACD settings valid numbers within their bounds', async () => {
    const { redis } = stack.router.parts;
    const queues = await redis.hgetall(`${stack.prefix}queues`);
    expect(Object.keys(queues).length).toBeGreaterThan(0);
    const within = (v: unknown, lo: number, hi: number) =>
      typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
    for (const [skill, text] of Object.entries(queues)) {
      const q = JSON.parse(text) as Record<string, unknown>;
      expect(q.skill).toBe(skill);
      expect(within(q.overflowAfterS, 0, 3600), `${skill} ${text}`).toBe(true);
      expect(within(q.maxWaitS, 0, 7200), `${skill} ${text}`).toBe(true);
      expect(within(q.wrapupS, 0, 600), `${skill} ${text}`).toBe(true);
      expect(within(q.serviceLevelS, 1, 600), `${skill} ${text}`).toBe(true);
    }
    const settingsText = await redis.get(`${stack.prefix}acd-settings`);
    const s = JSON.parse(settingsText ?? '{}') as Record<string, unknown>;
    expect(within(s.maxNoAnswer, 0, 20), settingsText ?? '').toBe(true);
    expect(within(s.callbackOfferAboveS, 0, 7200), settingsText ?? '').toBe(true);
    expect(within(s.announceEveryS, 5, 600), settingsText ?? '').toBe(true);
    for (const group of ['classWeights', 'ageingRates'] as const) {
      for (const v of Object.values(s[group] as Record<string, unknown>)) {
        expect(typeof v === 'number' && Number.isFinite(v), settingsText ?? '').toBe(true);
      }
    }
    expect((await stack.admin('/admin/queues')).status).toBe(200);
    expect((await stack.admin('/admin/acd/settings')).status).toBe(200);
    expect((await stack.admin('/admin/agents')).status).toBe(200);
    expect((await stack.admin('/admin/lines')).status).toBe(200);
  });
});
