// What callers in queue hear: position, expected wait, and the offer of a callback that keeps their
// place (virtual hold). Prompt files are assembled with FreeSWITCH's file_string://, numbers from
// recordings of Chinese numerals (ivr/digits/); the Chinese text goes beside them.
import type { Prompt } from '../ivr/types.ts';

/** The largest number the numeral recordings can say (九千九百九十九万...); larger ones are said as this. */
export const MAX_SPOKEN_NUMBER = 99_999_999;

/** 1..9999 as numeral tokens: 1205 -> 1 1000 2 100 0 5 (一千二百零五). */
function groupTokens(n: number, leading: boolean): string[] {
  const out: string[] = [];
  const places: Array<[number, string]> = [
    [1000, '1000'],
    [100, '100'],
    [10, '10'],
    [1, ''],
  ];
  let zero = false;
  for (const [value, unit] of places) {
    const d = Math.floor(n / value) % 10;
    if (d === 0) {
      if (out.length) zero = true;
      continue;
    }
    if (zero) out.push('0');
    zero = false;
    // 十二, not 一十二, at the head of a number; 一百一十二 inside one.
    if (!(unit === '10' && d === 1 && leading && out.length === 0)) out.push(String(d));
    if (unit) out.push(unit);
  }
  return out;
}

/**
 * A number as the tokens of its Chinese reading, one recording each: digits 0-9, 10 (十), 100 (百),
 * 1000 (千), 10000 (万), and liang (两) for a count of two. 12 -> 10 2 (十二), 105 -> 1 100 0 5.
 */
export function numeralTokens(value: number): string[] {
  const n = Math.min(MAX_SPOKEN_NUMBER, Math.max(0, Math.round(Number.isFinite(value) ? value : 0)));
  if (n === 0) return ['0'];
  if (n === 2) return ['liang'];
  const high = Math.floor(n / 10_000);
  const low = n % 10_000;
  if (!high) return groupTokens(low, true);
  const out = [...groupTokens(high, true), '10000'];
  if (low) out.push(...(low < 1000 ? ['0'] : []), ...groupTokens(low, false));
  return out;
}

function numberFiles(n: number): string[] {
  return numeralTokens(n).map((t) => `ivr/digits/${t}.wav`);
}

/**
 * Whether this announcement offers the callback: once, when the expected wait reaches the threshold;
 * and at every announcement while nobody of the skill is on duty (`ewtS` not finite), since waiting
 * on may then never end.
 */
export function shouldOfferCallback(o: {
  offeredBefore: boolean;
  ewtS: number;
  offerAboveS: number;
}): boolean {
  if (!Number.isFinite(o.ewtS)) return true;
  return !o.offeredBefore && o.ewtS >= o.offerAboveS;
}

const CALLBACK_OFFER = '如需坐席空闲时为您回电并保留排队位置，请按1；继续等待请不要挂机。';

/**
 * The periodic queue announcement. `ewtS` not finite means no agent of the skill is on duty
 * (expectedWaitS gives Infinity): the caller then hears that no agent is free, not a number of minutes.
 */
export function positionPrompt(ahead: number, ewtS: number, offerCallback: boolean): Prompt {
  const files = ['ivr/queue/ahead.wav', ...numberFiles(ahead)];
  let text = `您前面还有${ahead}位来电，`;
  if (Number.isFinite(ewtS)) {
    const minutes = Math.max(1, Math.ceil(ewtS / 60));
    files.push('ivr/queue/callers-wait.wav', ...numberFiles(minutes), 'ivr/queue/minutes.wav');
    text += `预计等待约${minutes}分钟。`;
  } else {
    files.push('ivr/queue/callers-no-agents.wav');
    text += '目前暂无坐席空闲。';
  }
  if (offerCallback) {
    files.push('ivr/queue/callback-offer.wav');
    text += CALLBACK_OFFER;
  }
  return { file: `file_string://${files.join('!')}`, text };
}

/**
 * The recordings positionPrompt assembles, each with its text: what scripts/make-prompts.sh must
 * synthesise (test/unit/prompts.test.ts holds the table to this).
 */
export const QUEUE_PROMPT_PARTS: readonly Prompt[] = [
  { file: 'ivr/queue/ahead.wav', text: '您前面还有' },
  { file: 'ivr/queue/callers-wait.wav', text: '位来电，预计等待约' },
  { file: 'ivr/queue/minutes.wav', text: '分钟。' },
  { file: 'ivr/queue/callers-no-agents.wav', text: '位来电，目前暂无坐席空闲。' },
  { file: 'ivr/queue/callback-offer.wav', text: CALLBACK_OFFER },
  ...['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => ({
    file: `ivr/digits/${d}.wav`,
    text: '零一二三四五六七八九'[Number(d)] as string,
  })),
  { file: 'ivr/digits/liang.wav', text: '两' },
  { file: 'ivr/digits/10.wav', text: '十' },
  { file: 'ivr/digits/100.wav', text: '百' },
  { file: 'ivr/digits/1000.wav', text: '千' },
  { file: 'ivr/digits/10000.wav', text: '万' },
];

export const CALLBACK_CONFIRMED: Prompt = {
  file: 'ivr/queue/callback-confirmed.wav',
  text: '已为您登记回电，您的排队位置将保留，坐席空闲时会立即回电，请保持电话畅通。再见。',
};

export const LONG_WAIT_CALLBACK: Prompt = {
  file: 'ivr/queue/long-wait-callback.wav',
  text: '当前等待时间较长，我们已为您登记回电，坐席空闲时会立即回电。再见。',
};

/** What a caller turned away by an overloaded switch hears (esl/switch-pressure.ts), before a 486. */
export const LINE_BUSY: Prompt = {
  file: 'ivr/queue/line-busy.wav',
  text: '您好，线路繁忙，请稍后再拨。',
};
/** The record's IVR path for such a caller. */
export const LINE_BUSY_PATH = '线路繁忙';

export const LEAVE_MESSAGE: Prompt = {
  file: 'ivr/queue/leave-message.wav',
  text: '当前坐席繁忙，请在提示音后留言，我们将尽快处理。',
};
