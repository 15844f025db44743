// The published JSON Schema of a menu document (served at /admin/ivr/schema), and parsing of JSON or
// YAML text into a document. Structural checks live here; meaning (reachability, queues) in validate.ts.
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import YAML from 'yaml';
import type { MenuDocument } from './types.ts';

const PromptS = Type.Object({ file: Type.String(), text: Type.String() }, { additionalProperties: false });
const Priority = Type.Union([Type.Literal('care'), Type.Literal('enterprise'), Type.Literal('normal')]);
const common = { label: Type.Optional(Type.String({ maxLength: 40 })) };

const NodeS = Type.Union([
  Type.Object({
    type: Type.Literal('menu'),
    ...common,
    prompt: PromptS,
    options: Type.Array(
      Type.Object(
        { digit: Type.String(), next: Type.String(), label: Type.Optional(Type.String()) },
        { additionalProperties: false },
      ),
    ),
    timeoutMs: Type.Optional(Type.Integer()),
    retries: Type.Optional(Type.Integer()),
    invalidPrompt: Type.Optional(PromptS),
    noInputPrompt: Type.Optional(PromptS),
  }),
  Type.Object({ type: Type.Literal('announce'), ...common, prompt: PromptS, next: Type.String() }),
  Type.Object({
    type: Type.Literal('queue'),
    ...common,
    skill: Type.String(),
    priority: Type.Optional(Priority),
    declaresCare: Type.Optional(Type.Boolean()),
    prompt: Type.Optional(PromptS),
  }),
  Type.Object({
    type: Type.Literal('transfer'),
    ...common,
    subcenterLine: Type.Optional(Type.String()),
    uri: Type.Optional(Type.String()),
    prompt: Type.Optional(PromptS),
    fallback: Type.Optional(Type.String()),
  }),
  Type.Object({
    type: Type.Literal('hours'),
    ...common,
    open: Type.Array(
      Type.Object({ days: Type.Array(Type.Integer()), from: Type.String(), to: Type.String() }),
    ),
    holidays: Type.Optional(Type.Array(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }))),
    workdays: Type.Optional(Type.Array(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }))),
    whenOpen: Type.String(),
    whenClosed: Type.String(),
  }),
  Type.Object({
    type: Type.Literal('survey'),
    ...common,
    intro: Type.Optional(PromptS),
    questions: Type.Array(
      Type.Object({
        key: Type.Union([Type.Literal('speed'), Type.Literal('resolution'), Type.Literal('attitude')]),
        prompt: PromptS,
      }),
    ),
    thanks: Type.Optional(PromptS),
    timeoutMs: Type.Optional(Type.Integer()),
  }),
  Type.Object({
    type: Type.Literal('language'),
    ...common,
    prompt: PromptS,
    options: Type.Array(
      Type.Object({ digit: Type.String(), language: Type.String(), label: Type.Optional(Type.String()) }),
    ),
    next: Type.String(),
    timeoutMs: Type.Optional(Type.Integer()),
  }),
  Type.Object({ type: Type.Literal('hangup'), ...common, prompt: Type.Optional(PromptS) }),
]);

export const MenuDocumentSchema = Type.Object(
  {
    line: Type.String({ pattern: '^\\d{3,8}$' }),
    mode: Type.Union([Type.Literal('direct'), Type.Literal('menu')]),
    human: Type.Object({
      skill: Type.String(),
      priority: Type.Optional(Priority),
      label: Type.Optional(Type.String()),
    }),
    greeting: Type.Optional(PromptS),
    greetingOptions: Type.Optional(
      Type.Array(
        Type.Object(
          { digit: Type.String(), next: Type.String(), label: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
        { maxItems: 9 },
      ),
    ),
    root: Type.Optional(Type.String()),
    nodes: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]{1,40}$' }), NodeS)),
    survey: Type.Optional(Type.String()),
  },
  { $id: 'MenuDocument', title: '12345 hotline IVR menu document' },
);

export type MenuDocumentStatic = Static<typeof MenuDocumentSchema>;

/** Parses JSON or YAML text; structural errors come back with their JSON path. */
export function parseMenuText(text: string): { doc: MenuDocument } | { errors: string[] } {
  let raw: unknown;
  try {
    raw = text.trimStart().startsWith('{') ? JSON.parse(text) : YAML.parse(text, { uniqueKeys: true });
  } catch (err) {
    return { errors: [`(document): cannot parse: ${(err as Error).message.split('\n')[0]}`] };
  }
  return checkStructure(raw);
}

export function checkStructure(raw: unknown): { doc: MenuDocument } | { errors: string[] } {
  if (Value.Check(MenuDocumentSchema, raw)) return { doc: raw as MenuDocument };
  const errors = [...Value.Errors(MenuDocumentSchema, raw)].slice(0, 20).map((e) => {
    const m = e.path.match(/^\/nodes\/([^/]+)/);
    return `${m ? m[1] : '(document)'}: ${e.path || '/'} ${e.message}`;
  });
  return { errors };
}
