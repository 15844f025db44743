// The simulated day's mechanics: the live ACD policy's classes, overflow and fallback; shifts,
// breaks and wrap-up; tidal moves; scenario checking; the shipped standard day and its comparison;
// the CLI; the 100,000-call benchmark.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { dayOf100k, STANDARD_DAY, benchSimulator } from '../../src/simulator/bench.ts';
import { compareTidal } from '../../src/simulator/compare.ts';
import { simulate } from '../../src/simulator/engine.ts';
import { loadScenarioFile, resolveScenario, ScenarioError } from '../../src/simulator/scenario.ts';
import { planForScenario } from '../../src/simulator/tidal-plan.ts';

const busy = (extra: object = {}) =>
  resolveScenario({
    seed: 3,
    arrivals: { intervalMin: 60, calls: [0, 0, 0, 0, 0, 0, 0, 0, 130, 130, 0] },
    classes: { care: 0.1, normal: 0.9 },
    handleTime: { kind: 'exponential', meanS: 120 },
    patience: { kind: 'none' },
    wrapupS: 0,
    agents: [{ count: 4, skills: { general: 3 }, shift: '08:00-12:00' }],
    tidal: { enabled: false },
    ...extra,
  });

describe('simulator: the live ACD policy decides', () => {
  it('care callers go first (class weight), and without the weight they wait like everyone else', () => {
    // 3.5 Erlangs on 4 agents: waits stay below the care head start of 300 s.
    const load = { arrivals: { intervalMin: 60, calls: [0, 0, 0, 0, 0, 0, 0, 0, 105, 105, 105, 0] } };
    const r = simulate(busy(load));
    expect(r.byClass.care.offered).toBeGreaterThan(10);
    expect(r.byClass.care.avgWaitS).toBeLessThan(r.byClass.normal.avgWaitS / 3);
    const flat = simulate(
      busy({ ...load, settings: { classWeights: { care: 0, enterprise: 0, normal: 0 } } }),
    );
    expect(flat.byClass.care.avgWaitS).toBeGreaterThan(r.byClass.care.avgWaitS * 3);
  });

  it('a skill without agents overflows to general after its overflow time', () => {
    const r = simulate(
      busy({
        arrivals: { intervalMin: 60, calls: [0, 0, 0, 0, 0, 0, 0, 0, 40, 0] },
        skills: { '12333': 1 },
        queues: [{ skill: '12333', overflowAfterS: 45 }],
        agents: [{ count: 10, skills: { general: 3 }, shift: '08:00-12:00' }],
      }),
    );
    expect(r.overall.answered).toBe(r.overall.offered);
    // Everyone waited the overflow time, little more (10 agents, light load).
    expect(r.overall.asaS).toBeGreaterThanOrEqual(45);
    expect(r.overall.asaS).toBeLessThan(50);
  });

  it('virtual hold: callers told of a long wait may take the callback offer, keep their place and stop hanging up', () => {
    const sc = (share: number) =>
      busy({
        arrivals: { intervalMin: 60, calls: [0, 0, 0, 0, 0, 0, 0, 0, 130, 130, 130, 0] },
        patience: { kind: 'exponential', meanS: 180 },
        callbackAcceptShare: share,
        agents: [{ count: 4, skills: { general: 3 }, shift: '08:00-13:00' }],
      });
    const none = simulate(sc(0));
    const half = simulate(sc(0.5));
    expect(none.overall.callbacks).toBe(0);
    expect(half.overall.callbacks).toBeGreaterThan(50);
    expect(half.overall.abandoned).toBeLessThan(none.overall.abandoned);
    expect(half.overall.offered).toBe(none.overall.offered);
    // The offer comes with the queue announcement (every 30 s): callers answered sooner never hear it.
    const light = simulate(
      busy({
        arrivals: { intervalMin: 60, calls: [0, 0, 0, 0, 0, 0, 0, 0, 40, 0] },
        callbackAcceptShare: 1,
        agents: [{ count: 10, skills: { general: 3 }, shift: '08:00-12:00' }],
      }),
    );
    expect(light.overall.p95WaitS).toBeLessThan(30);
    expect(light.overall.callbacks).toBe(0);
  });

  it('a call waiting past its queue’s maximum goes to the fallback (a callback)', () => {
    const r = simulate(busy({ queues: [{ skill: 'general', maxWaitS: 60 }], patience: { kind: 'none' } }));
    expect(r.overall.fallback).toBeGreaterThan(0);
    expect(r.overall.answered + r.overall.fallback).toBe(r.overall.offered);
    expect(r.overall.p95WaitS).toBeLessThanOrEqual(60);
  });
});

