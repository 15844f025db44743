// History and overrides in a real Redis, and the history/forecast commands around them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMON_OPTIONS, parseArgs, type Command } from '../../src/cli/command.ts';
import { forecastCommand } from '../../src/cli/commands/forecast.ts';
import { historyCommand } from '../../src/cli/commands/history.ts';
import { makeOverride } from '../../src/forecast/day-overrides.ts';
import { OverrideStore } from '../../src/forecast/override-store.ts';
import { HistoryStore } from '../../src/history/history-store.ts';
import { formatLocalTime } from '../../src/history/local-time.ts';
import { cleanup, REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { syntheticSeries } from './synthetic.ts';

const prefix = testPrefix();
const redis = new Redis(REDIS_URL);
const dir = mkdtempSync(path.join(tmpdir(), 'hotline-history-'));

afterAll(async () => {
  redis.disconnect();
  await cleanup(prefix);
});

async function run(cmd: Command, argv: string[]): Promise<{ code: number; out: string }> {
  const { args, opts } = parseArgs(argv, [...cmd.options, ...COMMON_OPTIONS]);
  let out = '';
  const code = await cmd.run({
    args,
    opts,
    json: opts.json === true,
    out: (t) => (out += t),
    err: () => {},
    env: { HOTLINE_REDIS_URL: REDIS_URL, HOTLINE_REDIS_PREFIX: prefix },
  });
  return { code, out };
}

function writeCsv(name: string, s: ReturnType<typeof syntheticSeries>): string {
  const file = path.join(dir, name);
  const rows = ['start,calls'];
  s.values.forEach((v, i) => {
    if (!Number.isNaN(v)) rows.push(`${formatLocalTime(s.start + i * s.intervalMin * 60_000)},${v}`);
  });
  writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

describe('history store', () => {
  it('round-trips a series with gaps, keeping unknown intervals unknown', async () => {
    const s = syntheticSeries({ days: 10, intervalMin: 15, noiseSeed: 1 });
    s.values.fill(NaN, 96 * 3, 96 * 4); // a lost day
    s.values[5] = NaN;
    const store = new HistoryStore(redis, prefix, 'roundtrip');
    expect(await store.save(s)).toBe(15);
    const back = await store.load();
    expect(back.start).toBe(s.start);
    expect(Array.from(back.values)).toEqual(Array.from(s.values));
    const part = await store.load('2024-01-09', '2024-01-11');
    expect(Array.from(part.values)).toEqual(Array.from(s.values.slice(96 * 2, 96 * 5)));
  });

  it('sums finer imports into the stored interval and refuses ones that do not fit', async () => {
    const store = new HistoryStore(redis, prefix, 'merge');
    await store.save(syntheticSeries({ days: 2, intervalMin: 30 }));
    const fine = syntheticSeries({ days: 1, intervalMin: 10 });
    expect(await store.save({ ...fine, start: fine.start + 2 * 86_400_000 })).toBe(30);
    const back = await store.load();
    expect(back.values.length).toBe(3 * 48);
    expect(back.values[2 * 48 + 20]).toBe(fine.values[60]! + fine.values[61]! + fine.values[62]!);
    await expect(store.save(syntheticSeries({ days: 1, intervalMin: 20 }))).rejects.toThrow(
      /cannot be summed/,
    );
  });

  it('keeps operator overrides per line', async () => {
    const store = new OverrideStore(redis, prefix, '12345');
    await store.set(makeOverride({ date: '2024-10-01', like: 'sat', note: '国庆节' }));
    await store.set(makeOverride({ date: '2024-03-15', scale: 1.4 }));
    expect((await store.list()).map((o) => o.date)).toEqual(['2024-03-15', '2024-10-01']);
    expect(await store.remove('2024-03-15')).toBe(true);
    expect(await store.remove('2024-03-15')).toBe(false);
    expect(await new OverrideStore(redis, prefix, '12315').list()).toEqual([]);
  });
});

describe('hotline history and hotline forecast', () => {
  const series = syntheticSeries({ days: 42, intervalMin: 30, noiseSeed: 9 });
  const file = writeCsv('history.csv', series);

  it('imports a file into Redis and backtests from there as from the file', async () => {
    const imported = JSON.parse(
      (await run(historyCommand, ['import', file, '--line', '12315', '--json'])).out,
    );
    expect(imported).toMatchObject({
      ok: true,
      line: '12315',
      intervalMin: 30,
      days: 42,
      from: '2024-01-07',
    });
    const shown = JSON.parse((await run(historyCommand, ['show', '--line', '12315', '--json'])).out);
    expect(shown).toMatchObject({ intervalMin: 30, days: 42, from: '2024-01-07', to: '2024-02-17' });
    const fromRedis = JSON.parse((await run(forecastCommand, ['backtest', '--line', '12315', '--json'])).out);
    const fromFile = JSON.parse((await run(forecastCommand, ['backtest', '--history', file, '--json'])).out);
    expect(fromRedis).toEqual(fromFile);
    expect(Object.keys(fromFile)).toEqual(['chosen', 'models', 'points']);
    expect(fromFile.points).toHaveLength((42 - 21) * 48);
  });

  it('names the file and line of a bad row', async () => {
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, 'start,calls\n2024-01-01T00:00,1\n2024-01-01T00:30,1\n2024-01-01T01:00,lots\n');
    await expect(run(historyCommand, ['import', bad])).rejects.toThrow(`${bad}: line 4: calls "lots"`);
  });

  it('forecasts a day with bands and agents per interval', async () => {
    const day = JSON.parse(
      (
        await run(forecastCommand, [
          'day',
          '--history',
          file,
          '--aht-s',
          '240',
          '--patience-s',
          '90',
          '--json',
        ])
      ).out,
    );
    expect(day.date).toBe('2024-02-18');
    expect(day.intervals).toHaveLength(48);
    for (const i of day.intervals) {
      expect(i.lower95).toBeLessThanOrEqual(i.lower80);
      expect(i.lower80).toBeLessThanOrEqual(i.mean);
      expect(i.mean).toBeLessThanOrEqual(i.upper80);
      expect(i.upper80).toBeLessThanOrEqual(i.upper95);
      expect(i.agents).toBeGreaterThanOrEqual(0);
    }
    const peak = day.intervals.reduce((a: { mean: number }, b: { mean: number }) =>
      b.mean > a.mean ? b : a,
    );
    expect(peak.agents).toBeGreaterThan(day.intervals[4].agents);
  });
});
