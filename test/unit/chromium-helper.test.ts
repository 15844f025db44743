// The page tests' browser rule: outside CI a machine without Chromium skips them; in CI (CI=true, set by .ci/run) a
// missing Chromium must fail them, since a skipped test reads as a pass.
import { describe, expect, it } from 'vitest';
import { inCi, skipWithoutChromium } from '../helpers/chromium.ts';

describe('the page tests without Chromium', () => {
  it('skip only outside CI', () => {
    expect(skipWithoutChromium({}, false)).toBe(true);
    expect(skipWithoutChromium({ CI: 'false' }, false)).toBe(true);
    expect(skipWithoutChromium({ CI: 'true' }, false)).toBe(false);
    expect(skipWithoutChromium({ CI: '1' }, false)).toBe(false);
    expect(skipWithoutChromium({ CI: 'true' }, true)).toBe(false);
    expect(skipWithoutChromium({}, true)).toBe(false);
    expect(inCi({ CI: 'TRUE' })).toBe(true);
    expect(inCi({ CI: '0' })).toBe(false);
  });
});
