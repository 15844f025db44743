// `hotline plan`: tidal staffing plans (潮汐排班) in Redis — see a day's plan, make one from the
// forecast, approve, change, cancel, move seats at once in an emergency, keep the roster, read the
// audit trail, draw the chart, and simulate the day with the plan against the same hours without it.
// The router's scheduler carries approved plans out; this command only reads and writes Redis.
import { runPlanEvaluate } from './plan-evaluate.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { compareTidal } from '../../simulator/compare.ts';
import { scenarioFromPlan } from '../../simulator/from-plan.ts';
import { comparisonJson, comparisonRows } from '../../simulator/report.ts';
import { resolveScenario } from '../../simulator/scenario.ts';
import { renderTidalChart } from '../../tidal/chart.ts';
import { type MoveStatus, TidalError, TidalService } from '../../tidal/service.ts';
import { localDate, localHhmm, MINUTE_MS, parseHhmm } from '../../tidal/time.ts';
import type { PlanOptions, TidalAgent, TidalPlan } from '../../tidal/types.ts';
import { type Command, type CommandContext, table, UsageError } from '../command.ts';
import { withRedis } from './history.ts';

const STATE_LABEL: Record<MoveStatus['state'], string> = {
  planned: '待执行 planned',
  announced: '已通知 announced',
  'on-front': '在一线 on front',
  returned: '已返回 returned',
  skipped: '未执行 skipped',
  cancelled: '已取消 cancelled',
};
const STATUS_LABEL: Record<string, string> = {
  draft: '草案 draft',
  approved: '已批准 approved',
  cancelled: '已取消 cancelled',
};

function str(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.opts[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new UsageError(`--${name} needs a value`);
  return v;
}

function num(ctx: CommandContext, name: string, integer = false): number | undefined {
  const raw = str(ctx, name);
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)))
    throw new UsageError(`--${name} must be a ${integer ? 'whole ' : ''}number, got ${raw}`);
  return v;
}

/** `general=3,12333=4` → { general: 3, '12333': 4 }. */
export function parseSkills(text: string, what: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [k, v] = part.split('=');
    const level = v === undefined ? 3 : Number(v);
    if (!k || !/^[a-z0-9][a-z0-9_-]{0,31}$/.test(k) || !Number.isFinite(level))
      throw new UsageError(`--${what}: "${part}" is not skill=level`);
    out[k] = level;
  }
  return out;
}

function time(plan: TidalPlan, text: string, what: string): number {
  const m = parseHhmm(text);
  if (m === null) throw new UsageError(`--${what} must be HH:MM`);
  return plan.dayStart + m * MINUTE_MS;
}

function planOptions(ctx: CommandContext): Partial<PlanOptions> {
  const o: Partial<PlanOptions> = {};
  const set = (k: keyof PlanOptions, v: number | undefined) => {
    if (v !== undefined) (o as Record<string, number>)[k] = v;
  };
  set('leadMin', num(ctx, 'lead-min'));
  set('capShare', num(ctx, 'cap'));
  set('capSeats', num(ctx, 'cap-seats', true));
  set('minBlockMin', num(ctx, 'min-block-min'));
  set('hysteresisSeats', num(ctx, 'hysteresis-seats'));
  set('holdMin', num(ctx, 'hold-min'));
  set('restMin', num(ctx, 'rest-min'));
  return o;
}

