// Which sound files the emulated switch can open. A real FreeSWITCH installed with this project's configuration
// has the files of freeswitch-conf/hotline_sounds (install.sh copies them; the dialplan points sound_prefix at
// them); any other relative path is a file it cannot open: playback answers FILE NOT FOUND at once, and
// play_and_get_digits returns at once without waiting for keys and without read_result (switch_ivr_read).
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHIPPED_SOUNDS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../freeswitch-conf/hotline_sounds',
);

/** Relative paths (ivr/12345/greeting.wav, moh/hotline_moh.wav ...) of the sound files under `dir`. */
export function soundFilesIn(dir: string = SHIPPED_SOUNDS_DIR): Set<string> {
  const out = new Set<string>();
  const walk = (d: string, rel: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d)) {
      const p = path.join(d, e);
      const r = rel ? `${rel}/${e}` : e;
      if (statSync(p).isDirectory()) walk(p, r);
      else if (/\.(wav|mp3|ogg|flac|au|raw|r8|r16|ul|al)$/i.test(e)) out.add(r);
    }
  };
  walk(dir, '');
  return out;
}

/**
 * A fileDurationMs for the emulator: files of `known` (relative to the sounds dir, or absolute paths under a
 * hotline_sounds directory) last `durationMs`; other absolute paths exist when they exist on this machine;
 * anything else is missing (null). Sources with a scheme other than file paths (phrase:, say:, http://) exist.
 */
export function knownSoundsDurationMs(
  known: ReadonlySet<string> = soundFilesIn(),
  durationMs = 1000,
): (file: string) => number | null {
  return (file) => {
    const f = file.replace(/^(\{[^}]*\})+/, '').trim();
    if (/^[a-z_]+:/i.test(f)) return durationMs;
    if (known.has(f)) return durationMs;
    if (path.isAbsolute(f)) {
      const m = /\/hotline_sounds\/(.+)$/.exec(f);
      if (m && known.has(m[1] as string)) return durationMs;
      return existsSync(f) ? durationMs : null;
    }
    return null;
  };
}
