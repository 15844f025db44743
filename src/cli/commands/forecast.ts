// `hotline forecast backtest`: how each model would have done on the history, and which one the
// planner picks; `hotline forecast day`: the forecast for a day with prediction intervals (and,
// with --aht-s, the agents each interval needs); `hotline forecast override`: holidays and events.
import { readFileSync } from 'node:fs';
import { backtest, backtestJson, type BacktestResult } from '../../forecast/backtest.ts';
import {
  DayCalendar,
  type DayOverride,
  makeOverride,
  OverrideError,
  parseOverridesJson,
  WEEKDAY_LABELS,
} from '../../forecast/day-overrides.ts';
import { forecastNextDay, sumIntervals } from '../../forecast/forecast-day.ts';
import type { DayForecast, ForecastModel } from '../../forecast/model.ts';
import { STANDARD_MODELS } from '../../forecast/models/index.ts';
import { OverrideStore } from '../../forecast/override-store.ts';
import { formatLocalTime, parseDate } from '../../history/local-time.ts';
import { dayCount, dayIndexOf, historyBefore, type IntervalSeries } from '../../history/series.ts';
import { requiredAgents } from '../../staffing/required-agents.ts';
import { type Command, type CommandContext, table, UsageError } from '../command.ts';
import { CSV_OPTIONS, describeSeries, LINE_OPTION, loadHistory, withRedis } from './history.ts';
import { TARGET_OPTIONS, targetsFromOptions } from './staff.ts';

function dayOption(ctx: CommandContext, name: string, s: IntervalSeries): number | undefined {
  const raw = ctx.opts[name];
  if (raw === undefined) return undefined;
  const t = typeof raw === 'string' ? parseDate(raw) : null;
  if (t === null) throw new UsageError(`--${name} must be a date YYYY-MM-DD`);
  return dayIndexOf(s, t);
}

function intOption(ctx: CommandContext, name: string): number | undefined {
  const raw = ctx.opts[name];
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(v) || v < 0)
    throw new UsageError(`--${name} must be a whole number`);
  return v;
}

function numOption(ctx: CommandContext, name: string): number | undefined {
  const raw = ctx.opts[name];
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(v) || v <= 0)
    throw new UsageError(`--${name} must be a number > 0`);
  return v;
}

