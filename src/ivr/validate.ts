// Validation of a menu document before it can be published. Every problem names its node.
import { toMinutes } from './nodes/hours.ts';
import { ZERO } from './runtime.ts';
import type { IvrNode, MenuDocument, Prompt } from './types.ts';

export interface ValidationProblem {
  node: string;
  message: string;
}

export interface ValidationContext {
  /** Queues (skills) the ACD knows. */
  queues: ReadonlySet<string>;
  /** Service lines of the number plan, with sub-center lines marked. */
  lines: ReadonlyMap<string, { subcenter: boolean }>;
  /** Menu levels allowed below the root (default 3). */
  maxDepth?: number;
}

const NODE_TYPES = new Set([
  'menu',
  'announce',
  'queue',
  'transfer',
  'hours',
  'survey',
  'language',
  'hangup',
]);
const TERMINAL = new Set(['queue', 'transfer', 'hangup']);

function successors(n: IvrNode): string[] {
  switch (n.type) {
    case 'menu':
      return n.options.map((o) => o.next);
    case 'announce':
    case 'language':
      return [n.next];
    case 'hours':
      return [n.whenOpen, n.whenClosed];
    case 'transfer':
      return n.fallback ? [n.fallback] : [];
    default:
      return [];
  }
}

function promptProblem(p: Prompt | undefined, what: string): string | null {
  if (!p) return `missing ${what}`;
  if (typeof p.file !== 'string' || !p.file.trim()) return `${what} has no audio file`;
  if (typeof p.text !== 'string' || !p.text.trim()) return `${what} has no Chinese text`;
  return null;
}

