// Call ids sort by when the router took the call (UUID version 7), so that callers with the same queue time
// (FreeSWITCH's channel times move in 20 ms steps) are served in the order the router took them.
import { describe, expect, it } from 'vitest';
import { rank } from '../../src/acd/policy.ts';
import { DEFAULT_SETTINGS, type WaitingCall } from '../../src/acd/types.ts';
import { newCallId } from '../../src/calls/call-id.ts';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newCallId', () => {
  // The ids' clock only moves forward: these times stay behind the real clock, which the last test uses.
  it('is a version 7 UUID carrying the millisecond', () => {
    const t = Date.now() - 60_000;
    const id = newCallId(t);
    expect(id).toMatch(V7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(t);
  });

  it('sorts in the order the ids were made, within one millisecond, past the counter and when the clock steps back', () => {
    const t = Date.now() - 30_000;
    const ids: string[] = [];
    for (let i = 0; i < 5000; i++) ids.push(newCallId(t)); // more than the 4096 a millisecond's counter holds
    ids.push(newCallId(t - 50)); // the clock stepped back
    ids.push(newCallId(t + 5));
    for (const id of ids) expect(id).toMatch(V7);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(parseInt(ids.at(-1)!.replace(/-/g, '').slice(0, 12), 16)).toBe(t + 5);
  });
});

describe('queue order on equal queue times', () => {
  it('serves callers whose queue times tie in the order the router took them', () => {
    const queuedAt = Date.now();
    const calls: WaitingCall[] = [];
    for (let i = 0; i < 50; i++)
      calls.push({ id: newCallId(), skill: 'general', priority: 'normal', queuedAt, tried: [] });
    const served = rank([...calls].reverse(), queuedAt + 1000, DEFAULT_SETTINGS).map((c) => c.id);
    expect(served).toEqual(calls.map((c) => c.id));
  });
});
