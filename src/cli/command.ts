// A small command framework for the operator CLI: every subcommand declares its options, gets
// --help and --json for free, and prints either a table for people or JSON for scripts.
export interface OptionSpec {
  name: string;
  description: string;
  takesValue?: boolean;
  default?: string;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: OptionSpec[];
  run(ctx: CommandContext): Promise<number>;
}

export interface CommandContext {
  args: string[];
  opts: Record<string, string | boolean>;
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
}

export class UsageError extends Error {}

export function parseArgs(
  argv: string[],
  specs: OptionSpec[],
): { args: string[]; opts: Record<string, string | boolean> } {
  const args: string[] = [];
  const opts: Record<string, string | boolean> = {};
  for (const s of specs) if (s.default !== undefined) opts[s.name] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      args.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    const spec = specs.find((s) => s.name === name);
    if (!spec) throw new UsageError(`unknown option --${name}`);
    if (spec.takesValue) {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      opts[name] = v;
    } else opts[name] = true;
  }
  return { args, opts };
}

export const COMMON_OPTIONS: OptionSpec[] = [
  { name: 'json', description: 'print machine-readable JSON' },
  { name: 'help', description: 'show this help' },
];

export function helpText(c: Command): string {
  const opts = [...c.options, ...COMMON_OPTIONS]
    .map((o) => `  --${o.name}${o.takesValue ? ' <value>' : ''}`.padEnd(28) + o.description)
    .join('\n');
  return `${c.summary}\n\nUsage: hotline ${c.usage}\n\nOptions:\n${opts}\n`;
}

/** Renders rows as an aligned text table (CJK characters count as two columns). */
export function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  const width = (s: string) =>
    [...s].reduce((n, ch) => n + (/[\u3000-\u9fff\uff00-\uffef]/.test(ch) ? 2 : 1), 0);
  const cells = rows.map((r) => columns.map((c) => String(r[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(width(c), ...cells.map((row) => width(row[i]!))));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v + ' '.repeat(widths[i]! - width(v)))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}
