// `hotline staff`: agents needed for one interval's calls (Erlang C, or Erlang A with --patience-s),
// or the measures for a given number of agents (--agents).
import { requiredAgents, evaluate, type IntervalStaffing } from '../../staffing/required-agents.ts';
import { DEFAULT_TARGETS, type StaffingTargets, validateTargets } from '../../staffing/targets.ts';
import { type Command, type CommandContext, UsageError } from '../command.ts';

function num(
  ctx: CommandContext,
  name: string,
  opts: { min?: number; integer?: boolean } = {},
): number | undefined {
  const raw = ctx.opts[name];
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(v))
    throw new UsageError(`--${name} must be a number, got ${JSON.stringify(raw)}`);
  if (opts.integer && !Number.isInteger(v))
    throw new UsageError(`--${name} must be a whole number, got ${raw}`);
  if (opts.min !== undefined && v < opts.min)
    throw new UsageError(`--${name} must be at least ${opts.min}, got ${raw}`);
  return v;
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '—');
const secs = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)} s` : '∞');

export function describeStaffing(r: IntervalStaffing, t: StaffingTargets): string {
  const mark = (ok: boolean) => (ok ? '✓' : '✗');
  return (
    `模型 model: ${r.model === 'erlang-a' ? 'Erlang A（含放弃）' : 'Erlang C'}  话务量 offered load: ${r.offeredLoad.toFixed(2)} Erl\n` +
    `在线坐席 agents on the phones: ${r.agents}\n` +
    `排班人数 staff to schedule (shrinkage ${pct(t.shrinkage)}): ${r.staff}\n` +
    `服务水平 service level (${t.thresholdS} s): ${pct(r.serviceLevel)} ${mark(r.met.serviceLevel)} target ${pct(t.serviceLevel)}\n` +
    `接通率 answer rate: ${pct(r.answerRate)} ${mark(r.met.answerRate)} target ${pct(t.answerRate)}\n` +
    `关爱来电平均等待 care callers' wait: ${secs(r.careAsa)} ${mark(r.met.careAsa)} target ${t.careAsaS} s\n` +
    `平均应答速度 ASA: ${secs(r.asa)}\n` +
    `排队概率 P(wait): ${pct(r.probWait)}\n` +
    `放弃率 abandon rate: ${pct(r.abandonRate)}\n` +
    `占用率 occupancy: ${pct(r.occupancy)}\n`
  );
}

export function targetsFromOptions(ctx: CommandContext): StaffingTargets {
  const t: StaffingTargets = {
    serviceLevel: num(ctx, 'sl') ?? DEFAULT_TARGETS.serviceLevel,
    thresholdS: num(ctx, 'sl-s', { min: 0 }) ?? DEFAULT_TARGETS.thresholdS,
    answerRate: num(ctx, 'answer-rate') ?? DEFAULT_TARGETS.answerRate,
    careAsaS: num(ctx, 'care-asa-s') ?? DEFAULT_TARGETS.careAsaS,
    careShare: num(ctx, 'care-share') ?? DEFAULT_TARGETS.careShare,
    shrinkage: num(ctx, 'shrinkage') ?? DEFAULT_TARGETS.shrinkage,
  };
  const problems = validateTargets(t);
  if (problems.length) throw new UsageError(problems.join('; '));
  return t;
}

export const TARGET_OPTIONS = [
  {
    name: 'sl',
    description: `service-level target, share (default ${DEFAULT_TARGETS.serviceLevel})`,
    takesValue: true,
  },
  {
    name: 'sl-s',
    description: `service-level threshold, s (default ${DEFAULT_TARGETS.thresholdS})`,
    takesValue: true,
  },
  {
    name: 'patience-s',
    description: 'mean caller patience, s: use Erlang A (default: Erlang C)',
    takesValue: true,
  },
  {
    name: 'answer-rate',
    description: `answer-rate target (default ${DEFAULT_TARGETS.answerRate})`,
    takesValue: true,
  },
  {
    name: 'care-asa-s',
    description: `care callers' mean wait target, s (default ${DEFAULT_TARGETS.careAsaS})`,
    takesValue: true,
  },
  {
    name: 'care-share',
    description: `share of calls from care callers (default ${DEFAULT_TARGETS.careShare})`,
    takesValue: true,
  },
  {
    name: 'shrinkage',
    description: `share of paid time off the phones (default ${DEFAULT_TARGETS.shrinkage})`,
    takesValue: true,
  },
];

export const staffCommand: Command = {
  name: 'staff',
  summary: 'Agents needed for an interval’s calls (Erlang C, or Erlang A with caller patience).',
  usage:
    'staff --calls N --aht-s S [--interval-min M] [--sl 0.8 --sl-s 15] [--patience-s P] [--agents N] [--json]',
  options: [
    { name: 'calls', description: 'calls offered in the interval', takesValue: true },
    {
      name: 'interval-min',
      description: 'interval length, minutes (default 15)',
      takesValue: true,
      default: '15',
    },
    { name: 'aht-s', description: 'average handle time, s', takesValue: true },
    {
      name: 'agents',
      description: 'evaluate this many agents instead of finding the least',
      takesValue: true,
    },
    ...TARGET_OPTIONS,
  ],
  async run(ctx) {
    const calls = num(ctx, 'calls', { min: 0 });
    const ahtS = num(ctx, 'aht-s');
    if (calls === undefined) throw new UsageError('--calls is required');
    if (ahtS === undefined || ahtS <= 0) throw new UsageError('--aht-s is required and must be > 0');
    const intervalMin = num(ctx, 'interval-min')!;
    if (intervalMin <= 0) throw new UsageError('--interval-min must be > 0');
    const patienceS = num(ctx, 'patience-s');
    if (patienceS !== undefined && patienceS <= 0) throw new UsageError('--patience-s must be > 0');
    const targets = targetsFromOptions(ctx);
    const demand = { calls, intervalMin, ahtS, ...(patienceS === undefined ? {} : { patienceS }) };
    const agents = num(ctx, 'agents', { min: 0, integer: true });
    const r = agents === undefined ? requiredAgents(demand, targets) : evaluate(demand, agents, targets);
    if (ctx.json) {
      const finite = (x: number) => (Number.isFinite(x) ? x : null);
      ctx.out(
        JSON.stringify({
          agents: r.agents,
          serviceLevel: r.serviceLevel,
          asa: finite(r.asa),
          abandonRate: r.abandonRate,
          occupancy: r.occupancy,
          staff: r.staff,
          probWait: r.probWait,
          answerRate: r.answerRate,
          avgWait: finite(r.avgWait),
          careAsa: finite(r.careAsa),
          offeredLoad: r.offeredLoad,
          model: r.model,
          met: r.met,
          targets,
        }),
      );
    } else ctx.out(describeStaffing(r, targets));
    return 0;
  },
};
