// How long a playback source lasts. tone_stream and silence_stream lengths follow mod_tone_stream's syntax;
// endless sources (local_stream, silence_stream://0, loops=-1) return Infinity.
export function toneStreamMs(spec: string): number {
  let loops = 1;
  let total = 0;
  for (const part of spec.split(';')) {
    const lm = /^\s*(?:loops|l)=(-?\d+)\s*$/i.exec(part);
    if (lm) {
      loops = Number(lm[1]);
      continue;
    }
    const re = /%\(([^)]*)\)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(part))) {
      const [on = '0', off = '0'] = (m[1] ?? '').split(',');
      total += Math.max(0, Number(on) || 0) + Math.max(0, Number(off) || 0);
    }
  }
  if (loops < 0) return Infinity;
  return total * Math.max(1, loops);
}

/** How long a file lasts, or null when FreeSWITCH could not open it (no such file). */
export type FileDurationMs = (file: string) => number | null;

/**
 * How long a playback source lasts; null when FreeSWITCH cannot open it. file_string:// skips the files it
 * cannot open (mod_dptools' next_file logs "Can't open file" and goes on) and fails only when none opens.
 */
export function sourceDurationMs(file: string, fileDurationMs: FileDurationMs): number | null {
  if (file.startsWith('tone_stream://')) return toneStreamMs(file.slice('tone_stream://'.length));
  if (file.startsWith('silence_stream://')) {
    const n = Number(file.slice('silence_stream://'.length).split(',')[0]);
    return Number.isFinite(n) && n > 0 ? n : Infinity;
  }
  if (file.startsWith('local_stream://')) return Infinity;
  if (file.startsWith('file_string://')) {
    const parts = file
      .slice('file_string://'.length)
      .split('!')
      .map((f) => sourceDurationMs(f, fileDurationMs))
      .filter((ms): ms is number => ms !== null);
    return parts.length ? parts.reduce((sum, ms) => sum + ms, 0) : null;
  }
  const ms = fileDurationMs(file);
  return ms === null || Number.isNaN(ms) ? null : ms;
}