function describePlan(plan: TidalPlan, moves: MoveStatus[]): string {
  const f = plan.forecast;
  const head =
    `潮汐排班 tidal plan ${plan.date}: ${STATUS_LABEL[plan.status] ?? plan.status}, 第 ${plan.version} 版 version\n` +
    (f ? `预测 forecast: line ${f.line}, model ${f.model}, quantile ${f.quantile}, AHT ${f.ahtS} s\n` : '') +
    `上限 cap ${plan.capSeats} of ${plan.totalSeats} seats, 提前 lead ${plan.options.leadMin} min, 最短 block ${plan.options.minBlockMin} min\n`;
  const rows = moves.map((m) => ({
    '编号 id': m.id,
    '坐席 agent': m.agentId,
    '类型 kind': m.kind,
    '通知 announce': localHhmm(m.announceAt),
    '调入 from': localHhmm(m.effectiveAt),
    '返回 to': localHhmm(m.returnAt),
    '匹配 fit': m.fit.toFixed(2),
    '状态 state': STATE_LABEL[m.state],
  }));
  // Shortfalls after the moves, as time ranges with their worst interval.
  const step = plan.intervalMin * MINUTE_MS;
  const short: string[] = [];
  for (let i = 0; i < plan.uncovered.length;) {
    if (!(plan.uncovered[i]! > 0)) {
      i++;
      continue;
    }
    let j = i;
    let worst = 0;
    while (j < plan.uncovered.length && plan.uncovered[j]! > 0) worst = Math.max(worst, plan.uncovered[j++]!);
    // A window to the day's end ends at 24:00, not at the next day's 00:00 (which read as an empty window).
    const end = j >= plan.uncovered.length ? '24:00' : localHhmm(plan.dayStart + j * step);
    short.push(`${localHhmm(plan.dayStart + i * step)}–${end} −${worst}`);
    i = j;
  }
  return (
    head +
    '\n' +
    (rows.length ? table(rows, Object.keys(rows[0]!)) : '无潮汐调度 no moves\n') +
    (short.length ? `\n调度后仍缺 still short after moves: ${short.join(', ')}\n` : '') +
    (plan.limits?.length
      ? `\n限制 limits:\n${plan.limits.map((l) => `  [${l.kind}] ${l.text}\n`).join('')}`
      : '')
  );
}

async function withService<T>(ctx: CommandContext, fn: (s: TidalService) => Promise<T>): Promise<T> {
  return withRedis(ctx, async (redis, prefix) => {
    const ahtS = Number(ctx.env.HOTLINE_DEFAULT_AHT_S) || 180;
    return fn(new TidalService(redis, prefix, { ahtS, line: ctx.env.HOTLINE_DEFAULT_LINE || '12345' }));
  });
}

async function roster(ctx: CommandContext, s: TidalService, now: number, by: string): Promise<number> {
  const [, action, id] = ctx.args;
  if (!action) {
    const list = await s.store.roster();
    if (ctx.json) ctx.out(JSON.stringify(list));
    else if (!list.length) ctx.out('潮汐名册为空 the tidal roster is empty\n');
    else
      ctx.out(
        table(
          list.map((a) => ({
            '坐席 agent': a.id,
            '归属 home': a.homePool === 'back' ? '二线 back' : '一线 front',
            '一线技能 front skills': Object.entries(a.frontSkills)
              .map(([k, v]) => `${k}=${v}`)
              .join(','),
            '二线技能 back skills': Object.entries(a.backSkills)
              .map(([k, v]) => `${k}=${v}`)
              .join(','),
            '班次 shift': a.shift ?? '',
            '上次调度 last moved': a.lastMovedAt
              ? `${localDate(a.lastMovedAt)} ${localHhmm(a.lastMovedAt)}`
              : '',
          })),
          [
            '坐席 agent',
            '归属 home',
            '一线技能 front skills',
            '二线技能 back skills',
            '班次 shift',
            '上次调度 last moved',
          ],
        ),
      );
    return 0;
  }
  if (action === 'set' && id) {
    const pool = str(ctx, 'pool') ?? 'back';
    if (pool !== 'front' && pool !== 'back') throw new UsageError('--pool must be front or back');
    const a: TidalAgent = {
      id,
      homePool: pool,
      frontSkills: parseSkills(str(ctx, 'front-skills') ?? 'general=3', 'front-skills'),
      backSkills: parseSkills(str(ctx, 'back-skills') ?? '', 'back-skills'),
      ...(str(ctx, 'shift') ? { shift: str(ctx, 'shift')! } : {}),
    };
    await s.putRosterAgent(a, by, now);
    ctx.out(ctx.json ? JSON.stringify({ ok: true, agent: a }) : `已设置 set ${id}\n`);
    return 0;
  }
  if (action === 'import' && id) {
    const list = JSON.parse(readFileSync(id, 'utf8')) as TidalAgent[];
    if (!Array.isArray(list)) throw new UsageError(`${id}: expected a JSON array of roster agents`);
    for (const a of list) await s.putRosterAgent(a, by, now);
    ctx.out(
      ctx.json ? JSON.stringify({ ok: true, imported: list.length }) : `已导入 imported ${list.length}\n`,
    );
    return 0;
  }
  if (action === 'remove' && id) {
    const ok = await s.store.removeRosterAgent(id);
    ctx.out(
      ctx.json
        ? JSON.stringify({ ok })
        : ok
          ? `已删除 removed ${id}\n`
          : `${id}: 不在名册 not on the roster\n`,
    );
    return ok ? 0 : 1;
  }
  throw new UsageError(
    'expected "plan roster", "plan roster set ID --pool back ...", "import FILE.json" or "remove ID"',
  );
}

