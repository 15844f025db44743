// playback, play_and_get_digits and read (mod_dptools + switch_ivr_play_say.c semantics).
import { sourceDurationMs } from '../media.ts';
import type { AppContext, AppFn } from '../session.ts';
import type { StopReason } from '../interrupt.ts';
import { DigitFeed } from './digits.ts';

interface PlayResult {
  playedMs: number;
  stop: StopReason | 'done' | 'digit' | 'notfound';
}

/**
 * Time one prompt; `feed` (if given) stops it when a digit arrives, like switch_ivr_play_file's input callback.
 * A file FreeSWITCH cannot open ends it at once ('notfound', SWITCH_STATUS_NOTFOUND), nothing played.
 */
async function playPrompt(ctx: AppContext, file: string, feed?: DigitFeed): Promise<PlayResult> {
  const total = sourceDurationMs(file, ctx.core.opts.fileDurationMs);
  if (total === null) return { playedMs: 0, stop: 'notfound' };
  const started = Date.now();
  const paused = ctx.interrupt.pausedMs;
  const ms = Number.isFinite(total) ? total : -1;
  const r = feed ? await feed.arrival(ctx.interrupt, ms) : await ctx.wait(ms);
  const elapsed = Date.now() - started - (ctx.interrupt.pausedMs - paused);
  const played = Math.min(elapsed, Number.isFinite(total) ? total : Infinity);
  return { playedMs: Math.max(0, Math.round(played)), stop: r };
}

/** The playback_* variables switch_ivr_play_file leaves behind (8 kHz samples). */
function setPlaybackVars(ctx: AppContext, playedMs: number): void {
  const v = ctx.channel.vars;
  const samples = playedMs * 8;
  v.set('playback_last_offset_pos', String(samples));
  v.set('playback_seconds', String(Math.floor(playedMs / 1000)));
  v.set('playback_ms', String(playedMs));
  v.set('playback_samples', String(samples));
}

// Digits during playback are eaten (mod_dptools' on_dtmf); one listed in playback_terminators ends it.
const playback: AppFn = async (ctx, data) => {
  const { core, channel: ch } = ctx;
  const terminators = ch.vars.get('playback_terminators') ?? '';
  let terminated = false;
  const stopOnTerminator = new Promise<'term'>((resolve) => {
    core.setDtmfHandler(ch, (d) => {
      if (terminators !== 'none' && terminators.includes(d)) {
        ch.vars.set('playback_terminator_used', d);
        terminated = true;
        resolve('term');
      }
    });
  });
  const total = sourceDurationMs(data, core.opts.fileDurationMs);
  if (total === null) {
    // switch_ivr_play_file could not open it: SWITCH_STATUS_NOTFOUND, the playback_* variables untouched.
    core.setDtmfHandler(ch, undefined);
    ch.vars.set('current_application_response', 'FILE NOT FOUND');
    return;
  }
  const started = Date.now();
  const paused = ctx.interrupt.pausedMs;
  const r = await Promise.race([ctx.wait(Number.isFinite(total) ? total : -1), stopOnTerminator]);
  core.setDtmfHandler(ch, undefined);
  const elapsed = Date.now() - started - (ctx.interrupt.pausedMs - paused);
  const played = Math.round(Math.min(elapsed, Number.isFinite(total) ? total : Infinity));
  setPlaybackVars(ctx, Math.max(0, played));
  ch.vars.set(
    'current_application_response',
    r === 'hangup' && !terminated ? 'PLAYBACK ERROR' : 'FILE PLAYED',
  );
};

interface ReadSpec {
  min: number;
  max: number;
  timeout: number;
  digitTimeout: number;
  terminators: string;
  prompt: string;
}

interface ReadOutcome {
  digits: string;
  /** read_result; undefined when the prompt could not be opened (switch_ivr_read leaves it unset). */
  result: 'success' | 'timeout' | 'failure' | undefined;
  stopped?: StopReason;
  playedMs?: number;
}

