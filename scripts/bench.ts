// The project's benchmark runner: `npm run bench` prints a table; `npm run bench -- --json` prints one
// JSON object per row (name, value, unit, and baseline and ratio where there is one); a name argument
// runs only the groups whose name contains it (`npm run bench -- screenpop`). Groups live in
// src/bench/ and are listed in src/bench/registry.ts. Progress goes to stderr.
import { groups } from '../src/bench/registry.ts';
import type { BenchRow } from '../src/bench/types.ts';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    [
      'usage: npm run bench [-- [--json] [--list] [group ...]]',
      '',
      '  --json   one JSON object per result row on stdout',
      '  --list   list the groups and exit',
      '  group    run only groups whose name contains this text',
      '',
      'Needs Redis (HOTLINE_REDIS_URL, default redis://127.0.0.1:6379/0; scripts/setup.sh starts one).',
      '',
    ].join('\n'),
  );
  process.exit(0);
}
const json = args.includes('--json');
const filters = args.filter((a) => !a.startsWith('--'));
if (args.includes('--list')) {
  for (const g of groups) process.stdout.write(`${g.name}\t${g.description}\n`);
  process.exit(0);
}
const selected = groups.filter((g) => !filters.length || filters.some((f) => g.name.includes(f)));
if (!selected.length) {
  process.stderr.write(
    `no benchmark group matches ${filters.join(', ')}; groups: ${groups.map((g) => g.name).join(', ')}\n`,
  );
  process.exit(2);
}

const ctx = {
  log: (m: string) => process.stderr.write(`[bench] ${m}\n`),
  redisUrl: process.env.HOTLINE_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
};

const rows: BenchRow[] = [];
let failed = false;
for (const g of selected) {
  const t = Date.now();
  ctx.log(`${g.name}: ${g.description}`);
  try {
    const got = await g.run(ctx);
    rows.push(...got);
    if (json) for (const r of got) process.stdout.write(`${JSON.stringify(r)}\n`);
    ctx.log(`${g.name}: done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  } catch (err) {
    failed = true;
    ctx.log(`${g.name}: FAILED: ${(err as Error).message}`);
  }
}

if (!json) {
  const head = ['name', 'value', 'unit', 'baseline', 'ratio'];
  const table = rows.map((r) => [
    r.name,
    String(r.value),
    r.unit,
    r.baseline === undefined ? '' : String(r.baseline),
    r.ratio === undefined ? '' : `${r.ratio}x`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 1 || i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  process.stdout.write(`${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const r of table) process.stdout.write(`${line(r)}\n`);
  const notes = [...new Set(rows.map((r) => r.note).filter(Boolean))];
  if (notes.length) process.stdout.write(`\n${notes.map((n) => `* ${n}`).join('\n')}\n`);
}
process.exit(failed ? 1 : 0);
