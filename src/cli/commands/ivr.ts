// `hotline ivr validate [FILE...]`: check menu documents (JSON or YAML) offline, as publishing would.
import { readFile } from 'node:fs/promises';
import { defaultMenus } from '../../ivr/defaults.ts';
import { parseMenuText } from '../../ivr/schema.ts';
import { validateMenu } from '../../ivr/validate.ts';
import { validationContext } from '../../ivr/validation-context.ts';
import { DEFAULT_LINES } from '../../number-plan/lines.ts';
import type { Command } from '../command.ts';

export const ivrCommand: Command = {
  name: 'ivr',
  summary: 'IVR menus: `ivr validate [FILE...]` checks menu documents; with no file, the shipped menus.',
  usage: 'ivr validate [FILE...] [--json]',
  options: [],
  async run(ctx) {
    const [sub, ...files] = ctx.args;
    if (sub !== 'validate') {
      ctx.err('ivr: the only subcommand is validate (hotline ivr validate [FILE...])\n');
      return 2;
    }
    const vctx = validationContext(DEFAULT_LINES);
    const results: Array<{
      source: string;
      valid: boolean;
      problems: Array<{ node: string; message: string }>;
    }> = [];
    if (!files.length) {
      for (const doc of defaultMenus()) {
        const problems = validateMenu(doc, vctx);
        results.push({ source: `shipped menu of ${doc.line}`, valid: !problems.length, problems });
      }
    }
    for (const f of files) {
      let text: string;
      try {
        text = await readFile(f, 'utf8');
      } catch (err) {
        results.push({
          source: f,
          valid: false,
          problems: [{ node: '(file)', message: (err as Error).message }],
        });
        continue;
      }
      const parsed = parseMenuText(text);
      const problems =
        'errors' in parsed
          ? parsed.errors.map((e) => ({ node: e.split(':')[0]!, message: e.slice(e.indexOf(':') + 2) }))
          : validateMenu(parsed.doc, vctx);
      results.push({ source: f, valid: !problems.length, problems });
    }
    const ok = results.every((r) => r.valid);
    if (ctx.json) ctx.out(JSON.stringify({ valid: ok, results }));
    else {
      for (const r of results) {
        ctx.out(`${r.valid ? '有效 valid  ' : '无效 INVALID'}  ${r.source}`);
        for (const p of r.problems) ctx.out(`    node ${p.node}: ${p.message}`);
      }
    }
    return ok ? 0 : 1;
  },
};