/**
 * switch_ivr_read: prompt (digits stop it and count), then collect until max, terminator or timeout. A prompt
 * that cannot be opened ends the read at once, no digit collected and read_result left unset.
 */
async function readDigits(ctx: AppContext, feed: DigitFeed, spec: ReadSpec): Promise<ReadOutcome> {
  const ch = ctx.channel;
  let digits = '';
  let terminated = false;
  const absorb = (d: string): boolean => {
    if (spec.terminators.includes(d)) {
      ch.vars.set('read_terminator_used', d);
      terminated = true;
      return true;
    }
    digits += d;
    return digits.length >= spec.max;
  };
  let playedMs: number | undefined;
  if (spec.prompt) {
    const p = await playPrompt(ctx, spec.prompt, feed);
    if (p.stop === 'notfound') return { digits, result: undefined };
    playedMs = p.playedMs;
    if (p.stop === 'hangup' || p.stop === 'break')
      return { digits, result: 'failure', stopped: p.stop, playedMs };
  }
  let first = true;
  for (;;) {
    let d = feed.take();
    if (d === undefined) {
      const waitMs = first && !digits ? spec.timeout : spec.digitTimeout;
      const r = await feed.next(ctx.interrupt, waitMs);
      if (r === 'hangup' || r === 'break') return { digits, result: 'failure', stopped: r, playedMs };
      if (r === 'done' || r === 'release') {
        // SWITCH_STATUS_TIMEOUT; fewer digits than min is SWITCH_STATUS_TOO_SMALL, i.e. "failure".
        return { digits, result: spec.min && digits.length < spec.min ? 'failure' : 'timeout', playedMs };
      }
      d = r;
    }
    first = false;
    if (absorb(d)) break;
  }
  if (terminated && digits.length < spec.min) return { digits, result: 'failure', playedMs };
  return { digits, result: 'success', playedMs };
}

/** Split like switch_separate_string: spaces separate, single quotes group. */
export function splitArgs(data: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(data))) out.push(m[1] ?? m[2] ?? '');
  return out;
}

function safeRegex(src: string | undefined): RegExp | undefined {
  if (!src) return undefined;
  try {
    return new RegExp(src);
  } catch {
    return undefined;
  }
}

// play_and_get_digits <min> <max> <tries> <timeout> <terminators> <file> <invalid_file> <var_name> <regexp> [digit_timeout]
const playAndGetDigits: AppFn = async (ctx, data) => {
  const a = splitArgs(data);
  const min = Number(a[0] ?? 0) || 0;
  const max = Math.max(1, Number(a[1] ?? 1) || 1);
  let tries = Math.max(1, Number(a[2] ?? 1) || 1);
  const timeout = Number(a[3] ?? 5000) || 5000;
  const terminators = (a[4] ?? '#') === 'none' ? '' : (a[4] ?? '#');
  const prompt = a[5] ?? '';
  const invalid = a[6] ?? '';
  const varName = a[7] ?? 'pagd_input';
  const regex = safeRegex(a[8]);
  const digitTimeout = Number(a[9] ?? timeout) || timeout;
  const ch = ctx.channel;
  const feed = new DigitFeed(ctx.core, ch);
  feed.start();
  if (regex) ch.vars.delete(`${varName}_invalid`);
  try {
    // read_result is what the last switch_ivr_read left: success, timeout (a timeout after at least min digits
    // counts as success), failure, or nothing when the prompt could not be opened.
    while (ch.up && tries > 0) {
      // switch_ivr_read clears read_result and the variable first.
      ch.vars.delete('read_result');
      ch.vars.delete(varName);
      const out = await readDigits(ctx, feed, { min, max, timeout, digitTimeout, terminators, prompt });
      if (out.playedMs !== undefined) setPlaybackVars(ctx, out.playedMs);
      if (out.result) ch.vars.set('read_result', out.result);
      if (out.stopped) return;
      if (out.digits) ch.vars.set(varName, out.digits);
      const complete = out.result === 'success' || (out.result === 'timeout' && out.digits.length >= min);
      if (complete && out.digits) {
        if (!regex || regex.test(out.digits)) return;
        ch.vars.delete(varName);
        ch.vars.set(`${varName}_invalid`, out.digits);
      }
      if (out.result === 'success' && min === 0 && !out.digits) return;
      ch.vars.delete(varName);
      tries--;
      if (!ch.up) return;
      if (invalid && tries >= 0) {
        const p = await playPrompt(ctx, invalid);
        if (p.stop === 'hangup' || p.stop === 'break') return;
      }
    }
  } finally {
    feed.stop();
  }
};

