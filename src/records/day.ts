// The hotline's day: China Standard Time (UTC+8, no daylight saving).
export function dayOf(epochMs: number): string {
  return new Date(epochMs + 8 * 3600_000).toISOString().slice(0, 10);
}
