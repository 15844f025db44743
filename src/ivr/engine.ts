// The IVR interpreter: a pure, synchronous machine over one published menu document. The telephony
// adapter carries out each Instruction and feeds the result back; the simulator can do the same.
import type { PriorityClass } from '../acd/types.ts';
import { announceInput, enterAnnounce } from './nodes/announce.ts';
import { enterHangup } from './nodes/hangup.ts';
import { enterHours } from './nodes/hours.ts';
import { enterLanguage, languageInput } from './nodes/language.ts';
import { enterMenu, menuInput } from './nodes/menu.ts';
import { enterQueue } from './nodes/queue.ts';
import { enterTransfer, transferInput } from './nodes/transfer.ts';
import type { HumanReason, Instruction, IvrInput, NodeRuntime, Transition } from './runtime.ts';
import { ZERO } from './runtime.ts';
import type { IvrNode, MenuDocument, Prompt } from './types.ts';

export interface ActiveIncident {
  id: string;
  prompt: Prompt;
  /** The key a caller presses to say the incident is why they called. */
  ackDigit: string;
}

export interface IvrContext {
  now(): number;
  careListed: boolean;
  incidents: ActiveIncident[];
  subcenterUri(line: string): string | undefined;
}

export interface PathStep {
  node: string;
  label: string;
  type: string;
  enteredAt: number;
  leftAt?: number;
  digit?: string;
  /** How the caller left the node: a digit, no-input, invalid, hangup... */
  exit?: string;
}

export type Effect = { kind: 'incident-ack'; incidentId: string };

/** Two no-inputs in a row mean the caller may not manage the keypad: a human, with care priority. */
export const NO_INPUT_LIMIT = 2;
const MAX_STEPS = 200;

export class IvrRun {
  readonly path: PathStep[] = [];
  readonly effects: Effect[] = [];
  private current = '';
  private pendingIncidents: ActiveIncident[];
  private readonly rt: NodeRuntime;
  private steps = 0;

  constructor(
    readonly doc: MenuDocument,
    private readonly ctx: IvrContext,
  ) {
    this.pendingIncidents = [...ctx.incidents];
    this.rt = {
      now: ctx.now,
      attempts: 0,
      noInputStreak: 0,
      language: 'zh',
      setLanguage: (l) => {
        this.rt.language = l;
      },
      subcenterUri: ctx.subcenterUri,
    };
  }

  get language(): string {
    return this.rt.language;
  }

  start(): Instruction {
    if (this.ctx.careListed) {
      this.enter('care-list', '关爱名单', 'care');
      return this.human('care-list', 'care');
    }
    return this.afterIncidents();
  }

  next(input: IvrInput): Instruction {
    if (++this.steps > MAX_STEPS) return this.human('retries');
    const id = this.current;
    if (id.startsWith('incident:')) return this.onIncidentInput(input);
    if (id === 'greeting') {
      this.leave(input);
      if (input.kind !== 'digit') return this.human('direct');
      if (input.digit === ZERO) return this.human('zero');
      const option = this.doc.greetingOptions?.find((o) => o.digit === input.digit);
      return option ? this.enterNode(option.next) : this.human('direct');
    }
    const node = this.node(id);
    this.trackNoInput(input);
    if (this.rt.noInputStreak >= NO_INPUT_LIMIT) {
      this.leave(input);
      return this.human('no-input', 'care');
    }
    let t: Transition | 'retry' | null;
    switch (node.type) {
      case 'menu':
        t = menuInput(node, id, this.rt, input);
        break;
      case 'announce':
        t = announceInput(node, input);
        break;
      case 'language':
        t = languageInput(node, this.rt, input);
        break;
      case 'transfer':
        t = transferInput(node, input);
        break;
      default:
        t = null;
    }
    if (t === 'retry') {
      this.rt.attempts++;
      this.leave(input);
      const last = this.path.at(-1);
      if (last && input.kind === 'digit') {
        last.digit = undefined;
        last.exit = `invalid:${input.digit}`;
      }
      return this.enterNode(id, { keepAttempts: true });
    }
    if (!t) return this.human('retries');
    this.leave(input);
    return this.apply(t);
  }

