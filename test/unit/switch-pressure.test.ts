import { describe, expect, it } from 'vitest';
import { DEFAULT_SWITCH_PRESSURE, SwitchPressure } from '../../src/esl/switch-pressure.ts';

/** Feeds `perWindow` sockets of `ms` in each of `windows` windows from `t0`; returns the time after them. */
function feed(p: SwitchPressure, t0: number, windows: number, perWindow: number, ms: number): number {
  const w = DEFAULT_SWITCH_PRESSURE.windowMs;
  for (let i = 0; i < windows; i++)
    for (let k = 0; k < perWindow; k++) p.observe(ms, t0 + i * w + (k * w) / perWindow);
  return t0 + windows * w;
}

describe('SwitchPressure', () => {
  it('turns nobody away while FreeSWITCH answers connect in a few ms', () => {
    const p = new SwitchPressure();
    const t = feed(p, 0, 20, 15, 12);
    expect(p.turnAway(t)).toBe(false);
    expect(p.share).toBe(0);
  });

  it('turns away a growing, evenly spread share while connect stays slow, and lets it go when it recovers', () => {
    const p = new SwitchPressure();
    let t = feed(p, 0, 2, 15, 80);
    // The second window closes at the next observation or decision.
    p.turnAway(t);
    expect(p.share).toBeCloseTo(0.4);
    const decisions = Array.from({ length: 10 }, () => p.turnAway(t));
    expect(decisions.filter(Boolean)).toHaveLength(4);
    expect(decisions.slice(0, 4)).not.toEqual([true, true, true, true]);
    t = feed(p, t, 20, 15, 80);
    p.turnAway(t);
    expect(p.share).toBe(DEFAULT_SWITCH_PRESSURE.maxShare);
    t = feed(p, t, 4, 15, 8);
    p.turnAway(t);
    expect(p.share).toBeCloseTo(0.6);
    t = feed(p, t, 1, 15, 8);
    p.turnAway(t);
    expect(p.share).toBeCloseTo(0.55);
    t = feed(p, t, 20, 15, 8);
    expect(p.turnAway(t)).toBe(false);
    expect(p.share).toBe(0);
  });

  it('reads nothing into a few slow sockets (a loaded test machine) and keeps a share between the thresholds', () => {
    const p = new SwitchPressure();
    let t = feed(p, 0, 10, 3, 500);
    p.turnAway(t);
    expect(p.share).toBe(0);
    t = feed(p, t, 1, 15, 80);
    p.turnAway(t);
    expect(p.share).toBeCloseTo(0.2);
    // Between half the threshold and the threshold: neither more nor less.
    t = feed(p, t, 5, 15, 20);
    p.turnAway(t);
    expect(p.share).toBeCloseTo(0.2);
  });

  it('with sustainWindows 2 (parked callers), one slow window turns nobody away; two in a row do', () => {
    const p = new SwitchPressure({ ...DEFAULT_SWITCH_PRESSURE, highMs: 250, sustainWindows: 2 });
    let t = feed(p, 0, 1, 15, 900);
    t = feed(p, t, 1, 15, 20);
    p.turnAway(t);
    expect(p.share).toBe(0);
    t = feed(p, t, 1, 15, 600);
    t = feed(p, t, 1, 15, 20);
    t = feed(p, t, 1, 15, 600);
    p.turnAway(t);
    expect(p.share).toBe(0);
    t = feed(p, t, 1, 15, 600);
    p.turnAway(t);
    expect(p.share).toBeCloseTo(0.2);
    t = feed(p, t, 1, 15, 600);
    p.turnAway(t);
    expect(p.share).toBeCloseTo(0.4);
  });

  it('forgets the pressure after a long quiet spell, and can be switched off', () => {
    const p = new SwitchPressure();
    const t = feed(p, 0, 5, 15, 80);
    p.turnAway(t);
    expect(p.share).toBeGreaterThan(0);
    expect(p.turnAway(t + 60_000)).toBe(false);
    expect(p.share).toBe(0);
    const off = new SwitchPressure({ ...DEFAULT_SWITCH_PRESSURE, highMs: 0 });
    feed(off, 0, 10, 15, 900);
    expect(off.turnAway(5000)).toBe(false);
  });

  it('decides for several controls at once on the larger share: never more than maxShare, each caller counted once', () => {
    const arrivals = new SwitchPressure();
    const joins = new SwitchPressure({ ...DEFAULT_SWITCH_PRESSURE, highMs: 250 });
    // Both at their highest: together they still let a fifth of callers through, evenly.
    let t = feed(arrivals, 0, 10, 15, 80);
    feed(joins, 0, 10, 15, 900);
    const both = Array.from({ length: 100 }, () => SwitchPressure.turnAwayAny([arrivals, joins], t));
    expect(arrivals.share).toBe(DEFAULT_SWITCH_PRESSURE.maxShare);
    expect(joins.share).toBe(DEFAULT_SWITCH_PRESSURE.maxShare);
    expect(both.filter(Boolean)).toHaveLength(80);
    for (let i = 0; i + 5 <= both.length; i += 5)
      expect(both.slice(i, i + 5).filter(Boolean)).toHaveLength(4);
    expect(arrivals.turnedAway + joins.turnedAway).toBe(80);
    // Quick arrivals, slow joins: the joins' share decides, and the joins' control counts the callers.
    t = feed(arrivals, t, 20, 15, 5);
    feed(joins, t - 20 * DEFAULT_SWITCH_PRESSURE.windowMs, 20, 15, 900);
    const before = { arrivals: arrivals.turnedAway, joins: joins.turnedAway };
    const later = Array.from({ length: 10 }, () => SwitchPressure.turnAwayAny([arrivals, joins], t));
    expect(arrivals.share).toBe(0);
    expect(later.filter(Boolean)).toHaveLength(8);
    expect(arrivals.turnedAway).toBe(before.arrivals);
    expect(joins.turnedAway).toBe(before.joins + 8);
    // Neither: nobody.
    expect(SwitchPressure.turnAwayAny([new SwitchPressure(), new SwitchPressure()], 0)).toBe(false);
  });
});
