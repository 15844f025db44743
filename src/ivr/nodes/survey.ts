// survey: after the agent hangs up first, the caller rates speed of response, resolution and
// attitude, each 1-5 by key press. A pure little machine of its own, run after the call.
import type { Instruction, IvrInput } from '../runtime.ts';
import type { Prompt, SurveyNode } from '../types.ts';

export type SurveyRatings = Partial<Record<'speed' | 'resolution' | 'attitude', number>>;

export class SurveyRun {
  readonly ratings: SurveyRatings = {};
  private index = -1;

  constructor(
    private readonly node: SurveyNode,
    private readonly id: string,
  ) {}

  start(): Instruction {
    this.index = 0;
    return this.ask(this.node.intro);
  }

  /** Returns the next instruction, or null when the survey is over. */
  next(input: IvrInput): Instruction | null {
    const q = this.node.questions[this.index];
    if (q && input.kind === 'digit' && /^[1-5]$/.test(input.digit)) this.ratings[q.key] = Number(input.digit);
    this.index++;
    if (this.index < this.node.questions.length) return this.ask();
    if (this.index === this.node.questions.length && this.node.thanks) {
      return { kind: 'hangup', nodeId: this.id, prompt: this.node.thanks };
    }
    return null;
  }

  private ask(intro?: Prompt): Instruction {
    const q = this.node.questions[this.index]!;
    const prompt = intro
      ? { file: `file_string://${intro.file}!${q.prompt.file}`, text: intro.text + q.prompt.text }
      : q.prompt;
    return {
      kind: 'collect',
      nodeId: this.id,
      prompt,
      validDigits: '12345',
      timeoutMs: this.node.timeoutMs ?? 5000,
    };
  }
}