export function validateMenu(doc: MenuDocument, ctx: ValidationContext): ValidationProblem[] {
  const out: ValidationProblem[] = [];
  const add = (node: string, message: string) => out.push({ node, message });
  const maxDepth = ctx.maxDepth ?? 3;

  if (!doc || typeof doc !== 'object')
    return [{ node: '(document)', message: 'menu document must be an object' }];
  if (!ctx.lines.has(doc.line)) add('(document)', `unknown line ${JSON.stringify(doc.line)}`);
  if (doc.mode !== 'direct' && doc.mode !== 'menu') add('(document)', 'mode must be "direct" or "menu"');
  if (!doc.human || typeof doc.human.skill !== 'string')
    add('(document)', 'human.skill is required (where 0 goes)');
  else if (!ctx.queues.has(doc.human.skill))
    add('(document)', `unknown queue ${JSON.stringify(doc.human.skill)} for human`);
  const nodes = doc.nodes ?? {};
  // A direct line may have no greeting at all (callers go straight to a human); one it has must be complete.
  if (doc.mode === 'direct' && doc.greeting !== undefined) {
    const p = promptProblem(doc.greeting, 'greeting prompt');
    if (p) add('(document)', p);
  }
  if (doc.greetingOptions !== undefined) {
    if (doc.mode !== 'direct')
      add('(document)', 'greetingOptions belong to a direct line (a menu has options)');
    if (!doc.greeting) add('(document)', 'greetingOptions need a greeting that names them');
    const seen = new Set<string>();
    for (const o of Array.isArray(doc.greetingOptions) ? doc.greetingOptions : []) {
      if (!/^[1-9*#]$/.test(o?.digit ?? ''))
        add(
          '(document)',
          `greeting option digit ${JSON.stringify(o?.digit)} is not a single key other than 0`,
        );
      if (seen.has(o.digit)) add('(document)', `greeting option digit ${o.digit} is used twice`);
      seen.add(o.digit);
      if (typeof o.next !== 'string' || !nodes[o.next])
        add(
          '(document)',
          `greeting option ${o.digit} leads to node ${JSON.stringify(o.next)}, which does not exist`,
        );
    }
  }
  if (doc.mode === 'menu') {
    if (!doc.root) add('(document)', 'a menu needs a root node');
    else if (!nodes[doc.root]) add('(document)', `root node ${JSON.stringify(doc.root)} does not exist`);
  }

  for (const [id, n] of Object.entries(nodes)) {
    if (!n || !NODE_TYPES.has(n.type)) {
      add(id, `unknown node type ${JSON.stringify((n as { type?: unknown })?.type)}`);
      continue;
    }
    for (const next of successors(n)) {
      if (typeof next !== 'string' || !nodes[next])
        add(id, `leads to node ${JSON.stringify(next)}, which does not exist`);
    }
    switch (n.type) {
      case 'menu': {
        const p = promptProblem(n.prompt, 'prompt');
        if (p) add(id, p);
        if (!Array.isArray(n.options) || n.options.length === 0) add(id, 'a menu needs at least one option');
        const seen = new Set<string>();
        for (const o of n.options ?? []) {
          if (!/^[0-9*#]$/.test(o.digit))
            add(id, `option digit ${JSON.stringify(o.digit)} is not a single key`);
          if (o.digit === ZERO) add(id, 'digit 0 is reserved: it always reaches a human');
          if (seen.has(o.digit)) add(id, `digit ${o.digit} is used twice`);
          seen.add(o.digit);
        }
        if (n.retries !== undefined && (n.retries < 0 || n.retries > 5)) add(id, 'retries must be 0-5');
        if (n.timeoutMs !== undefined && (n.timeoutMs < 1000 || n.timeoutMs > 30000))
          add(id, 'timeoutMs must be 1000-30000');
        for (const [k, v] of [
          ['invalidPrompt', n.invalidPrompt],
          ['noInputPrompt', n.noInputPrompt],
        ] as const) {
          if (v) {
            const p2 = promptProblem(v, k);
            if (p2) add(id, p2);
          }
        }
        break;
      }
      case 'announce': {
        const p = promptProblem(n.prompt, 'prompt');
        if (p) add(id, p);
        if (!n.next) add(id, 'dead end: an announcement needs next');
        break;
      }
      case 'language': {
        const p = promptProblem(n.prompt, 'prompt');
        if (p) add(id, p);
        if (!n.next) add(id, 'dead end: a language choice needs next');
        break;
      }
      case 'queue':
        if (!ctx.queues.has(n.skill)) add(id, `unknown queue ${JSON.stringify(n.skill)}`);
        break;
      case 'transfer':
        if (!n.uri && !n.subcenterLine) add(id, 'a transfer needs uri or subcenterLine');
        if (n.uri && !/^sips?:\S+$/.test(n.uri)) add(id, `uri ${JSON.stringify(n.uri)} is not a SIP address`);
        if (n.subcenterLine) {
          const l = ctx.lines.get(n.subcenterLine);
          if (!l) add(id, `unknown line ${JSON.stringify(n.subcenterLine)}`);
          else if (!l.subcenter) add(id, `line ${n.subcenterLine} is not a sub-center line`);
        }
        break;
      case 'hours':
        if (!Array.isArray(n.open) || !n.open.length) add(id, 'hours need at least one open period');
        for (const p of n.open ?? []) {
          if (
            !/^\d{2}:\d{2}$/.test(p.from) ||
            !/^\d{2}:\d{2}$/.test(p.to) ||
            toMinutes(p.from) >= toMinutes(p.to)
          ) {
            add(id, `open period ${p.from}-${p.to} is not a valid HH:MM range`);
          }
          if (!p.days?.length || p.days.some((d) => d < 1 || d > 7))
            add(id, 'open days must be 1 (Monday) to 7');
        }
        break;
      case 'survey':
        if (!n.questions?.length) add(id, 'a survey needs questions');
        for (const q of n.questions ?? []) {
          const p = promptProblem(q.prompt, `prompt of question ${q.key}`);
          if (p) add(id, p);
        }
        break;
      case 'hangup':
        break;
    }
  }
  if (doc.survey && nodes[doc.survey]?.type !== 'survey')
    add('(document)', `survey ${JSON.stringify(doc.survey)} is not a survey node`);

  if (doc.mode === 'menu' && doc.root && nodes[doc.root]) {
    // Reachability and depth: breadth-first from the root, counting menu levels.
    const depth = new Map<string, number>([[doc.root, 0]]);
    const queue = [doc.root];
    while (queue.length) {
      const id = queue.shift()!;
      const n = nodes[id];
      if (!n || !NODE_TYPES.has(n.type)) continue;
      const d = depth.get(id)!;
      if (n.type === 'menu' && d > maxDepth)
        add(id, `menu is ${d} levels below the root; at most ${maxDepth} allowed`);
      for (const next of successors(n)) {
        if (!nodes[next] || depth.has(next)) continue;
        depth.set(next, d + (n.type === 'menu' ? 1 : 0));
        queue.push(next);
      }
    }
    for (const id of Object.keys(nodes)) {
      if (!depth.has(id) && id !== doc.survey) add(id, 'unreachable: no path from the root leads here');
    }
    // A loop that can never exit: nodes from which no terminal node (or a menu, whose 0 always
    // exits) can be reached.
    const canExit = new Set<string>();
    let changed = true;
    while (changed) {
      changed = false;
      for (const [id, n] of Object.entries(nodes)) {
        if (canExit.has(id) || !n || !NODE_TYPES.has(n.type)) continue;
        if (
          TERMINAL.has(n.type) ||
          n.type === 'menu' ||
          n.type === 'language' ||
          successors(n).some((s) => canExit.has(s))
        ) {
          canExit.add(id);
          changed = true;
        }
      }
    }
    for (const id of depth.keys()) {
      const n = nodes[id];
      if (n && NODE_TYPES.has(n.type) && !canExit.has(id))
        add(id, 'loop that can never exit: no way on to a human or an end');
    }
  }
  return out;
}
