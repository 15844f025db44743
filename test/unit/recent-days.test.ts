import { describe, expect, it } from 'vitest';
import { recentDays } from '../helpers/recent-records.ts';
import { msToCstMidnight } from '../helpers/day-boundary.ts';

// 2026-12-05 00:00:00 in China Standard Time.
const MIDNIGHT_CST = Date.parse('2026-12-04T16:00:00Z');

describe('the days a test looks up records in', () => {
  it('include yesterday just after midnight (China Standard Time), oldest first', () => {
    expect(recentDays(MIDNIGHT_CST + 5_000)).toEqual(['2026-12-04', '2026-12-05']);
  });
  it('are today alone once the last hour is all today', () => {
    expect(recentDays(MIDNIGHT_CST + 3_600_000)).toEqual(['2026-12-05']);
    expect(recentDays(MIDNIGHT_CST - 1)).toEqual(['2026-12-04']);
  });
});

describe('the time left to midnight (China Standard Time)', () => {
  it('counts down to 16:00 UTC', () => {
    expect(msToCstMidnight(MIDNIGHT_CST - 5_000)).toBe(5_000);
    expect(msToCstMidnight(MIDNIGHT_CST)).toBe(86_400_000);
    expect(msToCstMidnight(MIDNIGHT_CST + 1)).toBe(86_400_000 - 1);
  });
});