// read <min> <max> <sound_file> <variable_name> <timeout> <terminators>
const read: AppFn = async (ctx, data) => {
  const a = splitArgs(data);
  const min = Number(a[0] ?? 0) || 0;
  const max = Math.max(1, Number(a[1] ?? 1) || 1);
  const prompt = a[2] ?? '';
  const varName = a[3] ?? 'read_var';
  const timeout = Number(a[4] ?? 5000) || 5000;
  const terminators = a[5] ?? '#';
  const feed = new DigitFeed(ctx.core, ctx.channel);
  feed.start();
  try {
    const out = await readDigits(ctx, feed, {
      min,
      max,
      timeout,
      digitTimeout: timeout,
      terminators,
      prompt,
    });
    if (out.playedMs !== undefined) setPlaybackVars(ctx, out.playedMs);
    if (out.result) ctx.channel.vars.set('read_result', out.result);
    else ctx.channel.vars.delete('read_result');
    if (out.digits) ctx.channel.vars.set(varName, out.digits);
  } finally {
    feed.stop();
  }
};

/**
 * record <path> [<time_limit_secs>] [<silence_thresh>] [<silence_hits>] (switch_ivr_record_file). Nothing is
 * written; a scripted caller is silent, so with a silence threshold the recording ends after silence_hits seconds
 * (3 by default; silence_hits_exhausted=true), else at the time limit, on a terminator (playback_terminators,
 * default *), break or hangup.
 */
const record: AppFn = async (ctx, data) => {
  const { core, channel: ch } = ctx;
  const a = splitArgs(data);
  if (!a[0]) return;
  const limitS = Number((a[1] ?? '').replace(/^\+/, '')) || 0;
  const thresh = Number(a[2] ?? 0) || 0;
  const hits = Number(a[3] ?? 0) || 3;
  let ms = limitS > 0 ? limitS * 1000 : Infinity;
  const bySilence = thresh > 0 && hits * 1000 < ms;
  if (thresh > 0) ms = Math.min(ms, hits * 1000);
  ch.vars.set('playback_terminator_used', undefined);
  const terminators = ch.vars.get('playback_terminators') ?? '*';
  const stopOnTerminator = new Promise<'term'>((resolve) => {
    core.setDtmfHandler(ch, (d) => {
      if (terminators !== 'none' && terminators.includes(d)) {
        ch.vars.set('playback_terminator_used', d);
        resolve('term');
      }
    });
  });
  ch.vars.set('silence_hits_exhausted', 'false');
  const r = await Promise.race([ctx.wait(Number.isFinite(ms) ? ms : -1), stopOnTerminator]);
  core.setDtmfHandler(ch, undefined);
  if (r === 'done' && bySilence) ch.vars.set('silence_hits_exhausted', 'true');
  // Nothing reaches the file: a scripted caller sends no audio (on the real switch a caller whose leg carries
  // no audio frames leaves the same zeros).
  ch.vars.set('record_seconds', '0');
  ch.vars.set('record_ms', '0');
  ch.vars.set('record_samples', '0');
};

export const playbackApps: Record<string, AppFn> = {
  playback,
  record,
  play_and_get_digits: playAndGetDigits,
  read,
};
