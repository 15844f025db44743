// The hotline's clock: China Standard Time (UTC+8, no daylight saving). Plans and moves are kept in
// epoch milliseconds; shifts and notices are read and written as local HH:MM.
export const CST_OFFSET_MS = 8 * 3600_000;
export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** Epoch ms of the local midnight that starts `date` (YYYY-MM-DD). */
export function localMidnight(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new RangeError(`"${date}" is not a date (YYYY-MM-DD)`);
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(t).getUTCDate() !== Number(m[3])) throw new RangeError(`"${date}" is not a date`);
  return t - CST_OFFSET_MS;
}

/** The local date (YYYY-MM-DD) an instant falls on. */
export function localDate(epochMs: number): string {
  return new Date(epochMs + CST_OFFSET_MS).toISOString().slice(0, 10);
}

/** Local HH:MM of an instant. */
export function localHhmm(epochMs: number): string {
  return new Date(epochMs + CST_OFFSET_MS).toISOString().slice(11, 16);
}

/** `HH:MM` of minutes since midnight (1440 reads 24:00, the end of the day). */
export function formatHhmm(min: number): string {
  return `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;
}

/** Minutes since midnight of `HH:MM` (24:00 allowed as the end of the day), or null. */
export function parseHhmm(text: string): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const h = Number(m[1]);
  const mi = Number(m[2]);
  if (mi > 59 || h > 24 || (h === 24 && mi > 0)) return null;
  return h * 60 + mi;
}

export function formatMinutes(min: number): string {
  const m = Math.round(min);
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** A shift `HH:MM-HH:MM` as minutes since midnight; the end may be 24:00. */
export function parseShift(text: string): { startMin: number; endMin: number } | null {
  const [a, b, ...rest] = text.split('-');
  if (a === undefined || b === undefined || rest.length) return null;
  const startMin = parseHhmm(a);
  const endMin = parseHhmm(b);
  if (startMin === null || endMin === null || endMin <= startMin) return null;
  return { startMin, endMin };
}
