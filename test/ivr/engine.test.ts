import { describe, expect, it } from 'vitest';
import { DEFAULT_LINES } from '../../src/number-plan/lines.ts';
import { defaultMenus, SHIPPED_DESKS } from '../../src/ivr/defaults.ts';
import { IvrRun, type IvrContext } from '../../src/ivr/engine.ts';
import type { Instruction, IvrInput } from '../../src/ivr/runtime.ts';
import type { MenuDocument } from '../../src/ivr/types.ts';
import { validateMenu, type ValidationContext } from '../../src/ivr/validate.ts';

const vctx: ValidationContext = {
  queues: new Set([...DEFAULT_LINES.map((l) => l.skill), ...Object.keys(SHIPPED_DESKS)]),
  lines: new Map(DEFAULT_LINES.map((l) => [l.number, { subcenter: l.mergeMode === 'subcenter' }])),
};
const menus = new Map(defaultMenus().map((d) => [d.line, d]));
const ctx = (over: Partial<IvrContext> = {}): IvrContext => ({
  now: () => Date.parse('2026-11-23T02:00:00Z'), // Monday 10:00 in Beijing
  careListed: false,
  incidents: [],
  subcenterUri: (l) => (l === '12348' ? 'sip:12348@legal.example' : undefined),
  ...over,
});
const digit = (d: string): IvrInput => ({ kind: 'digit', digit: d });
const NO: IvrInput = { kind: 'no-input' };

/** Drives a run with inputs until it queues/transfers/hangs up. */
function drive(
  doc: MenuDocument,
  inputs: IvrInput[],
  c = ctx(),
): { end: Instruction; run: IvrRun; steps: Instruction[] } {
  const run = new IvrRun(doc, c);
  const steps = [run.start()];
  for (const i of inputs) {
    const last = steps.at(-1)!;
    if (last.kind === 'queue' || last.kind === 'transfer' || last.kind === 'hangup') break;
    steps.push(run.next(i));
  }
  return { end: steps.at(-1)!, run, steps };
}

describe('shipped menus', () => {
  it('are all valid', () => {
    for (const doc of menus.values()) expect(validateMenu(doc, vctx), doc.line).toEqual([]);
    expect(menus.size).toBe(DEFAULT_LINES.length);
  });
  it('run 12345 in direct mode: a greeting, then a human', () => {
    const { end, steps } = drive(menus.get('12345')!, [NO]);
    expect(steps[0]).toMatchObject({ kind: 'collect', validDigits: '012' });
    expect(end).toMatchObject({ kind: 'queue', skill: 'general', reason: 'direct', priority: 'normal' });
  });
  it('send a key pressed during 12345’s greeting to the enterprise or dialect desk; 0 still to a human', () => {
    const ent = drive(menus.get('12345')!, [digit('1')]);
    expect(ent.end).toMatchObject({ kind: 'queue', skill: 'enterprise', priority: 'enterprise' });
    expect(ent.run.describePath()).toEqual(['欢迎语(按1)', '涉企服务专席']);
    expect(drive(menus.get('12345')!, [digit('2')]).end).toMatchObject({ kind: 'queue', skill: 'dialect' });
    expect(drive(menus.get('12345')!, [digit('0')]).end).toMatchObject({
      kind: 'queue',
      skill: 'general',
      reason: 'zero',
    });
  });
  it('refuse greeting keys on a menu line, to a missing node, or on 0', () => {
    const doc = menus.get('12345')!;
    const bad = (d: MenuDocument) => validateMenu(d, vctx).map((p) => p.message);
    expect(bad({ ...doc, greetingOptions: [{ digit: '0', next: 'desk-dialect' }] })).toEqual([
      'greeting option digit "0" is not a single key other than 0',
    ]);
    expect(bad({ ...doc, greetingOptions: [{ digit: '3', next: 'nowhere' }] })).toEqual([
      'greeting option 3 leads to node "nowhere", which does not exist',
    ]);
    expect(bad({ ...menus.get('12333')!, greetingOptions: [] })[0]).toMatch(/belong to a direct line/);
  });
  it('run a direct line without a greeting straight to a human, without waiting for a key', () => {
    const { greeting: _g, ...doc } = menus.get('12345')!;
    const { end, steps } = drive(doc, []);
    expect(steps).toHaveLength(1);
    expect(end).toMatchObject({ kind: 'queue', skill: 'general', reason: 'direct' });
  });
});

