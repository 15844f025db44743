// The benchmark runner's contract (scripts/bench.ts): a group measures something and returns rows.
// Add a group by exporting a BenchGroup and listing it in src/bench/registry.ts.

export interface BenchRow {
  /** Dotted name, group first: "screenpop.p50_ms". */
  name: string;
  value: number;
  unit: string;
  /** The same measure for a reference on the same machine in the same run, when there is one. */
  baseline?: number;
  /** value / baseline. */
  ratio?: number;
  /** What the baseline is, or anything a reader needs to read the figure. */
  note?: string;
}

export interface BenchContext {
  /** Progress for people, on stderr (stdout carries the results). */
  log(message: string): void;
  redisUrl: string;
}

export interface BenchGroup {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

/** A row with its ratio computed from value and baseline. */
export function row(name: string, value: number, unit: string, baseline?: number, note?: string): BenchRow {
  const r: BenchRow = { name, value: round(value), unit };
  if (baseline !== undefined) {
    r.baseline = round(baseline);
    r.ratio = baseline > 0 ? round(value / baseline) : undefined;
  }
  if (note) r.note = note;
  return r;
}

export function round(v: number): number {
  if (!Number.isFinite(v)) return v;
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return Number(v.toFixed(digits));
}

/** Nearest-rank percentile of unsorted samples (p in 0..100). */
export function percentile(samples: readonly number[], p: number): number {
  if (!samples.length) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i]!;
}