export const planCommand: Command = {
  name: 'plan',
  summary:
    'Tidal staffing plans: show, make, approve, change, cancel, emergency moves, roster, chart, simulate.',
  usage:
    'plan [--date D] [--json] | plan make --date D [--quantile 0.8] [--aht-s S] | plan approve|cancel --date D | ' +
    'plan move ID --date D [--agent A] [--from HH:MM] [--to HH:MM] [--cancel] [--force] | plan add --date D --agent A --from HH:MM --to HH:MM | ' +
    'plan emergency [--count N | --agents a,b] [--duration-min M] | plan roster [set ID ...|import FILE|remove ID] | ' +
    'plan audit [--date D] | plan status | plan chart --date D [--out F.svg] | plan simulate --date D | ' +
    'plan evaluate --history FILE --calls FILE --from D1 --to D2 [--quantile Q] [--model M] [--short-abandon-s S] [--sizing day|interval] [--replan-from HH:MM] [--replan-every-min M] [--prune-optimum]',
  options: [
    { name: 'date', description: 'the plan’s day, YYYY-MM-DD (default today, China time)', takesValue: true },
    { name: 'version', description: 'the version you saw (default the current one)', takesValue: true },
    { name: 'by', description: 'your name, for the audit (default $USER)', takesValue: true },
    {
      name: 'line',
      description: 'make: service line whose history to forecast (default 12345)',
      takesValue: true,
    },
    {
      name: 'quantile',
      description: 'make: quantile of the forecast to staff for (default 0.8)',
      takesValue: true,
    },
    {
      name: 'aht-s',
      description: 'make: average handle time, s (default $HOTLINE_DEFAULT_AHT_S or 180)',
      takesValue: true,
    },
    {
      name: 'patience-s',
      description: 'make: mean caller patience, s: Erlang A (default Erlang C)',
      takesValue: true,
    },
    { name: 'model', description: 'make: forecast model (default the backtest’s choice)', takesValue: true },
    {
      name: 'skill-mix',
      description: 'make: share of calls per skill, e.g. general=0.8,12333=0.2',
      takesValue: true,
    },
    { name: 'lead-min', description: 'make: notice before a move, min (default 120)', takesValue: true },
    {
      name: 'cap',
      description: 'make: most seats moved, share of all seats (default 0.1)',
      takesValue: true,
    },
    { name: 'cap-seats', description: 'make: most seats moved, in seats', takesValue: true },
    { name: 'min-block-min', description: 'make: shortest move, min (default 60)', takesValue: true },
    {
      name: 'hysteresis-seats',
      description: 'make: seats to spare before returning (default 1)',
      takesValue: true,
    },
    {
      name: 'hold-min',
      description: 'make: keep seats while the need returns within, min (default 120)',
      takesValue: true,
    },
    {
      name: 'rest-min',
      description: 'make: rest before moving the same agent again, min (default 120)',
      takesValue: true,
    },
    { name: 'agent', description: 'move/add: the agent', takesValue: true },
    { name: 'agents', description: 'emergency: these agents (comma-separated)', takesValue: true },
    { name: 'count', description: 'emergency: how many seats (default 1)', takesValue: true },
    {
      name: 'duration-min',
      description: 'emergency: how long, min (default the minimum block)',
      takesValue: true,
    },
    { name: 'ignore-cap', description: 'emergency: allow beyond the cap' },
    { name: 'note', description: 'emergency/add: why', takesValue: true },
    {
      name: 'from',
      description: 'move/add: when the move begins, HH:MM; evaluate: first day, YYYY-MM-DD',
      takesValue: true,
    },
    {
      name: 'to',
      description: 'move/add: when the agent returns, HH:MM; evaluate: last day, YYYY-MM-DD',
      takesValue: true,
    },
    {
      name: 'history',
      description: 'evaluate: call volumes CSV (as history import reads)',
      takesValue: true,
    },
    {
      name: 'calls',
      description: 'evaluate: per-call records CSV (queue and service times)',
      takesValue: true,
    },
    {
      name: 'short-abandon-s',
      description:
        'evaluate: abandons quicker than this are left out of the rates, every roster alike (default 5; 0: none)',
      takesValue: true,
    },
    {
      name: 'sizing',
      description:
        'evaluate: size seats for the day’s bar (day, default) or every interval to the full targets (interval)',
      takesValue: true,
    },
    {
      name: 'replan-every-min',
      description: 'evaluate: minutes between intraday re-plans, up to 17:00 (default 60; 0: once)',
      takesValue: true,
    },
    {
      name: 'replan-from',
      description: 'evaluate: first intraday re-plan, HH:MM (default 09:00)',
      takesValue: true,
    },
    {
      name: 'prune-optimum',
      description:
        'evaluate: also give back the optimum’s seats the simulated day does not need (call-by-call hindsight)',
    },
    { name: 'cancel', description: 'move: cancel the move (or end it now if it has begun)' },
    { name: 'force', description: 'move/add: allow breaking the lead time, minimum block or cap' },
    { name: 'pool', description: 'roster set: home pool, front or back (default back)', takesValue: true },
    {
      name: 'front-skills',
      description: 'roster set: skills on the front line, e.g. general=3,12333=4',
      takesValue: true,
    },
    {
      name: 'back-skills',
      description: 'roster set: skills in the back office, e.g. workorder=3',
      takesValue: true,
    },
    { name: 'shift', description: 'roster set: working hours HH:MM-HH:MM', takesValue: true },
    { name: 'limit', description: 'audit: entries (default 50)', takesValue: true },
    { name: 'out', description: 'chart: write the SVG to this file (default stdout)', takesValue: true },
  ],
  async run(ctx) {
    const [sub, arg] = ctx.args;
    const now = Date.now();
    const date = str(ctx, 'date') ?? localDate(now);
    const by = str(ctx, 'by') ?? ctx.env.USER ?? 'cli';
    if (sub === 'evaluate') return runPlanEvaluate(ctx);
    try {
      return await withService(ctx, async (s) => {
        const version = async () => num(ctx, 'version', true) ?? (await s.getPlan(date)).version;
        const show = async (plan: TidalPlan, extra: Record<string, unknown> = {}) => {
          const moves = await s.moveStatus(plan, now);
          if (ctx.json) ctx.out(JSON.stringify({ ...plan, moves, ...extra }));
          else ctx.out(describePlan(plan, moves));
          return 0;
        };
        switch (sub) {
          case undefined:
          case 'show':
            return show(await s.getPlan(date));
          case 'make': {
            const mix = str(ctx, 'skill-mix');
            const plan = await s.makePlan({
              date,
              by,
              now,
              ...(str(ctx, 'line') ? { line: str(ctx, 'line')! } : {}),
              ...(num(ctx, 'quantile') !== undefined ? { quantile: num(ctx, 'quantile')! } : {}),
              ...(num(ctx, 'aht-s') !== undefined ? { ahtS: num(ctx, 'aht-s')! } : {}),
              ...(num(ctx, 'patience-s') !== undefined ? { patienceS: num(ctx, 'patience-s')! } : {}),
              ...(str(ctx, 'model') ? { model: str(ctx, 'model')! } : {}),
              ...(mix ? { skillMix: parseSkills(mix, 'skill-mix') } : {}),
              options: planOptions(ctx),
            });
            return show(plan);
          }
          case 'approve': {
            const r = await s.approve(date, await version(), by, now);
            if (!ctx.json && r.late.length) ctx.err(`注意 late: ${r.late.join('; ')}\n`);
            return show(r.plan, { late: r.late });
          }
          case 'cancel':
            return show(await s.cancel(date, await version(), by, now));
          case 'move': {
            if (!arg) throw new UsageError('plan move needs the move id (e.g. p3)');
            const plan = await s.getPlan(date);
            const from = str(ctx, 'from');
            const to = str(ctx, 'to');
            const next = await s.changeMove(
              date,
              num(ctx, 'version', true) ?? plan.version,
              arg,
              {
                ...(str(ctx, 'agent') ? { agentId: str(ctx, 'agent')! } : {}),
                ...(from ? { effectiveAt: time(plan, from, 'from') } : {}),
                ...(to ? { returnAt: time(plan, to, 'to') } : {}),
                ...(ctx.opts.cancel === true ? { cancel: true } : {}),
                ...(ctx.opts.force === true ? { force: true } : {}),
              },
              by,
              now,
            );
            return show(next);
          }
          case 'add': {
            const plan = await s.getPlan(date);
            const agentId = str(ctx, 'agent');
            const from = str(ctx, 'from');
            const to = str(ctx, 'to');
            if (!agentId || !from || !to) throw new UsageError('plan add needs --agent, --from and --to');
            return show(
              await s.addMove(
                date,
                num(ctx, 'version', true) ?? plan.version,
                {
                  agentId,
                  effectiveAt: time(plan, from, 'from'),
                  returnAt: time(plan, to, 'to'),
                  ...(ctx.opts.force === true ? { force: true } : {}),
                  ...(str(ctx, 'note') ? { note: str(ctx, 'note')! } : {}),
                },
                by,
                now,
              ),
            );
          }
          case 'emergency': {
            const agents = str(ctx, 'agents');
            const r = await s.emergency(
              {
                ...(agents
                  ? { agentIds: agents.split(',').map((a) => a.trim()) }
                  : { count: num(ctx, 'count', true) ?? 1 }),
                ...(num(ctx, 'duration-min', true) !== undefined
                  ? { durationMin: num(ctx, 'duration-min', true)! }
                  : {}),
                ...(ctx.opts['ignore-cap'] === true ? { ignoreCap: true } : {}),
                ...(str(ctx, 'note') ? { note: str(ctx, 'note')! } : {}),
              },
              by,
              now,
            );
            if (ctx.json)
              ctx.out(
                JSON.stringify({
                  date: r.plan.date,
                  version: r.plan.version,
                  moves: r.moves,
                  problems: r.problems,
                }),
              );
            else
              ctx.out(
                `紧急调度 emergency: ${r.moves.map((m) => `${m.agentId} ${localHhmm(m.effectiveAt)}–${localHhmm(m.returnAt)}`).join(', ')}\n` +
                  (r.problems.length ? `注意: ${r.problems.join('; ')}\n` : ''),
              );
            return 0;
          }
          case 'roster':
            return roster(ctx, s, now, by);
          case 'audit': {
            const entries = await s.store.auditEntries({
              ...(ctx.opts.date ? { date } : {}),
              limit: num(ctx, 'limit', true) ?? 50,
            });
            if (ctx.json) ctx.out(JSON.stringify(entries));
            else
              ctx.out(
                entries.length
                  ? table(
                      entries.map((e) => ({
                        '时间 at': `${localDate(e.at)} ${localHhmm(e.at)}`,
                        '操作 action': e.action,
                        '执行者 actor': e.actor,
                        '坐席 agent': e.agentId ?? '',
                        '调度 move': e.moveId ?? '',
                        '说明 detail': e.detail ?? (e.toPool ? `→ ${e.toPool}` : ''),
                      })),
                      ['时间 at', '操作 action', '执行者 actor', '坐席 agent', '调度 move', '说明 detail'],
                    )
                  : '无记录 no entries\n',
              );
            return 0;
          }
          case 'status': {
            const st = await s.status(now);
            if (ctx.json) ctx.out(JSON.stringify(st));
            else
              ctx.out(
                `调度主节点 leader: ${st.leader.instance ?? '无 none'} (fence ${st.leader.fence})\n` +
                  `今日计划 today ${st.date}: ${st.plan ? `${STATUS_LABEL[st.plan.status] ?? st.plan.status} v${st.plan.version}, ${st.plan.moves.length} moves` : '无 none'}\n` +
                  `在一线 on the front line now: ${st.onFront.join(', ') || '—'}\n`,
              );
            return 0;
          }
          case 'chart': {
            const svg = renderTidalChart({ plan: await s.getPlan(date), now });
            const out = str(ctx, 'out');
            if (out) {
              writeFileSync(out, svg);
              ctx.out(ctx.json ? JSON.stringify({ ok: true, file: out }) : `已写入 wrote ${out}\n`);
            } else ctx.out(svg);
            return 0;
          }
          case 'simulate': {
            const plan = await s.getPlan(date);
            const sc = resolveScenario(scenarioFromPlan(plan, await s.store.roster()));
            const c = compareTidal(sc);
            if (ctx.json) ctx.out(JSON.stringify(comparisonJson(c)));
            else {
              const rows = comparisonRows(c);
              ctx.out(
                `按计划 ${plan.date} v${plan.version} 模拟 simulated with the plan: ${c.calls} calls\n\n` +
                  table(rows, Object.keys(rows[0]!)),
              );
            }
            return 0;
          }
          default:
            throw new UsageError(`unknown "plan ${sub}"`);
        }
      });
    } catch (e) {
      if (e instanceof TidalError) throw new Error(e.message, { cause: e });
      throw e;
    }
  },
};
