import { describe, expect, it } from 'vitest';
import { expectedWaitS } from '../../src/acd/policy.ts';
import {
  numeralTokens,
  positionPrompt,
  QUEUE_PROMPT_PARTS,
  shouldOfferCallback,
} from '../../src/calls/queue-prompts.ts';

const files = (p: { file: string }): string[] => p.file.replace(/^file_string:\/\//, '').split('!');
const said = (n: number): string =>
  numeralTokens(n)
    .map((t) => QUEUE_PROMPT_PARTS.find((p) => p.file === `ivr/digits/${t}.wav`)?.text ?? `?${t}?`)
    .join('');

describe('numbers as Chinese numerals', () => {
  it.each([
    [0, '零'],
    [1, '一'],
    [2, '两'],
    [3, '三'],
    [10, '十'],
    [12, '十二'],
    [20, '二十'],
    [22, '二十二'],
    [100, '一百'],
    [105, '一百零五'],
    [110, '一百一十'],
    [999, '九百九十九'],
    [1000, '一千'],
    [1005, '一千零五'],
    [1050, '一千零五十'],
    [2013, '二千零一十三'],
    [10000, '一万'],
    [10010, '一万零一十'],
    [12000, '一万二千'],
    [100000, '十万'],
    [120500, '十二万零五百'],
  ])('%d is said %s', (n, text) => {
    expect(said(n)).toBe(text);
  });

  it('never spells what is not a number of callers or minutes', () => {
    expect(numeralTokens(Infinity)).toEqual(['0']);
    expect(numeralTokens(Number.NaN)).toEqual(['0']);
    expect(numeralTokens(-3)).toEqual(['0']);
    expect(said(1e12)).toBe('九千九百九十九万九千九百九十九');
  });
});

describe('queue announcements', () => {
  it('position and expected wait, in minutes rounded up', () => {
    const p = positionPrompt(12, 190, false);
    expect(p.text).toBe('您前面还有12位来电，预计等待约4分钟。');
    expect(files(p)).toEqual([
      'ivr/queue/ahead.wav',
      'ivr/digits/10.wav',
      'ivr/digits/2.wav',
      'ivr/queue/callers-wait.wav',
      'ivr/digits/4.wav',
      'ivr/queue/minutes.wav',
    ]);
  });

  it('with nobody of the skill on duty: no "Infinity" minutes, but that no agent is free, and the callback', () => {
    const ewtS = expectedWaitS(3, 0, 180);
    expect(ewtS).toBe(Infinity);
    const p = positionPrompt(2, ewtS, true);
    expect(p.text).toBe(
      '您前面还有2位来电，目前暂无坐席空闲。如需坐席空闲时为您回电并保留排队位置，请按1；继续等待请不要挂机。',
    );
    expect(p.text).not.toMatch(/Infinity|NaN|分钟/);
    expect(p.file).not.toMatch(/Infinity|NaN|minutes/);
    expect(files(p)).toEqual([
      'ivr/queue/ahead.wav',
      'ivr/digits/liang.wav',
      'ivr/queue/callers-no-agents.wav',
      'ivr/queue/callback-offer.wav',
    ]);
  });

  it('every file an announcement names is one of the recorded parts', () => {
    const known = new Set(QUEUE_PROMPT_PARTS.map((p) => p.file));
    for (const [ahead, ewt, offer] of [
      [0, 60, false],
      [7, 3600, true],
      [123, 98765, true],
      [1, Infinity, true],
      [40, Infinity, false],
    ] as const) {
      for (const f of files(positionPrompt(ahead, ewt, offer))) expect(known.has(f), f).toBe(true);
    }
  });

  it('the text is the recorded parts said in order', () => {
    for (const [ahead, ewt, offer] of [
      [3, 400, true],
      [15, 86400, false],
      [0, Infinity, true],
    ] as const) {
      const p = positionPrompt(ahead, ewt, offer);
      const spoken = files(p)
        .map((f) => QUEUE_PROMPT_PARTS.find((q) => q.file === f)!.text)
        .join('');
      // The text writes the count and the minutes in digits; the recordings say them ("请按1" is recorded so).
      const offerAt = p.text.includes('如需') ? p.text.indexOf('如需') : p.text.length;
      const expected =
        p.text.slice(0, offerAt).replace(/\d+/g, (n) => said(Number(n))) + p.text.slice(offerAt);
      expect(spoken).toBe(expected);
    }
  });
});

describe('the callback offer (virtual hold)', () => {
  it('is made once, when the expected wait reaches the threshold', () => {
    expect(shouldOfferCallback({ offeredBefore: false, ewtS: 119, offerAboveS: 120 })).toBe(false);
    expect(shouldOfferCallback({ offeredBefore: false, ewtS: 120, offerAboveS: 120 })).toBe(true);
    expect(shouldOfferCallback({ offeredBefore: true, ewtS: 900, offerAboveS: 120 })).toBe(false);
  });

  it('is made at every announcement while nobody of the skill is on duty, whatever the threshold', () => {
    const ewtS = expectedWaitS(1, 0, 180);
    expect(shouldOfferCallback({ offeredBefore: false, ewtS, offerAboveS: 7200 })).toBe(true);
    expect(shouldOfferCallback({ offeredBefore: true, ewtS, offerAboveS: 7200 })).toBe(true);
  });
});