  /** Labels of the path for people (the screen-pop), e.g. ["主菜单", "按1 养老保险"]. */
  describePath(): string[] {
    return this.path.map((s) => (s.digit ? `${s.label}(按${s.digit})` : s.label));
  }

  private afterIncidents(): Instruction {
    const inc = this.pendingIncidents.shift();
    if (inc) {
      this.current = `incident:${inc.id}`;
      this.enter(this.current, '突发事件公告', 'incident');
      return {
        kind: 'collect',
        nodeId: this.current,
        prompt: inc.prompt,
        validDigits: `${ZERO}${inc.ackDigit}`,
        timeoutMs: 2000,
      };
    }
    if ((this.doc.mode === 'direct' || !this.doc.root) && !this.doc.greeting) {
      // Plain intake with nothing to say (GB/T 33358 advises against menus for it): straight to a human, not
      // even a moment of silence waiting for a 0.
      return this.human('direct');
    }
    if (this.doc.mode === 'direct' || !this.doc.root) {
      this.current = 'greeting';
      this.enter('greeting', '欢迎语', 'greeting');
      const greeting = this.doc.greeting ?? { file: 'silence_stream://100', text: '' };
      const keys = (this.doc.greetingOptions ?? []).map((o) => o.digit).join('');
      return {
        kind: 'collect',
        nodeId: 'greeting',
        prompt: greeting,
        validDigits: `${ZERO}${keys}`,
        timeoutMs: 500,
      };
    }
    return this.enterNode(this.doc.root);
  }

  private onIncidentInput(input: IvrInput): Instruction {
    const incidentId = this.current.slice('incident:'.length);
    this.leave(input);
    if (input.kind === 'digit') {
      if (input.digit === ZERO) return this.human('zero');
      this.effects.push({ kind: 'incident-ack', incidentId });
    }
    return this.afterIncidents();
  }

  private apply(t: Transition): Instruction {
    if ('human' in t) return this.human(t.human, t.priority);
    if ('goto' in t) return this.enterNode(t.goto);
    return t.instruction;
  }

  private enterNode(id: string, opts: { keepAttempts?: boolean } = {}): Instruction {
    if (++this.steps > MAX_STEPS) return this.human('retries');
    const node = this.node(id);
    this.current = id;
    if (!opts.keepAttempts) {
      this.rt.attempts = 0;
      this.rt.lastProblem = undefined;
    }
    this.enter(id, node.label ?? id, node.type);
    switch (node.type) {
      case 'menu':
        return enterMenu(node, id, this.rt);
      case 'announce':
        return enterAnnounce(node, id);
      case 'language':
        return enterLanguage(node, id);
      case 'queue':
        return this.apply(enterQueue(node, id));
      case 'transfer':
        return this.apply(enterTransfer(node, id, this.rt));
      case 'hours':
        this.leave({ kind: 'done' });
        return this.apply(enterHours(node, id, this.rt));
      case 'hangup':
        return this.apply(enterHangup(node, id));
      case 'survey':
        // A survey runs after the call, not inside the menu: treat reaching one as reaching a human.
        return this.human('menu');
    }
  }

  private human(reason: HumanReason, priority?: PriorityClass): Instruction {
    const h = this.doc.human;
    const p: PriorityClass = priority ?? h.priority ?? 'normal';
    this.enter('human', h.label ?? '转人工服务', 'queue');
    return { kind: 'queue', nodeId: 'human', skill: h.skill, priority: p, reason };
  }

  private node(id: string): IvrNode {
    const n = this.doc.nodes?.[id];
    if (!n) throw new Error(`IVR node ${id} does not exist in the menu of line ${this.doc.line}`);
    return n;
  }

  private trackNoInput(input: IvrInput): void {
    if (input.kind === 'no-input') this.rt.noInputStreak++;
    else if (input.kind === 'digit') this.rt.noInputStreak = 0;
  }

  private enter(node: string, label: string, type: string): void {
    this.path.push({ node, label, type, enteredAt: this.ctx.now() });
  }

  private leave(input: IvrInput): void {
    const last = this.path.at(-1);
    if (!last || last.leftAt !== undefined) return;
    last.leftAt = this.ctx.now();
    if (input.kind === 'digit') {
      last.digit = input.digit;
      last.exit = `digit:${input.digit}`;
    } else last.exit = input.kind;
  }
}