async function loadCalendar(ctx: CommandContext): Promise<DayCalendar> {
  const file = ctx.opts.overrides;
  if (typeof file === 'string') {
    try {
      return new DayCalendar(parseOverridesJson(readFileSync(file, 'utf8')));
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`, { cause: e });
    }
  }
  if (typeof ctx.opts.history === 'string') return new DayCalendar();
  return new DayCalendar(
    await withRedis(ctx, (redis, prefix) => new OverrideStore(redis, prefix, String(ctx.opts.line)).list()),
  );
}

function selectModels(ctx: CommandContext): ForecastModel[] {
  const raw = ctx.opts.models;
  if (typeof raw !== 'string') return [...STANDARD_MODELS];
  const names = raw.split(',').map((s) => s.trim());
  return names.map((name) => {
    const m = STANDARD_MODELS.find((x) => x.name === name);
    if (!m)
      throw new UsageError(
        `unknown model "${name}"; models: ${STANDARD_MODELS.map((x) => x.name).join(', ')}`,
      );
    return m;
  });
}

const fixed = (x: number, d = 4) => (Number.isFinite(x) ? x.toFixed(d) : '—');

function describeBacktest(r: BacktestResult): string {
  const naive = r.models.find((m) => m.name === 'seasonal-naive');
  const rows = r.models.map((m) => ({
    '模型 model': m.name + (m.name === r.chosen ? ' *' : ''),
    WAPE: fixed(m.native.wape),
    '小时 hourly WAPE': fixed(m.hourly.wape),
    '小时 hourly MAPE': fixed(m.hourly.mape),
    '对比基线 vs naive (hourly)': naive ? fixed(m.hourly.wape / naive.hourly.wape, 3) : '',
    ...(m.coverage80 === undefined
      ? {}
      : { '80%/95% 覆盖 coverage': `${fixed(m.coverage80, 3)}/${fixed(m.coverage95!, 3)}` }),
  }));
  return (
    `回测 backtest: ${r.from} – ${r.to}, ${r.origins} 天 days of next-day forecasts at ${r.intervalMin} min ` +
    `(预热 warm-up ${r.warmupDays} days)\n\n` +
    table(rows, Object.keys(rows[0]!)) +
    `\n选用 chosen: ${r.chosen} (least WAPE at ${r.intervalMin} min)\n`
  );
}

async function runBacktest(ctx: CommandContext): Promise<number> {
  const series = await loadHistory(ctx);
  const calendar = await loadCalendar(ctx);
  const warmupDays = intOption(ctx, 'warmup-days');
  const scoreFromDay = dayOption(ctx, 'score-from', series);
  const scoreToDay = dayOption(ctx, 'score-to', series);
  const r = backtest(series, selectModels(ctx), {
    calendar,
    bands: ctx.opts.bands === true,
    ...(warmupDays === undefined ? {} : { warmupDays }),
    ...(scoreFromDay === undefined ? {} : { scoreFromDay }),
    ...(scoreToDay === undefined ? {} : { scoreToDay: scoreToDay + 1 }),
  });
  if (ctx.json) ctx.out(JSON.stringify(backtestJson(r, ctx.opts.detail === true)));
  else ctx.out(describeBacktest(r));
  return 0;
}

interface IntervalRow {
  start: string;
  mean: number;
  lower80: number;
  upper80: number;
  lower95: number;
  upper95: number;
  agents?: number;
  staff?: number;
}

function intervalRows(fc: DayForecast): IntervalRow[] {
  const step = fc.intervalMin * 60_000;
  const [b80, b95] = fc.bands;
  return fc.mean.map((mean, i) => ({
    start: formatLocalTime(fc.start + i * step),
    mean,
    lower80: b80!.lower[i]!,
    upper80: b80!.upper[i]!,
    lower95: b95!.lower[i]!,
    upper95: b95!.upper[i]!,
  }));
}

async function runDay(ctx: CommandContext): Promise<number> {
  const series = await loadHistory(ctx);
  const calendar = await loadCalendar(ctx);
  const target = dayOption(ctx, 'date', series) ?? dayCount(series);
  if (target < 7 || target > dayCount(series))
    throw new UsageError(
      `--date must fall from a week after the history starts to the day after it ends (${describeSeries(series).from} – ${describeSeries(series).to})`,
    );
  const history = historyBefore(series, target);
  let model: ForecastModel;
  let how: string;
  if (typeof ctx.opts.model === 'string') {
    model = selectModels({ ...ctx, opts: { ...ctx.opts, models: ctx.opts.model } })[0]!;
    how = 'given';
  } else {
    const r = backtest(history, STANDARD_MODELS, { calendar });
    model = STANDARD_MODELS.find((m) => m.name === r.chosen)!;
    how = `least WAPE in a backtest ${r.from} – ${r.to}`;
  }
  const fc = forecastNextDay(model, history, calendar);
  const rows = intervalRows(fc);
  const ahtS = numOption(ctx, 'aht-s');
  const targets = ahtS === undefined ? null : targetsFromOptions(ctx);
  if (ahtS !== undefined && targets) {
    const patienceS = numOption(ctx, 'patience-s');
    for (const row of rows) {
      const need = requiredAgents(
        {
          calls: row.mean,
          intervalMin: fc.intervalMin,
          ahtS,
          ...(patienceS === undefined ? {} : { patienceS }),
        },
        targets,
      );
      row.agents = need.agents;
      row.staff = need.staff;
    }
  }
  const kind = calendar.kindOf(fc.start);
  if (ctx.json) {
    ctx.out(
      JSON.stringify({
        model: fc.model,
        chosenBy: how,
        date: rows[0]?.start.slice(0, 10),
        intervalMin: fc.intervalMin,
        dayKind: kind,
        total: fc.mean.reduce((a, b) => a + b, 0),
        intervals: rows,
      }),
    );
    return 0;
  }
  // People read hours; the per-interval figures are in --json.
  const perHour = Math.max(1, Math.round(60 / fc.intervalMin));
  const hourly = sumIntervals(fc, perHour);
  const hours: Array<Record<string, string>> = hourly.mean.map((mean, h) => {
    const group = rows.slice(h * perHour, (h + 1) * perHour);
    const peak = (k: 'agents' | 'staff') => String(Math.max(...group.map((r) => r[k] ?? 0)));
    return {
      '时段 from': group[0]!.start.slice(11, 16),
      '预测 calls': mean.toFixed(1),
      '80%区间 band': `${hourly.bands[0]!.lower[h]!.toFixed(0)}–${hourly.bands[0]!.upper[h]!.toFixed(0)}`,
      ...(targets ? { '坐席 agents (peak)': peak('agents'), '排班 staff (peak)': peak('staff') } : {}),
    };
  });
  ctx.out(
    `${rows[0]?.start.slice(0, 10)} ${WEEKDAY_LABELS[kind.weekday]}` +
      `${kind.overridden ? ` (按${WEEKDAY_LABELS[kind.weekday]} ×${kind.scale} 调整 override)` : ''}: ` +
      `预测 ${fc.mean.reduce((a, b) => a + b, 0).toFixed(0)} 通 calls, 模型 model ${fc.model} (${how})\n\n` +
      table(hours, Object.keys(hours[0]!)),
  );
  return 0;
}

async function runOverride(ctx: CommandContext): Promise<number> {
  const [, action, date, ...extra] = ctx.args;
  const line = String(ctx.opts.line);
  return withRedis(ctx, async (redis, prefix) => {
    const store = new OverrideStore(redis, prefix, line);
    if (action === 'list' && !date) {
      const list = await store.list();
      if (ctx.json) ctx.out(JSON.stringify(list));
      else if (!list.length) ctx.out(`线路 ${line} 没有节假日调整 (no overrides)\n`);
      else
        ctx.out(
          table(
            list.map((o: DayOverride) => ({
              '日期 date': o.date,
              '按 like': o.like === undefined ? '' : WEEKDAY_LABELS[o.like]!,
              '倍数 scale': o.scale === undefined ? '' : String(o.scale),
              '说明 note': o.note ?? '',
            })),
            ['日期 date', '按 like', '倍数 scale', '说明 note'],
          ),
        );
      return 0;
    }
    if (action === 'set' && date && !extra.length) {
      let o: DayOverride;
      try {
        o = makeOverride({
          date,
          like: typeof ctx.opts.like === 'string' ? ctx.opts.like : undefined,
          scale: typeof ctx.opts.scale === 'string' ? ctx.opts.scale : undefined,
          note: typeof ctx.opts.note === 'string' ? ctx.opts.note : undefined,
        });
      } catch (e) {
        if (e instanceof OverrideError) throw new UsageError(e.message);
        throw e;
      }
      await store.set(o);
      ctx.out(ctx.json ? JSON.stringify({ ok: true, override: o }) : `已设置 set: ${JSON.stringify(o)}\n`);
      return 0;
    }
    if (action === 'remove' && date && !extra.length) {
      const removed = await store.remove(date);
      ctx.out(
        ctx.json
          ? JSON.stringify({ ok: removed })
          : removed
            ? `已删除 removed ${date}\n`
            : `${date}: 无调整 none\n`,
      );
      return removed ? 0 : 1;
    }
    throw new UsageError(
      'expected "forecast override list", "override set DATE [--like sat] [--scale 1.4]" or "override remove DATE"',
    );
  });
}

export const forecastCommand: Command = {
  name: 'forecast',
  summary: 'Backtest forecast models, forecast a day with prediction intervals, manage holiday overrides.',
  usage:
    'forecast backtest --history FILE.csv [--json] | forecast day [--date D] [--aht-s S] | ' +
    'forecast override list|set DATE [--like sat] [--scale 1.4]|remove DATE',
  options: [
    {
      name: 'history',
      description: 'history CSV file (default: the line’s history in Redis)',
      takesValue: true,
    },
    LINE_OPTION,
    ...CSV_OPTIONS,
    {
      name: 'overrides',
      description: 'day overrides JSON file [{date, like?, scale?, note?}]',
      takesValue: true,
    },
    {
      name: 'warmup-days',
      description: 'backtest: days before the first forecast (at most 28)',
      takesValue: true,
    },
    { name: 'score-from', description: 'backtest: first day scored (YYYY-MM-DD)', takesValue: true },
    { name: 'score-to', description: 'backtest: last day scored (YYYY-MM-DD)', takesValue: true },
    { name: 'models', description: 'backtest: comma-separated models (default all)', takesValue: true },
    { name: 'detail', description: 'backtest --json: add hourly WAPE, interval MAPE and the window' },
    { name: 'bands', description: 'backtest: also score the 80 % and 95 % prediction intervals' },
    {
      name: 'date',
      description: 'day: the day to forecast (default the day after the history)',
      takesValue: true,
    },
    { name: 'model', description: 'day: use this model instead of the backtest’s choice', takesValue: true },
    { name: 'aht-s', description: 'day: average handle time, s: add agents per interval', takesValue: true },
    ...TARGET_OPTIONS,
    {
      name: 'like',
      description: 'override set: weekday the date behaves like (sat, 周六, 0-6)',
      takesValue: true,
    },
    {
      name: 'scale',
      description: 'override set: multiplier on that weekday’s calls (0 = closed)',
      takesValue: true,
    },
    { name: 'note', description: 'override set: why (e.g. 国庆节)', takesValue: true },
  ],
  async run(ctx) {
    const sub = ctx.args[0];
    if (sub === 'backtest' && ctx.args.length === 1) return runBacktest(ctx);
    if (sub === 'day' && ctx.args.length === 1) return runDay(ctx);
    if (sub === 'override') return runOverride(ctx);
    throw new UsageError('expected "forecast backtest", "forecast day" or "forecast override ..."');
  },
};