describe('simulator: agents', () => {
  it('shifts: nobody answers before or after them; calls wait for the next agent', () => {
    const r = simulate(
      busy({
        arrivals: { intervalMin: 60, calls: [0, 0, 0, 0, 0, 0, 0, 10, 10, 0] },
        agents: [{ count: 2, skills: { general: 3 }, shift: '08:00-09:00' }],
        queues: [{ skill: 'general', maxWaitS: 0 }],
      }),
    );
    const seven = r.intervals.find((i) => i.start === '07:00')!;
    expect(seven.onPhones).toBe(0);
    expect(r.intervals.find((i) => i.start === '08:00')!.onPhones).toBe(2);
    // Calls of 07:00–08:00 were answered from 08:00, after waiting.
    expect(seven.answered).toBe(seven.offered);
    expect(seven.avgWaitS).toBeGreaterThan(60);
  });

  it('breaks and wrap-up take agents off the phones', () => {
    const base = {
      arrivals: { intervalMin: 60, calls: [0, 0, 0, 0, 0, 0, 0, 0, 100, 100, 0] },
      agents: [{ count: 4, skills: { general: 3 }, shift: '08:00-10:00' }],
    };
    const plain = simulate(busy(base));
    const withBreaks = simulate(
      busy({
        ...base,
        agents: [
          { count: 4, skills: { general: 3 }, shift: '08:00-10:00', breaks: [{ at: '08:30', min: 30 }] },
        ],
      }),
    );
    const withWrapup = simulate(busy({ ...base, wrapupS: 30 }));
    expect(withBreaks.overall.avgWaitS).toBeGreaterThan(plain.overall.avgWaitS);
    expect(withWrapup.overall.avgWaitS).toBeGreaterThan(plain.overall.avgWaitS);
    expect(withWrapup.occupancy).toBeGreaterThan(plain.occupancy);
  });

  it('tidal moves: backup seats answer calls only while on the front line', () => {
    const sc = busy({
      agents: [
        { id: 'f', count: 4, skills: { general: 3 }, shift: '08:00-12:00' },
        {
          id: 'b',
          count: 2,
          pool: 'back',
          skills: { workorder: 3 },
          frontSkills: { general: 3 },
          shift: '08:00-12:00',
        },
      ],
    });
    const without = simulate(sc);
    const withMoves = simulate(sc, {
      moves: [
        { agentId: 'b-1', fromMs: 8 * 3600_000, toMs: 10 * 3600_000 },
        { agentId: 'b-2', fromMs: 9 * 3600_000, toMs: 10 * 3600_000 },
      ],
    });
    expect(withMoves.movedSeatHours).toBe(3);
    expect(withMoves.intervals.find((i) => i.start === '08:00')!.moved).toBe(1);
    expect(withMoves.intervals.find((i) => i.start === '10:00')!.moved).toBe(0);
    expect(withMoves.overall.avgWaitS).toBeLessThan(without.overall.avgWaitS / 2);
    expect(() => simulate(sc, { moves: [{ agentId: 'f-1', fromMs: 0, toMs: 1 }] })).toThrow(/not a backup/);
  });
});

describe('simulator: scenario files', () => {
  it('names every problem with its place', () => {
    const bad = (s: unknown) => {
      try {
        resolveScenario(s);
      } catch (e) {
        expect(e).toBeInstanceOf(ScenarioError);
        return (e as ScenarioError).problems.join('\n');
      }
      throw new Error('accepted');
    };
    expect(bad({ arrivals: { intervalMin: 60, calls: [1] } })).toMatch(/agents/);
    expect(
      bad({
        arrivals: { intervalMin: 60, calls: [1] },
        agents: [{ count: 1, skills: { general: 3 }, shift: '18:00-08:00' }],
        tidal: { moves: [{ agent: 'nobody', from: '09:00', to: '10:00' }] },
      }),
    ).toMatch(/agents\[0\]\.shift[\s\S]*tidal\.moves\[0\]\.agent: no agent nobody/);
    expect(
      bad({
        arrivals: { intervalMin: 60, calls: [1] },
        handleTime: { kind: 'lognormal', meanS: 100 },
        agents: [{ count: 1, skills: { general: 3 } }],
      }),
    ).toMatch(/handleTime/);
  });
});

