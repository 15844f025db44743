// `npm run chaos`: one bounded run per fault (two routers, the switch emulator, a restartable redis-server of its
// own, all on 127.0.0.1), each printed as a row. Options: --faults=kill-router,redis-restart,... --rate=4
import { DEFAULT_CHAOS, type FaultName, runChaos, type ChaosFigures } from '../src/chaos/run.ts';

const ALL: FaultName[] = [
  'none',
  'kill-router',
  'redis-restart',
  'esl-drop',
  'silent-peers',
  'drachtio-restart',
];
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const faults = (arg('faults')?.split(',') as FaultName[] | undefined) ?? ALL;
const rate = Number(arg('rate') ?? DEFAULT_CHAOS.rate);

const rows: ChaosFigures[] = [];
for (const f of faults) {
  if (!ALL.includes(f)) throw new Error(`unknown fault ${f}; one of ${ALL.join(', ')}`);
  const t0 = Date.now();
  rows.push(await runChaos(f, { ...DEFAULT_CHAOS, rate }, (l) => process.stderr.write(`[chaos] ${l}\n`)));
  process.stderr.write(`[chaos] ${f}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
const cols: Array<[string, (r: ChaosFigures) => string]> = [
  ['fault', (r) => r.fault],
  ['placed', (r) => String(r.placed)],
  ['answered', (r) => String(r.answered)],
  ['abandoned', (r) => String(r.abandoned)],
  ['lost', (r) => String(r.lost)],
  ['double', (r) => String(r.doubleOffers)],
  ['stuck', (r) => String(r.agentsStuck)],
  ['out_of_order', (r) => String(r.outOfOrder)],
  ['takeover_s', (r) => (r.takeoverMs === null ? '-' : (r.takeoverMs / 1000).toFixed(2))],
  ['keys_before', (r) => String(r.redisKeysBefore)],
  ['keys_after', (r) => String(r.redisKeysAfter)],
  ['leftovers', (r) => String(r.leftovers)],
];
const widths = cols.map(([h, f]) => Math.max(h.length, ...rows.map((r) => f(r).length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
console.log(line(cols.map(([h]) => h)));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(cols.map(([, f]) => f(r))));
console.log('');
for (const r of rows) if (r.detail) console.log(`* ${r.fault}: ${r.detail}`);
console.log(
  '* lost: calls neither answered nor recorded, or recorded with another outcome than the switch saw',
);
console.log(
  '* takeover: kill-router, until the survivor held every caller waiting on the dead router; drachtio-restart, until both SIP edges were connected again; otherwise until the next answer after the fault',
);
const bad = rows.filter((r) => r.lost || r.doubleOffers || r.agentsStuck || r.outOfOrder || r.leftovers);
process.exitCode = bad.length ? 1 : 0;
