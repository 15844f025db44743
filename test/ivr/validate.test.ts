import { describe, expect, it } from 'vitest';
import { DEFAULT_LINES } from '../../src/number-plan/lines.ts';
import type { MenuDocument } from '../../src/ivr/types.ts';
import { validateMenu } from '../../src/ivr/validate.ts';

const vctx = {
  queues: new Set(DEFAULT_LINES.map((l) => l.skill)),
  lines: new Map(DEFAULT_LINES.map((l) => [l.number, { subcenter: l.mergeMode === 'subcenter' }])),
};
const pr = (t: string) => ({ file: `${t}.wav`, text: t });
const base = (nodes: MenuDocument['nodes'], over: Partial<MenuDocument> = {}): MenuDocument => ({
  line: '12333',
  mode: 'menu',
  human: { skill: 'hrss' },
  root: 'main',
  nodes,
  ...over,
});
const q = { type: 'queue' as const, skill: 'hrss' };

describe('menu validation names the node of every problem', () => {
  it.each([
    [
      'an unreachable node',
      base({ main: { type: 'menu', prompt: pr('主'), options: [{ digit: '1', next: 'q' }] }, q, orphan: q }),
      { node: 'orphan', message: expect.stringMatching(/unreachable/) },
    ],
    [
      'a dead end',
      base({ main: { type: 'announce', prompt: pr('公告'), next: 'nowhere' } }),
      { node: 'main', message: expect.stringMatching(/"nowhere", which does not exist/) },
    ],
    [
      'a missing prompt',
      base({
        main: { type: 'menu', prompt: { file: 'x.wav', text: '' }, options: [{ digit: '1', next: 'q' }] },
        q,
      }),
      { node: 'main', message: 'prompt has no Chinese text' },
    ],
    [
      'a loop that can never exit',
      base({
        main: { type: 'menu', prompt: pr('主'), options: [{ digit: '1', next: 'a' }] },
        a: { type: 'announce', prompt: pr('甲'), next: 'b' },
        b: { type: 'announce', prompt: pr('乙'), next: 'a' },
      }),
      { node: 'a', message: expect.stringMatching(/loop that can never exit/) },
    ],
    [
      'a digit used twice',
      base({
        main: {
          type: 'menu',
          prompt: pr('主'),
          options: [
            { digit: '1', next: 'q' },
            { digit: '1', next: 'q' },
          ],
        },
        q,
      }),
      { node: 'main', message: 'digit 1 is used twice' },
    ],
    [
      'a menu that tries to take 0 away',
      base({ main: { type: 'menu', prompt: pr('主'), options: [{ digit: '0', next: 'q' }] }, q }),
      { node: 'main', message: 'digit 0 is reserved: it always reaches a human' },
    ],
    [
      'more than 3 levels below the root',
      base({
        main: { type: 'menu', prompt: pr('1'), options: [{ digit: '1', next: 'm2' }] },
        m2: { type: 'menu', prompt: pr('2'), options: [{ digit: '1', next: 'm3' }] },
        m3: { type: 'menu', prompt: pr('3'), options: [{ digit: '1', next: 'm4' }] },
        m4: { type: 'menu', prompt: pr('4'), options: [{ digit: '1', next: 'm5' }] },
        m5: { type: 'menu', prompt: pr('5'), options: [{ digit: '1', next: 'q' }] },
        q,
      }),
      { node: 'm5', message: 'menu is 4 levels below the root; at most 3 allowed' },
    ],
    [
      'an unknown queue',
      base({
        main: { type: 'menu', prompt: pr('主'), options: [{ digit: '1', next: 'x' }] },
        x: { type: 'queue', skill: 'astrology' },
      }),
      { node: 'x', message: 'unknown queue "astrology"' },
    ],
    [
      'an unknown line',
      base(
        { main: { type: 'menu', prompt: pr('主'), options: [{ digit: '1', next: 'q' }] }, q },
        { line: '99999' },
      ),
      { node: '(document)', message: 'unknown line "99999"' },
    ],
    [
      'a transfer to a line that is not a sub-center',
      base({
        main: { type: 'menu', prompt: pr('主'), options: [{ digit: '1', next: 't' }] },
        t: { type: 'transfer', subcenterLine: '12315' },
      }),
      { node: 't', message: 'line 12315 is not a sub-center line' },
    ],
  ])('rejects %s', (_what, doc, problem) => {
    expect(validateMenu(doc, vctx)).toContainEqual(problem);
  });
});
