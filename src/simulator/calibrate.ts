// Caller patience and handle times from real per-call records (one row per call with queue entry and
// exit, outcome, service start and end, as the Anonymous Bank files have them). Handle times are
// fitted as a log-normal by their mean and coefficient of variation (so the offered load is the
// data's) and as quantiles for an empirical distribution. Patience is censored (a served caller's
// patience is only known to exceed the wait), so its exponential mean is the maximum-likelihood
// estimate Σ waits / abandons, and its survival curve is Kaplan–Meier's.
import { readFileSync } from 'node:fs';
import { parseLocalTime } from '../history/local-time.ts';
import type { Dist } from './distributions.ts';

export interface CallRow {
  priority: string;
  queued: boolean;
  waitS: number;
  abandoned: boolean;
  served: boolean;
  handleS: number;
}

export interface Calibration {
  calls: number;
  queued: number;
  abandoned: number;
  /** Abandons over queued calls. */
  abandonShare: number;
  /** Mean queue time of queued callers, s. */
  meanQueueS: number;
  /** Mean queue time over all calls (0 for those never queued), s. */
  meanQueueAllS: number;
  handle: {
    n: number;
    meanS: number;
    cv: number;
    medianS: number;
    p95S: number;
    /** Maximum-likelihood log-normal parameters, for reference. */
    mu: number;
    sigma: number;
    /** 0 %, 5 %, … 100 % quantiles. */
    quantilesS: number[];
  };
  patience: {
    /** Exponential MLE with censoring: Σ waits / abandons, s. */
    meanS: number;
    /** Kaplan–Meier median patience, s (null when the curve never falls to 0.5 within the data). */
    medianS: number | null;
    /** Kaplan–Meier survival at 30, 60, 120, 300 s. */
    survival: Record<string, number>;
    byPriority: Record<string, { queued: number; abandoned: number; meanS: number }>;
  };
  /** The distributions to simulate with. */
  dists: { handleTime: Dist; handleTimeEmpirical: Dist; patience: Dist };
}

export class CalibrationError extends Error {}

function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (q) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Reads per-call rows; PHANTOM calls are left out. */
export function parseCallRows(text: string): CallRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.trim());
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new CalibrationError(`no column "${name}" (columns: ${header.join(', ')})`);
    return i;
  };
  const c = {
    priority: header.indexOf('customer_priority'),
    qs: col('queue_start'),
    qe: col('queue_exit'),
    outcome: col('outcome'),
    ss: col('service_start'),
    se: col('service_end'),
  };
  const t = (s: string | undefined) => (s ? parseLocalTime(s) : null);
  const rows: CallRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const f = splitCsvLine(lines[i]!);
    const outcome = (f[c.outcome] ?? '').trim();
    if (outcome === 'PHANTOM') continue;
    const qs = t(f[c.qs]);
    const qe = t(f[c.qe]);
    const ss = t(f[c.ss]);
    const se = t(f[c.se]);
    const queued = qs !== null && qe !== null && qe >= qs;
    rows.push({
      priority: c.priority >= 0 ? (f[c.priority] ?? '').trim() : '',
      queued,
      waitS: queued ? (qe! - qs!) / 1000 : 0,
      abandoned: outcome === 'HANG' && queued,
      served: outcome === 'AGENT',
      handleS: outcome === 'AGENT' && ss !== null && se !== null ? (se - ss) / 1000 : NaN,
    });
  }
  return rows;
}

function quantile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return NaN;
  const x = p * (sorted.length - 1);
  const i = Math.floor(x);
  const j = Math.min(sorted.length - 1, i + 1);
  return sorted[i]! + (x - i) * (sorted[j]! - sorted[i]!);
}

