// Holidays and known events: the models forecast an override day as the kind it behaves like, and
// do not learn a weekday's pattern from a holiday.
import { describe, expect, it } from 'vitest';
import { backtest } from '../../src/forecast/backtest.ts';
import {
  DayCalendar,
  makeOverride,
  parseOverridesJson,
  parseWeekday,
} from '../../src/forecast/day-overrides.ts';
import { robustProfile } from '../../src/forecast/models/robust-profile.ts';
import { seasonalNaive } from '../../src/forecast/models/seasonal-naive.ts';
import { STANDARD_MODELS } from '../../src/forecast/models/index.ts';
import { dayValues, historyBefore } from '../../src/history/series.ts';
import { syntheticSeries } from './synthetic.ts';

// Sunday 2024-01-07 onwards; day 45 is Wednesday 2024-02-21.
const HOLIDAY = 45;
const holidayDate = '2024-02-21';

/** Weekly-exact series where day 45 ran like a Saturday, and day 59 (a Wednesday) had 1.4 times the calls. */
function seriesWithEvents() {
  const s = syntheticSeries({ days: 70, intervalMin: 30 });
  const saturday = dayValues(s, 41);
  dayValues(s, HOLIDAY).set(saturday);
  const event = dayValues(s, 59);
  event.set(event.map((v) => v * 1.4));
  return s;
}

describe('day overrides', () => {
  const series = seriesWithEvents();
  const calendar = new DayCalendar([
    makeOverride({ date: holidayDate, like: '周六', note: '春节' }),
    makeOverride({ date: '2024-03-06', scale: '1.4' }),
  ]);

  it('forecast an override day as the weekday it behaves like, times its scale', () => {
    const holiday = seasonalNaive.pointForecast(historyBefore(series, HOLIDAY), calendar);
    expect(Array.from(holiday)).toEqual(Array.from(dayValues(series, HOLIDAY)));
    const event = seasonalNaive.pointForecast(historyBefore(series, 59), calendar);
    Array.from(event).forEach((v, i) => expect(v).toBeCloseTo(dayValues(series, 59)[i]!, 9));
  });

  it('keep a holiday out of the weekday it fell on', () => {
    // A week after the holiday, "same day last week" is the Wednesday before the holiday.
    const after = seasonalNaive.pointForecast(historyBefore(series, HOLIDAY + 7), calendar);
    expect(Array.from(after)).toEqual(Array.from(dayValues(series, HOLIDAY + 7)));
    const blind = seasonalNaive.pointForecast(historyBefore(series, HOLIDAY + 7), new DayCalendar());
    expect(Array.from(blind)).not.toEqual(Array.from(dayValues(series, HOLIDAY + 7)));
  });

  it('make every model better on a series with holidays', () => {
    for (const model of [seasonalNaive, robustProfile]) {
      const told = backtest(series, [model], { calendar }).models[0]!.native.wape;
      const blind = backtest(series, [model]).models[0]!.native.wape;
      expect(told).toBeLessThan(blind);
    }
    expect(backtest(series, STANDARD_MODELS, { calendar }).models[0]!.native.wape).toBeCloseTo(0, 9);
  });

  it('read weekdays and JSON the way operators write them', () => {
    expect(['sat', 'Saturday', '周六', '星期六', '6'].map(parseWeekday)).toEqual([6, 6, 6, 6, 6]);
    expect(() => parseWeekday('someday')).toThrow(/not a weekday/);
    expect(() => makeOverride({ date: '2024-02-30', like: 'sat' })).toThrow(/YYYY-MM-DD/);
    expect(() => makeOverride({ date: '2024-02-21' })).toThrow(/needs a weekday/);
    expect(() => makeOverride({ date: '2024-02-21', scale: '-1' })).toThrow(/scale/);
    expect(parseOverridesJson('[{"date":"2024-10-01","like":"sat","scale":0.6,"note":"国庆节"}]')).toEqual([
      { date: '2024-10-01', like: 6, scale: 0.6, note: '国庆节' },
    ]);
    expect(() => parseOverridesJson('[{"date":"x"}]')).toThrow(/override #1/);
    expect(
      new DayCalendar([makeOverride({ date: '2024-10-01', scale: 0 })]).kindOf(Date.UTC(2024, 9, 1)),
    ).toEqual({
      weekday: 2,
      scale: 0,
      overridden: true,
    });
  });
});