describe('0 reaches a human from any level with one key', () => {
  const doc = menus.get('12333')!;
  it('at the root', () => {
    const { end, steps } = drive(doc, [digit('0')]);
    expect(steps).toHaveLength(2);
    expect(end).toMatchObject({ kind: 'queue', skill: 'hrss', reason: 'zero' });
  });
  it('at level 2', () => {
    const { end, steps } = drive(doc, [digit('1'), digit('0')]);
    expect(steps).toHaveLength(3);
    expect(end).toMatchObject({ kind: 'queue', reason: 'zero' });
  });
  it('at level 3, in a menu that does not list 0', () => {
    const deep: MenuDocument = {
      line: '12333',
      mode: 'menu',
      human: { skill: 'general' },
      root: 'l1',
      nodes: {
        l1: { type: 'menu', prompt: { file: 'a', text: '一' }, options: [{ digit: '1', next: 'l2' }] },
        l2: { type: 'menu', prompt: { file: 'b', text: '二' }, options: [{ digit: '1', next: 'l3' }] },
        l3: { type: 'menu', prompt: { file: 'c', text: '三' }, options: [{ digit: '5', next: 'q' }] },
        q: { type: 'queue', skill: 'hrss' },
      },
    };
    expect(validateMenu(deep, vctx)).toEqual([]);
    const { end, steps } = drive(deep, [digit('1'), digit('1'), digit('0')]);
    expect(steps.at(-2)).toMatchObject({ nodeId: 'l3', validDigits: '05' });
    expect(end).toMatchObject({ kind: 'queue', skill: 'general', reason: 'zero' });
  });
  it('during an announcement too', () => {
    const doc2: MenuDocument = {
      line: '12369',
      mode: 'menu',
      human: { skill: 'environment' },
      root: 'a',
      nodes: {
        a: { type: 'announce', prompt: { file: 'x', text: '公告' }, next: 'q' },
        q: { type: 'queue', skill: 'environment' },
      },
    };
    expect(drive(doc2, [digit('0')]).end).toMatchObject({ kind: 'queue', reason: 'zero' });
  });
});

describe('care fast path', () => {
  it('sends a care-list caller straight to the care class, with no menu', () => {
    const { steps } = drive(menus.get('12333')!, [], ctx({ careListed: true }));
    expect(steps).toEqual([
      expect.objectContaining({ kind: 'queue', priority: 'care', reason: 'care-list' }),
    ]);
  });
  it('lets a caller declare the need', () => {
    expect(drive(menus.get('12315')!, [digit('9')]).end).toMatchObject({
      priority: 'care',
      reason: 'declared-care',
    });
  });
  it('sends two no-inputs in a row to a human with care priority', () => {
    const { end, steps } = drive(menus.get('12333')!, [NO, NO]);
    expect(steps[1]).toMatchObject({ kind: 'collect', nodeId: 'main' });
    expect(end).toMatchObject({ kind: 'queue', priority: 'care', reason: 'no-input' });
  });
  it('sends repeated invalid keys to a human, never hangs up', () => {
    expect(drive(menus.get('12333')!, [digit('7'), digit('7'), digit('7')]).end).toMatchObject({
      kind: 'queue',
      reason: 'retries',
    });
  });
});

describe('incidents, hours, transfer and path', () => {
  it('plays an incident first and counts the key press', () => {
    const incident = {
      id: 'water-1',
      prompt: { file: 'inc.wav', text: '江汉区今日停水。因此事来电请按1。' },
      ackDigit: '1',
    };
    const { end, run, steps } = drive(
      menus.get('12319')!,
      [digit('1'), digit('1')],
      ctx({ incidents: [incident] }),
    );
    expect(steps[0]).toMatchObject({ kind: 'collect', nodeId: 'incident:water-1', validDigits: '01' });
    expect(steps[1]).toMatchObject({ nodeId: 'main' });
    expect(run.effects).toEqual([{ kind: 'incident-ack', incidentId: 'water-1' }]);
    expect(end.kind).toBe('queue');
  });
  it('transfers 12348 to its sub-center in hours and falls back on failure', () => {
    const run = new IvrRun(menus.get('12348')!, ctx());
    run.start();
    const t = run.next(digit('1'));
    expect(t).toMatchObject({ kind: 'transfer', uri: 'sip:12348@legal.example' });
    expect(run.next({ kind: 'transfer-failed' })).toMatchObject({ kind: 'queue', skill: 'legal' });
  });
  it('goes to the 12345 legal seat out of hours', () => {
    const sunday = ctx({ now: () => Date.parse('2026-11-22T02:00:00Z') });
    expect(drive(menus.get('12348')!, [digit('1')], sunday).end).toMatchObject({
      kind: 'queue',
      skill: 'legal',
    });
  });
  it('describes the path in plain Chinese', () => {
    const { run } = drive(menus.get('12333')!, [digit('1'), digit('2')]);
    expect(run.describePath()).toEqual(['12333主菜单(按1)', '养老保险(按2)', '职工养老']);
  });
});
