// Operator-entered day overrides for holidays and known events: "2024-10-01 behaves like a
// Saturday", "2024-03-15 (consumer-rights day) brings 1.4 times the usual calls". Models ask the
// calendar what kind of day a date is, both for the day they forecast and for the days they learn
// from, so a holiday neither gets a weekday's forecast nor teaches the weekday profile its lull.
import { formatDate, parseDate, weekdayOf } from '../history/local-time.ts';

export interface DayOverride {
  /** `YYYY-MM-DD`. */
  date: string;
  /** Weekday the date behaves like, 0 = Sunday ... 6 = Saturday; default its own. */
  like?: number;
  /** Multiplier on the calls of a day of that kind; 0 = closed; default 1. */
  scale?: number;
  /** Why, for the operators (e.g. 国庆节). */
  note?: string;
}

export interface DayKind {
  /** Weekday whose pattern the day follows. */
  weekday: number;
  /** How many times that weekday's usual calls the day brings. */
  scale: number;
  overridden: boolean;
}

export class DayCalendar {
  private readonly byDate: ReadonlyMap<string, DayOverride>;

  constructor(overrides: readonly DayOverride[] = []) {
    this.byDate = new Map(overrides.map((o) => [o.date, o]));
  }

  get overrides(): DayOverride[] {
    return [...this.byDate.values()].sort((a, b) => a.date.localeCompare(b.date));
  }

  /** The kind of the day starting at local midnight `dayStart`. */
  kindOf(dayStart: number): DayKind {
    const o = this.byDate.get(formatDate(dayStart));
    const own = weekdayOf(dayStart);
    if (!o) return { weekday: own, scale: 1, overridden: false };
    return { weekday: o.like ?? own, scale: o.scale ?? 1, overridden: true };
  }
}

export const EMPTY_CALENDAR = new DayCalendar();

const WEEKDAY_NAMES: Record<string, number> = {
  sun: 0,
  sunday: 0,
  mon: 1,
  monday: 1,
  tue: 2,
  tuesday: 2,
  wed: 3,
  wednesday: 3,
  thu: 4,
  thursday: 4,
  fri: 5,
  friday: 5,
  sat: 6,
  saturday: 6,
  周日: 0,
  周一: 1,
  周二: 2,
  周三: 3,
  周四: 4,
  周五: 5,
  周六: 6,
  星期日: 0,
  星期天: 0,
  星期一: 1,
  星期二: 2,
  星期三: 3,
  星期四: 4,
  星期五: 5,
  星期六: 6,
};

export const WEEKDAY_LABELS = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'] as const;

export class OverrideError extends Error {}

/** Reads a weekday as operators type it: `sat`, `Saturday`, `周六`, `星期六` or `6` (0 = Sunday). */
export function parseWeekday(text: string): number {
  const t = text.trim().toLowerCase();
  if (/^[0-6]$/.test(t)) return Number(t);
  const w = WEEKDAY_NAMES[t];
  if (w === undefined)
    throw new OverrideError(`"${text}" is not a weekday (sat, Saturday, 周六, or 0-6 from Sunday)`);
  return w;
}

/** Validates one override as entered by an operator. */
export function makeOverride(input: {
  date: string;
  like?: string | number;
  scale?: string | number;
  note?: string;
}): DayOverride {
  const day = parseDate(input.date);
  if (day === null) throw new OverrideError(`date "${input.date}" is not YYYY-MM-DD`);
  const o: DayOverride = { date: formatDate(day) };
  if (input.like !== undefined && input.like !== '')
    o.like = typeof input.like === 'number' ? parseWeekday(String(input.like)) : parseWeekday(input.like);
  if (input.scale !== undefined && input.scale !== '') {
    const s = Number(input.scale);
    if (!Number.isFinite(s) || s < 0 || s > 100)
      throw new OverrideError(`scale "${input.scale}" must be a number from 0 to 100`);
    o.scale = s;
  }
  if (input.note) o.note = input.note;
  if (o.like === undefined && o.scale === undefined)
    throw new OverrideError(`override for ${o.date} needs a weekday to behave like, a scale, or both`);
  return o;
}

/** Reads overrides from JSON: an array of {date, like?, scale?, note?}. */
export function parseOverridesJson(text: string): DayOverride[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new OverrideError(`overrides are not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(data))
    throw new OverrideError('overrides must be a JSON array of {date, like?, scale?, note?}');
  return data.map((item: unknown, i) => {
    const o = item as { date?: unknown; like?: unknown; scale?: unknown; note?: unknown };
    try {
      return makeOverride({
        date: String(o.date ?? ''),
        like: o.like as string | number | undefined,
        scale: o.scale as string | number | undefined,
        note: o.note === undefined ? undefined : String(o.note),
      });
    } catch (e) {
      throw new OverrideError(`override #${i + 1}: ${(e as Error).message}`);
    }
  });
}