/** Kaplan–Meier survival of patience from (wait, abandoned) pairs; served callers are censored. */
export function kaplanMeier(
  obs: ReadonlyArray<{ waitS: number; abandoned: boolean }>,
): Array<[number, number]> {
  const sorted = [...obs].sort((a, b) => a.waitS - b.waitS || Number(b.abandoned) - Number(a.abandoned));
  let atRisk = sorted.length;
  let s = 1;
  const curve: Array<[number, number]> = [[0, 1]];
  for (let i = 0; i < sorted.length;) {
    const t = sorted[i]!.waitS;
    let d = 0;
    let n = 0;
    while (i < sorted.length && sorted[i]!.waitS === t) {
      if (sorted[i]!.abandoned) d++;
      n++;
      i++;
    }
    if (d > 0 && atRisk > 0) {
      s *= 1 - d / atRisk;
      curve.push([t, s]);
    }
    atRisk -= n;
  }
  return curve;
}

function survivalAt(curve: ReadonlyArray<[number, number]>, t: number): number {
  let s = 1;
  for (const [x, v] of curve) {
    if (x > t) break;
    s = v;
  }
  return s;
}

export function calibrate(rows: readonly CallRow[]): Calibration {
  const handles = Float64Array.from(
    rows.filter((r) => r.served && r.handleS > 0).map((r) => r.handleS),
  ).sort();
  if (handles.length < 10) throw new CalibrationError('fewer than 10 served calls with service times');
  const queued = rows.filter((r) => r.queued);
  const abandoned = queued.filter((r) => r.abandoned).length;
  if (!abandoned) throw new CalibrationError('no abandoned calls: patience cannot be estimated');
  let sum = 0;
  let sum2 = 0;
  let lsum = 0;
  let lsum2 = 0;
  for (const h of handles) {
    sum += h;
    sum2 += h * h;
    const l = Math.log(h);
    lsum += l;
    lsum2 += l * l;
  }
  const n = handles.length;
  const meanS = sum / n;
  const sd = Math.sqrt(Math.max(0, sum2 / n - meanS * meanS));
  const mu = lsum / n;
  const sigma = Math.sqrt(Math.max(0, lsum2 / n - mu * mu));
  const waitTotal = queued.reduce((a, r) => a + r.waitS, 0);
  const curve = kaplanMeier(queued);
  const median = curve.find(([, s]) => s <= 0.5);
  const byPriority: Calibration['patience']['byPriority'] = {};
  for (const p of [...new Set(queued.map((r) => r.priority))].sort()) {
    const q = queued.filter((r) => r.priority === p);
    const ab = q.filter((r) => r.abandoned).length;
    byPriority[p || '-'] = {
      queued: q.length,
      abandoned: ab,
      meanS: ab ? q.reduce((a, r) => a + r.waitS, 0) / ab : Infinity,
    };
  }
  const quantilesS = Array.from({ length: 21 }, (_, i) => Math.round(quantile(handles, i / 20) * 10) / 10);
  const patienceMean = waitTotal / abandoned;
  const cv = sd / meanS;
  return {
    calls: rows.length,
    queued: queued.length,
    abandoned,
    abandonShare: abandoned / queued.length,
    meanQueueS: waitTotal / queued.length,
    meanQueueAllS: waitTotal / rows.length,
    handle: {
      n,
      meanS,
      cv,
      medianS: quantile(handles, 0.5),
      p95S: quantile(handles, 0.95),
      mu,
      sigma,
      quantilesS,
    },
    patience: {
      meanS: patienceMean,
      medianS: median ? median[0] : null,
      survival: Object.fromEntries([30, 60, 120, 300].map((t) => [`${t}s`, survivalAt(curve, t)])),
      byPriority,
    },
    dists: {
      handleTime: { kind: 'lognormal', meanS: round1(meanS), cv: round3(cv) },
      handleTimeEmpirical: { kind: 'empirical', quantilesS },
      patience: { kind: 'exponential', meanS: round1(patienceMean) },
    },
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function calibrateFile(file: string): Calibration {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CalibrationError(
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return calibrate(parseCallRows(text));
}
