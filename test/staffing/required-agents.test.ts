// The least-agents search and the `hotline staff` command.
import { describe, expect, it } from 'vitest';
import { COMMON_OPTIONS, parseArgs } from '../../src/cli/command.ts';
import { staffCommand } from '../../src/cli/commands/staff.ts';
import { evaluate, requiredAgents } from '../../src/staffing/required-agents.ts';
import { DEFAULT_TARGETS, staffWithShrinkage } from '../../src/staffing/targets.ts';

async function runStaff(argv: string[]): Promise<{ code: number; out: string }> {
  const { args, opts } = parseArgs(argv, [...staffCommand.options, ...COMMON_OPTIONS]);
  let out = '';
  const code = await staffCommand.run({
    args,
    opts,
    json: opts.json === true,
    out: (t) => (out += t),
    err: () => {},
    env: {},
  });
  return { code, out };
}

const isLeast = (demand: Parameters<typeof requiredAgents>[0], targets = DEFAULT_TARGETS) => {
  const r = requiredAgents(demand, targets);
  const below = evaluate(demand, r.agents - 1, targets);
  expect(r.met.serviceLevel && r.met.answerRate && r.met.careAsa).toBe(true);
  expect(below.met.serviceLevel && below.met.answerRate && below.met.careAsa).toBe(false);
  return r;
};

describe('required agents', () => {
  it('finds 14 agents for the published Erlang C example (80 % in 20 s)', () => {
    const r = isLeast({ calls: 100, intervalMin: 30, ahtS: 180 }, { ...DEFAULT_TARGETS, thresholdS: 20 });
    expect(r.agents).toBe(14);
    expect(r.serviceLevel).toBeCloseTo(0.8884, 4);
    expect(r.staff).toBe(20); // 14 / (1 - 0.3)
  });

  it('is the least number for large volumes (2,000 calls per 15 minutes)', () => {
    const c = isLeast({ calls: 2000, intervalMin: 15, ahtS: 180 });
    expect(c.agents).toBeGreaterThan(400);
    expect(c.agents).toBeLessThan(430);
    const a = isLeast({ calls: 2000, intervalMin: 15, ahtS: 180, patienceS: 120 });
    // Callers who hang up free agents: Erlang A needs fewer than Erlang C.
    expect(a.agents).toBeLessThan(c.agents);
    expect(a.answerRate).toBeGreaterThanOrEqual(0.95);
  });

  it('lets each target bind', () => {
    const demand = { calls: 300, intervalMin: 15, ahtS: 240, patienceS: 30 };
    const base = isLeast(demand);
    expect(isLeast(demand, { ...DEFAULT_TARGETS, answerRate: 0.99 }).agents).toBeGreaterThan(base.agents);
    expect(isLeast(demand, { ...DEFAULT_TARGETS, serviceLevel: 0.95 }).agents).toBeGreaterThan(base.agents);
    expect(isLeast(demand, { ...DEFAULT_TARGETS, careAsaS: 0.2 }).agents).toBeGreaterThan(base.agents);
  });

  it('needs nobody for no calls, and rounds staff up for shrinkage', () => {
    expect(requiredAgents({ calls: 0, intervalMin: 15, ahtS: 180 }, DEFAULT_TARGETS).agents).toBe(0);
    expect(staffWithShrinkage(14, 0.3)).toBe(20);
    expect(staffWithShrinkage(7, 0.3)).toBe(10);
    expect(staffWithShrinkage(10, 0)).toBe(10);
  });
});

describe('hotline staff', () => {
  it('prints the JSON the planner scripts read', async () => {
    const { code, out } = await runStaff(
      '--calls 100 --interval-min 30 --aht-s 180 --sl 0.8 --sl-s 20 --json'.split(' '),
    );
    expect(code).toBe(0);
    const j = JSON.parse(out);
    expect(j).toMatchObject({ agents: 14, model: 'erlang-c' });
    expect(j.serviceLevel).toBeCloseTo(0.8884, 4);
    expect(j.asa).toBeCloseTo(7.84, 2);
    expect(j.abandonRate).toBe(0);
    expect(j.occupancy).toBeCloseTo(0.714, 3);
  });

  it('uses Erlang A with --patience-s and shows Chinese labels without --json', async () => {
    const json = JSON.parse(
      (await runStaff('--calls 100 --interval-min 30 --aht-s 180 --patience-s 120 --json'.split(' '))).out,
    );
    expect(json.model).toBe('erlang-a');
    expect(json.abandonRate).toBeGreaterThan(0);
    const text = (await runStaff('--calls 100 --interval-min 30 --aht-s 180'.split(' '))).out;
    expect(text).toContain('在线坐席');
    expect(text).toContain('服务水平');
  });

  it('rejects bad numbers with a usage error', async () => {
    await expect(runStaff(['--calls', 'many', '--aht-s', '180'])).rejects.toThrow(/--calls must be a number/);
    await expect(runStaff(['--calls', '10'])).rejects.toThrow(/--aht-s/);
    await expect(runStaff('--calls 10 --aht-s 180 --sl 1.5'.split(' '))).rejects.toThrow(/service level/);
  });
});
