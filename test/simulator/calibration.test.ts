// The simulator's default patience and handle time come from real per-call records (the Anonymous
// Bank, January 1999; read from ../shared/data, never copied; skipped when absent). Recomputing them
// must give the defaults; and the simulator, fed January's weekday arrivals and the agents the data
// shows on duty, must land near the waits and abandonment the data shows.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { calibrate, kaplanMeier, parseCallRows } from '../../src/simulator/calibrate.ts';
import { DEFAULT_HANDLE_TIME, DEFAULT_PATIENCE } from '../../src/simulator/defaults.ts';
import { distMean } from '../../src/simulator/distributions.ts';
import { simulate } from '../../src/simulator/engine.ts';
import { resolveScenario } from '../../src/simulator/scenario.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const calls = path.join(path.resolve(repoRoot, '..', 'shared', 'data'), 'anonbank-1999', 'calls_1999-01.csv');

describe('calibration (pure)', () => {
  it('patience: censored exponential MLE and Kaplan–Meier on a small made-up sample', () => {
    const rows = parseCallRows(
      [
        'call_id,customer_priority,type,vru_entry,vru_exit,queue_start,queue_exit,outcome,service_start,service_end,agent',
        '1,0,PS,2000-01-01T10:00:00,2000-01-01T10:00:05,2000-01-01T10:00:05,2000-01-01T10:00:35,HANG,,,NO_SERVER',
        '2,0,PS,2000-01-01T10:01:00,2000-01-01T10:01:05,2000-01-01T10:01:05,2000-01-01T10:01:15,AGENT,2000-01-01T10:01:15,2000-01-01T10:04:15,A',
        '3,0,PS,2000-01-01T10:02:00,2000-01-01T10:02:05,2000-01-01T10:02:05,2000-01-01T10:03:05,HANG,,,NO_SERVER',
        '4,0,PS,2000-01-01T10:03:00,2000-01-01T10:03:05,,,AGENT,2000-01-01T10:03:05,2000-01-01T10:04:05,B',
        '5,0,PS,2000-01-01T10:05:00,2000-01-01T10:05:05,2000-01-01T10:05:05,2000-01-01T10:05:25,PHANTOM,,,',
        ...Array.from(
          { length: 10 },
          (_, i) =>
            `${10 + i},1,PS,2000-01-01T11:00:00,2000-01-01T11:00:01,,,AGENT,2000-01-01T11:00:01,2000-01-01T11:0${i}:31,C`,
        ),
      ].join('\n'),
    );
    expect(rows).toHaveLength(14); // the phantom left out
    const c = calibrate(rows);
    expect(c.queued).toBe(3);
    expect(c.abandoned).toBe(2);
    expect(c.patience.meanS).toBeCloseTo((30 + 10 + 60) / 2, 6);
    const km = kaplanMeier([
      { waitS: 30, abandoned: true },
      { waitS: 10, abandoned: false },
      { waitS: 60, abandoned: true },
    ]);
    // At 30 s: 2 at risk, 1 abandons → 0.5; at 60 s: 1 at risk, 1 abandons → 0.
    expect(km).toEqual([
      [0, 1],
      [30, 0.5],
      [60, 0],
    ]);
  });
});

describe.skipIf(!existsSync(calls))('calibration on the Anonymous Bank, January 1999', () => {
  const text = existsSync(calls) ? readFileSync(calls, 'utf8') : '';

  it('recomputes the simulator’s defaults', () => {
    const c = calibrate(parseCallRows(text));
    expect(c.calls).toBeGreaterThan(30_000);
    expect(c.handle.meanS).toBeCloseTo(distMean(DEFAULT_HANDLE_TIME), 0);
    expect(DEFAULT_HANDLE_TIME).toEqual(c.dists.handleTime);
    expect(DEFAULT_PATIENCE).toEqual(c.dists.patience);
    // As the data's README describes: roughly 30 s of queueing per call, and abandonment near 10 %.
    expect(c.meanQueueAllS).toBeGreaterThan(25);
    expect(c.meanQueueAllS).toBeLessThan(45);
    expect(c.abandoned / c.calls).toBeGreaterThan(0.07);
    expect(c.abandoned / c.calls).toBeLessThan(0.13);
  });

  it('the simulator, fed January weekdays’ calls and agents on the phones, waits and abandons as the data did', () => {
    // Weekdays (Sunday–Thursday in Israel) 10:00–16:00, where the centre is staffed steadily: calls
    // that queued or were served, their waits and abandons, and the agents talking on average
    // (service time overlapping those hours). The data has no log-in times, so the agents on the
    // phones are taken as the average busy agents rounded up.
    const inWindow = (t: number) => {
      const d = new Date(t);
      return d.getUTCDay() <= 4 && d.getUTCHours() >= 10 && d.getUTCHours() < 16;
    };
    const ms = (s: string) => Date.parse(`${s}Z`);
    let calls = 0;
    let abandoned = 0;
    let waitS = 0;
    let busyMs = 0;
    const windowHours = new Set<string>();
    for (const line of text.split(/\r?\n/).slice(1)) {
      const f = line.split(',');
      if (f.length < 11 || f[7] === 'PHANTOM') continue;
      if (f[7] === 'AGENT' && f[8] && f[9]) {
        const [s, e] = [ms(f[8]), ms(f[9])];
        for (let t = Math.floor(s / 60_000) * 60_000; t < e; t += 60_000)
          if (inWindow(t)) busyMs += Math.min(e, t + 60_000) - Math.max(s, t);
      }
      const entry = f[5] || f[4];
      if (!entry || !inWindow(ms(entry))) continue;
      windowHours.add(entry.slice(0, 13));
      if (f[5] && f[6]) {
        calls++;
        waitS += (ms(f[6]) - ms(f[5])) / 1000;
        if (f[7] === 'HANG') abandoned++;
      } else if (f[7] === 'AGENT') calls++;
    }
    const hours = windowHours.size;
    expect(hours).toBeGreaterThan(100);
    const busyAgents = busyMs / (hours * 3600_000);
    const agents = Math.ceil(busyAgents);
    const observed = { abandon: abandoned / calls, waitS: waitS / calls };
    let abandon = 0;
    let wait = 0;
    const seeds = [1, 2, 3];
    for (const seed of seeds) {
      const r = simulate(
        resolveScenario({
          seed,
          arrivals: { intervalMin: 60, calls: new Array(24).fill(calls / hours) },
          wrapupS: 0,
          queues: [{ skill: 'general', maxWaitS: 0 }],
          agents: [{ count: agents, skills: { general: 3 } }],
          tidal: { enabled: false },
        }),
      );
      abandon += r.overall.abandonRate / seeds.length;
      wait += r.overall.avgWaitS / seeds.length;
    }
    expect(observed.abandon).toBeGreaterThan(0.08);
    expect(Math.abs(abandon - observed.abandon) / observed.abandon).toBeLessThan(0.3);
    expect(Math.abs(wait - observed.waitS) / observed.waitS).toBeLessThan(0.3);
  });
});
