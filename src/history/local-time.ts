// Wall-clock local times as plain numbers. History files carry local times without a zone, and
// call volumes follow the local clock (opening hours, lunch dips), so every time is kept as the
// milliseconds a UTC clock would show at the same wall-clock reading. No time zone, and no
// daylight-saving jump, can then shift a slot or a weekday.

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

const ISO_LOCAL =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses an ISO 8601 date or date-time as a wall-clock reading. A zone suffix, if present, is
 * ignored: the wall-clock part is what the caller's day looked like. Returns null when the text is
 * not a valid calendar date and time.
 */
export function parseLocalTime(text: string): number | null {
  const m = ISO_LOCAL.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h = '0', mi = '0', s = '0', frac = ''] = m.slice(1) as string[];
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const ms =
    Date.UTC(year, month - 1, day, hour, minute, second) + Math.round(Number(`0.${frac || '0'}`) * 1000);
  // Date.UTC rolls 31 February over into March; a calendar that does that is a typo, not a date.
  if (new Date(ms).getUTCDate() !== day) return null;
  return ms;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `YYYY-MM-DDTHH:MM:SS`, the form history files use. */
export function formatLocalTime(ms: number): string {
  const t = new Date(ms);
  return (
    `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}` +
    `T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}`
  );
}

/** `YYYY-MM-DD` of the day a time falls on. */
export function formatDate(ms: number): string {
  return formatLocalTime(ms).slice(0, 10);
}

/** Midnight at the start of the day a time falls on. */
export function startOfDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** Minutes since midnight. */
export function minuteOfDay(ms: number): number {
  return Math.floor((ms - startOfDay(ms)) / MINUTE_MS);
}

/** 0 = Sunday ... 6 = Saturday, as Date#getDay. */
export function weekdayOf(ms: number): number {
  return new Date(ms).getUTCDay();
}

/** Parses `YYYY-MM-DD` to its midnight, or null. */
export function parseDate(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text.trim())) return null;
  return parseLocalTime(text);
}
