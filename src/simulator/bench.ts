// Benchmark group for the project's bench runner (scripts/bench.ts calls `benchSimulator`): one
// simulated day of 100,000 calls — the standard day scaled up (arrivals × 100,000 / its total, every
// agent group × 24, so the roster is a little leaner per call than the 3,500-call day), with its
// tidal plan, priority classes, overflow, breaks and wrap-up. The row `sim.day_100k_s` is the wall
// time of one run; the budget is 5 s on this machine's two shared cores. To run it with `npm run
// bench`, list `simulatorBenchGroup` in src/bench/registry.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulate } from './engine.ts';
import { resolveScenario, type Scenario } from './scenario.ts';
import { planForScenario } from './tidal-plan.ts';

export const STANDARD_DAY = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'scenarios',
  'standard-day.json',
);

/** The 100,000-call day the benchmark runs. */
export function dayOf100k(): ReturnType<typeof resolveScenario> {
  const s = JSON.parse(readFileSync(STANDARD_DAY, 'utf8')) as Scenario;
  return resolveScenario({
    ...s,
    name: 'standard-day-100k',
    arrivals: { ...s.arrivals, total: 100_000 },
    agents: s.agents.map((g) => ({ ...g, count: g.count * 24 })),
  });
}

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  note?: string;
}

/** Budget for one 100,000-call day, seconds (2 shared cores). */
export const DAY_100K_BUDGET_S = 5;

/**
 * The benchmark group function the bench runner calls. One row, `sim.day_100k_s`: wall time of the
 * plan and the simulation of the 100,000-call day (after a warm-up day), seconds. No baseline: the
 * budget is in the note.
 */
export async function benchSimulator(): Promise<BenchRow[]> {
  const sc = dayOf100k();
  // Warm the JIT on a smaller day first, as a long-running process would be.
  simulate(resolveScenario({ ...sc.source, arrivals: { ...sc.source.arrivals, total: 5000 } }));
  const started = performance.now();
  const { moves } = planForScenario(sc);
  const r = simulate(sc, { moves });
  const seconds = (performance.now() - started) / 1000;
  if (r.calls < 95_000) throw new Error(`benchmark day had only ${r.calls} calls`);
  return [
    {
      name: 'sim.day_100k_s',
      value: Math.round(seconds * 1000) / 1000,
      unit: 's',
      note: `sim.day_100k_s: one simulated day, ${r.calls} calls, ${r.events} events, ${r.rounds} ACD decision rounds, ${moves.length} tidal moves; budget ${DAY_100K_BUDGET_S} s`,
    },
  ];
}

/** The group as src/bench/registry.ts lists groups (name, description, run). */
export const simulatorBenchGroup = {
  name: 'sim',
  description: 'discrete-event simulator: one day of 100,000 calls on the live ACD policy',
  run: () => benchSimulator(),
};