describe('simulator: the standard day', () => {
  const sc = loadScenarioFile(STANDARD_DAY);

  it('about 3,500 calls, peaks at 09:00–11:00 and 14:00–16:00, care callers about 8 %', () => {
    const total = sc.calls.reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(3500, 0);
    const hourly = Array.from({ length: 24 }, (_, h) => sc.calls[2 * h]! + sc.calls[2 * h + 1]!);
    const top4 = hourly
      .map((v, h) => [v, h] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, 4)
      .map(([, h]) => h)
      .sort((a, b) => a - b);
    expect(top4).toEqual([9, 10, 14, 15]);
    expect(sc.classShares.care).toBe(0.08);
    const r = simulate(sc, { moves: planForScenario(sc).moves });
    expect(r.byClass.care.offered / r.calls).toBeGreaterThan(0.06);
    expect(r.byClass.care.offered / r.calls).toBeLessThan(0.1);
  });

  it('the plan moves backup seats in both peaks; compared with the same seat-hours without moves', () => {
    const { plan, moves } = planForScenario(sc);
    expect(plan).not.toBeNull();
    const at = (m: { fromMs: number }) => m.fromMs / 3600_000;
    expect(moves.some((m) => at(m) >= 8 && at(m) < 11)).toBe(true);
    expect(moves.some((m) => at(m) >= 13 && at(m) < 16)).toBe(true);
    for (let i = 0; i < plan!.moved.length; i++) expect(plan!.moved[i]).toBeLessThanOrEqual(plan!.capSeats);
    const c = compareTidal(sc);
    expect(c.seatHours.tidal).toBeCloseTo(c.seatHours.flat, 6);
    expect(c.seatHours.tidal).toBeGreaterThan(c.seatHours.base);
    expect(c.tidal.overall.serviceLevel).toBeGreaterThan(c.base.overall.serviceLevel);
    expect(c.tidal.calls).toBe(c.flat.calls);
  });
});

describe('hotline simulate', () => {
  afterEach(() => vi.restoreAllMocks());

  async function cli(args: string[]): Promise<{ code: number; out: string }> {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out += String(s);
      return true;
    });
    const code = await runCli(args, {});
    vi.restoreAllMocks();
    return { code, out };
  }

  it('--json prints per class and overall figures, occupancy and care callers’ wait', async () => {
    const { code, out } = await cli(['simulate', '--scenario', STANDARD_DAY, '--json']);
    expect(code).toBe(0);
    const j = JSON.parse(out) as Record<string, unknown> & {
      overall: Record<string, number>;
      byClass: Record<string, Record<string, number>>;
    };
    for (const k of ['answerRate', 'serviceLevel', 'avgWaitS', 'p95WaitS', 'abandonRate'])
      expect(typeof j.overall[k]).toBe('number');
    expect(Object.keys(j.byClass).sort()).toEqual(['care', 'enterprise', 'normal']);
    expect(typeof j.occupancy).toBe('number');
    expect(typeof j.careAvgWaitS).toBe('number');
  });

  it('--compare --json gives the three variants on the same seat-hours', async () => {
    const { code, out } = await cli(['simulate', '--scenario', 'standard', '--compare', '--json']);
    expect(code).toBe(0);
    const j = JSON.parse(out) as { seatHours: Record<string, number>; variants: Record<string, unknown> };
    expect(j.seatHours.tidal).toBe(j.seatHours.flat);
    expect(Object.keys(j.variants)).toEqual(['tidal', 'flat', 'base']);
  });

  it('a bad scenario file fails with its problems', async () => {
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      err += String(s);
      return true;
    });
    const code = await runCli(['simulate', '--scenario', '/nonexistent.json'], {});
    expect(code).toBe(1);
    expect(err).toMatch(/cannot read \/nonexistent.json/);
  });
});

describe('benchmark: one day of 100,000 calls', () => {
  it('runs the standard day scaled to 100,000 calls, well within budget', async () => {
    expect(dayOf100k().calls.reduce((a, b) => a + b, 0)).toBeCloseTo(100_000, 0);
    const rows = await benchSimulator();
    expect(rows.map((r) => r.name)).toEqual(['sim.day_100k_s']);
    // The budget is 5 s on this machine; the margin absorbs tests running side by side.
    expect(rows[0]!.value).toBeLessThan(8);
  }, 30_000);
});
