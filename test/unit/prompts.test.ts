// The shipped prompts: every file the router and the dialplan play is in freeswitch-conf/hotline_sounds, as an
// 8 kHz mono 16-bit PCM WAV, and listed in prompts.tsv (scripts/make-prompts.sh's table) with the text the code
// gives for it.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CALLBACK_CONFIRMED,
  LEAVE_MESSAGE,
  LINE_BUSY,
  LONG_WAIT_CALLBACK,
  QUEUE_PROMPT_PARTS,
} from '../../src/calls/queue-prompts.ts';
import { defaultMenus } from '../../src/ivr/defaults.ts';
import type { Prompt } from '../../src/ivr/types.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SOUNDS = path.join(ROOT, 'freeswitch-conf', 'hotline_sounds');

/** prompts.tsv: path -> text (comments and blank lines skipped). */
function table(): Map<string, { text: string; extra: string }> {
  const out = new Map<string, { text: string; extra: string }>();
  for (const line of readFileSync(path.join(SOUNDS, 'prompts.tsv'), 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [file = '', text = '', extra = ''] = line.split('\t');
    expect(out.has(file), `${file} listed twice`).toBe(false);
    out.set(file, { text, extra });
  }
  return out;
}

/** Every Prompt object in a value (menus, nodes, survey...). */
function promptsIn(v: unknown, out: Prompt[] = []): Prompt[] {
  if (Array.isArray(v)) for (const x of v) promptsIn(x, out);
  else if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.file === 'string' && typeof o.text === 'string') out.push(o as unknown as Prompt);
    else for (const x of Object.values(o)) promptsIn(x, out);
  }
  return out;
}

function wavFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    const r = rel ? `${rel}/${e}` : e;
    if (statSync(p).isDirectory()) out.push(...wavFiles(p, r));
    else if (e.endsWith('.wav')) out.push(r);
  }
  return out.sort();
}

/** The fmt chunk of a RIFF WAVE file, and its duration. */
function wavFormat(file: string): {
  format: number;
  channels: number;
  rate: number;
  bits: number;
  seconds: number;
} {
  const b = readFileSync(file);
  expect(b.toString('ascii', 0, 4), file).toBe('RIFF');
  expect(b.toString('ascii', 8, 12), file).toBe('WAVE');
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  let dataBytes = 0;
  for (let off = 12; off + 8 <= b.length;) {
    const id = b.toString('ascii', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    if (id === 'fmt ')
      fmt = {
        format: b.readUInt16LE(off + 8),
        channels: b.readUInt16LE(off + 10),
        rate: b.readUInt32LE(off + 12),
        bits: b.readUInt16LE(off + 22),
      };
    if (id === 'data') dataBytes = size;
    off += 8 + size + (size % 2);
  }
  expect(fmt, file).toBeDefined();
  return { ...fmt!, seconds: dataBytes / (fmt!.rate * fmt!.channels * (fmt!.bits / 8)) };
}

const codePrompts = (): Prompt[] => [
  ...promptsIn(defaultMenus()),
  ...QUEUE_PROMPT_PARTS,
  CALLBACK_CONFIRMED,
  LONG_WAIT_CALLBACK,
  LINE_BUSY,
  LEAVE_MESSAGE,
];

describe('shipped prompts', () => {
  it('every prompt the code names is in the table with the same text', () => {
    const t = table();
    const prompts = codePrompts();
    expect(prompts.length).toBeGreaterThan(80);
    for (const p of prompts) {
      expect(p.file, p.file).not.toMatch(/^[a-z_]+:\/\//);
      expect(t.get(p.file)?.text, p.file).toBe(p.text);
    }
  });

  it('the table holds nothing else but the dialplan apology', () => {
    const named = new Set(codePrompts().map((p) => p.file));
    const vars = readFileSync(path.join(ROOT, 'freeswitch-conf', 'hotline_vars.xml'), 'utf8');
    const apology = /data="hotline_apology_prompt=([^"]+)"/.exec(vars)?.[1];
    expect(apology).toBe('hotline_apology_zh.wav');
    const extra = [...table().keys()].filter((f) => !named.has(f));
    expect(extra).toEqual([apology]);
    expect(table().get(apology!)?.text).toBe('您好，系统繁忙，正在为您转接人工服务，请稍候。');
  });

  it('every table entry has its WAV, and every WAV (but the hold music) its table entry', () => {
    const t = table();
    const wavs = wavFiles(SOUNDS);
    expect(wavs.filter((f) => !f.startsWith('moh/'))).toEqual([...t.keys()].sort());
    expect(wavs.filter((f) => f.startsWith('moh/')).length).toBeGreaterThan(0);
  });

  it('every WAV is 8 kHz mono 16-bit PCM, of a sensible length', () => {
    const t = table();
    for (const f of wavFiles(SOUNDS)) {
      const w = wavFormat(path.join(SOUNDS, f));
      expect({ format: w.format, channels: w.channels, rate: w.rate, bits: w.bits }, f).toEqual({
        format: 1,
        channels: 1,
        rate: 8000,
        bits: 16,
      });
      const text = t.get(f)?.text ?? '';
      // About 0.12 to 0.6 s a character for speech; the hold music a few seconds.
      const min = f.startsWith('moh/') ? 3 : Math.max(0.15, [...text].length * 0.12);
      const max = f.startsWith('moh/') ? 30 : 1 + [...text].length * 0.6;
      expect(w.seconds, f).toBeGreaterThanOrEqual(min);
      expect(w.seconds, f).toBeLessThanOrEqual(max);
    }
  });

  it('the table is what scripts/make-prompts.sh reads', () => {
    const script = readFileSync(path.join(ROOT, 'scripts', 'make-prompts.sh'), 'utf8');
    expect(script).toContain('TABLE="$OUT/prompts.tsv"');
    expect(script).toContain('OUT=freeswitch-conf/hotline_sounds');
  });
});
