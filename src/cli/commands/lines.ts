// `hotline lines`: the number plan's service lines and `hotline route <number>`: which line a
// dialled number reaches, both offline with the default plan or from a running router's admin API.
import { DEFAULT_LINES, MERGE_MODE_LABELS, type ServiceLine } from '../../number-plan/lines.ts';
import { resolveDialled } from '../../number-plan/resolve.ts';
import { adminGet } from '../http-client.ts';
import { type Command, table } from '../command.ts';

async function loadLines(ctx: Parameters<Command['run']>[0]): Promise<ServiceLine[]> {
  if (ctx.opts.router) return (await adminGet(ctx, '/admin/lines')) as ServiceLine[];
  return [...DEFAULT_LINES];
}

const routerOpt = {
  name: 'router',
  description: 'read the live plan from this router URL (e.g. http://127.0.0.1:8080)',
  takesValue: true,
};

export const linesCommand: Command = {
  name: 'lines',
  summary: 'List the service lines of the number plan (12345 and the merged legacy hotlines).',
  usage: 'lines [--router URL] [--json]',
  options: [routerOpt],
  async run(ctx) {
    const lines = await loadLines(ctx);
    if (ctx.json) ctx.out(JSON.stringify(lines));
    else
      ctx.out(
        table(
          lines.map((l) => ({
            号码: l.number,
            名称: l.name,
            融合模式: MERGE_MODE_LABELS[l.mergeMode],
            技能组: l.skill,
          })),
          ['号码', '名称', '融合模式', '技能组'],
        ),
      );
    return 0;
  },
};

export const routeCommand: Command = {
  name: 'route',
  summary: 'Show which service line a dialled number reaches after normalisation.',
  usage: 'route <number> [<number>...] [--router URL] [--json]',
  options: [routerOpt],
  async run(ctx) {
    if (!ctx.args.length) {
      ctx.err('route: give at least one number, e.g. hotline route +862712333\n');
      return 2;
    }
    const plan = { lines: await loadLines(ctx), defaultLine: '12345' };
    const rows = ctx.args.map((raw) => {
      const r = resolveDialled(plan, raw);
      return {
        input: raw,
        normalized: r.normalized,
        line: r.line.number,
        mergeMode: r.line.mergeMode,
        known: r.known,
      };
    });
    if (ctx.json) ctx.out(JSON.stringify(rows));
    else ctx.out(table(rows, ['input', 'normalized', 'line', 'mergeMode', 'known']));
    return 0;
  },
};
