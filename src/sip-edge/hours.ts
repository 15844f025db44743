// Opening hours of a sub-center (设分中心), e.g. "mon-fri 08:30-12:00,13:30-17:30" or "00:00-24:00", in the
// hotline's time zone. Outside them the line's calls go to 12345's own seats.

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export interface OpeningHours {
  days: Set<number>;
  ranges: Array<[number, number]>;
}

export function parseHours(spec: string): OpeningHours | null {
  const m =
    /^(?:((?:mon|tue|wed|thu|fri|sat|sun))(?:-((?:mon|tue|wed|thu|fri|sat|sun)))?\s+)?(\d\d:\d\d-\d\d:\d\d(?:\s*,\s*\d\d:\d\d-\d\d:\d\d)*)$/i.exec(
      spec.trim(),
    );
  if (!m) return null;
  const days = new Set<number>();
  if (m[1]) {
    const a = DAYS.indexOf(m[1].toLowerCase());
    const b = m[2] ? DAYS.indexOf(m[2].toLowerCase()) : a;
    for (let d = a; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === b) break;
    }
  } else for (let d = 0; d < 7; d++) days.add(d);
  const ranges: Array<[number, number]> = [];
  for (const r of m[3]!.split(',')) {
    const [s, e] = r.trim().split('-') as [string, string];
    const min = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
    const a = min(s);
    const b = min(e);
    if (a > 24 * 60 || b > 24 * 60 || a >= b) return null;
    ranges.push([a, b]);
  }
  return { days, ranges };
}

/** Day of week (0 = Sunday) and minute of day of `at` in `timeZone`. */
export function localClock(at: Date, timeZone: string): { day: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return {
    day: DAYS.indexOf(get('weekday').toLowerCase().slice(0, 3)),
    minute: Number(get('hour')) * 60 + Number(get('minute')),
  };
}

export function isOpen(hours: OpeningHours, at: Date, timeZone: string): boolean {
  const { day, minute } = localClock(at, timeZone);
  return hours.days.has(day) && hours.ranges.some(([a, b]) => minute >= a && minute < b);
}
