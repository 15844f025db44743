// Admission control: calls in hand, and event-loop lag only when it lasts (two windows in a row).
import { describe, expect, it } from 'vitest';
import { LoadShedder } from '../../src/esl/load-shedder.ts';

describe('LoadShedder', () => {
  it('passes calls on above the calls-in-hand limit', () => {
    const s = new LoadShedder({ maxCalls: 3, lagMs: 1000 });
    expect(s.admit(2)).toEqual({ shed: false });
    expect(s.admit(3)).toEqual({ shed: true, reason: 'calls' });
    expect(s.shedCalls).toBe(1);
  });

  it('takes calls through one long pause (a fork, the burst after a Redis restart): lag in one window is not overload', () => {
    const s = new LoadShedder({ maxCalls: 100, lagMs: 1000 });
    s.observe(5);
    s.observe(1721);
    expect(s.lagMs).toBe(1721);
    expect(s.admit(1)).toEqual({ shed: false });
    s.observe(8);
    expect(s.admit(1)).toEqual({ shed: false });
    expect(s.shedCalls).toBe(0);
  });

  it('passes calls on while the lag lasts over two windows, and takes them again once one window is clear', () => {
    const s = new LoadShedder({ maxCalls: 100, lagMs: 1000 });
    s.observe(1200);
    s.observe(1500);
    expect(s.sustainedLagMs).toBe(1200);
    expect(s.admit(1)).toEqual({ shed: true, reason: 'lag' });
    s.observe(1100);
    expect(s.admit(1)).toEqual({ shed: true, reason: 'lag' });
    s.observe(20);
    expect(s.admit(1)).toEqual({ shed: false });
    expect(s.shedCalls).toBe(2);
  });
});
