// Debian's Chromium for the page tests (playwright-core drives it; no browser is ever downloaded), and the check
// that the pages' Chinese is drawn with a CJK font: without one Chromium draws boxes (tofu), and a screenshot that
// nobody looks at would not show it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = process.env.HOTLINE_CHROMIUM ?? '/usr/bin/chromium';

/** The family both pages' stylesheets name first; Debian's fonts-noto-cjk has it. */
export const CJK_FAMILY = 'Noto Sans CJK SC';

/** Whether CI runs us: there a test that cannot run must fail, not skip (.ci/run sets CI=true). */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = (env.CI ?? '').toLowerCase();
  return ci !== '' && ci !== 'false' && ci !== '0';
}

/**
 * Whether the page tests skip: only on a developer's machine without Chromium. In CI a missing browser is a broken
 * set-up, and a skipped test would report it as a pass.
 */
export function skipWithoutChromium(
  env: NodeJS.ProcessEnv = process.env,
  have: boolean = existsSync(CHROMIUM),
): boolean {
  if (have || inCi(env)) return false;
  console.warn(
    `[page tests skipped] ${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium, or HOTLINE_SETUP_BROWSER=1 scripts/setup.sh)`,
  );
  return true;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing (CI=${process.env.CI ?? ''}): in CI the page tests fail rather than skip; install Debian's chromium`,
    );
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Font families fontconfig offers for Chinese (`fc-list :lang=zh family`). */
export function cjkFamilies(): Set<string> {
  const out = execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
  return new Set(
    out
      .split('\n')
      .flatMap((l) => l.split(','))
      .map((f) => f.trim())
      .filter(Boolean),
  );
}

/**
 * The fonts Chromium drew the Chinese text under `selector` with, summed over the elements holding it (DevTools'
 * CSS.getPlatformFontsForNode, which reports an element's own text). `document.fonts.check()` cannot tell: it
 * answers true for any local family name, installed or not.
 */
export async function renderedFonts(
  page: Page,
  selector: string,
): Promise<Array<{ familyName: string; glyphCount: number }>> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
    if (!nodeId) throw new Error(`no ${selector} in the page`);
    type DomNode = NonNullable<typeof root.children>[number];
    const find = (n: DomNode): DomNode | null =>
      n.nodeId === nodeId ? n : (n.children ?? []).reduce<DomNode | null>((f, c) => f ?? find(c), null);
    const holders: number[] = [];
    const walk = (n: DomNode) => {
      if ((n.children ?? []).some((c) => c.nodeType === 3 && /\p{Script=Han}/u.test(c.nodeValue)))
        holders.push(n.nodeId);
      for (const c of n.children ?? []) walk(c);
    };
    const top = find(root);
    if (top) walk(top);
    const glyphs = new Map<string, number>();
    for (const id of holders.slice(0, 200))
      for (const f of (await cdp.send('CSS.getPlatformFontsForNode', { nodeId: id })).fonts)
        glyphs.set(f.familyName, (glyphs.get(f.familyName) ?? 0) + f.glyphCount);
    return [...glyphs].map(([familyName, glyphCount]) => ({ familyName, glyphCount }));
  } finally {
    await cdp.detach();
  }
}

/**
 * Asserts that a CJK font is installed, that the page asks for it first, and that every glyph of the Chinese
 * text under `selector` was drawn with a CJK font (so the screenshots show Chinese, not boxes).
 */
export async function expectCjkText(page: Page, selector: string): Promise<void> {
  const families = cjkFamilies();
  expect([...families], `fc-list :lang=zh lists ${CJK_FAMILY}`).toContain(CJK_FAMILY);
  const text = await page.locator(selector).first().innerText();
  expect(text, `${selector} holds Chinese text`).toMatch(/\p{Script=Han}/u);
  const asked = await page
    .locator(selector)
    .first()
    .evaluate((e) => getComputedStyle(e).fontFamily);
  expect(
    asked
      .split(',')[0]!
      .trim()
      .replace(/^["']|["']$/g, ''),
  ).toBe(CJK_FAMILY);
  const used = await renderedFonts(page, selector);
  expect(used.length, `fonts used for ${selector}`).toBeGreaterThan(0);
  for (const f of used) expect([...families], `${f.familyName} draws ${selector}`).toContain(f.familyName);
  expect(used.map((f) => f.familyName)).toContain(CJK_FAMILY);
}
