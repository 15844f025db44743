import { describe, expect, it } from 'vitest';
import { DEFAULT_LINES } from '../../src/number-plan/lines.ts';
import { normalizeCaller, uriUser } from '../../src/number-plan/normalize.ts';
import { resolveDialled } from '../../src/number-plan/resolve.ts';

const plan = { lines: DEFAULT_LINES, defaultLine: '12345' };

describe('number plan normalisation', () => {
  // [what the carrier sends, line it must reach, known]
  const table: Array<[string, string, boolean]> = [
    ['12345', '12345', true],
    ['+8612345', '12345', true],
    ['008612345', '12345', true],
    ['8612333', '12333', true],
    ['02712345', '12345', true], // Wuhan area code
    ['01012315', '12315', true], // Beijing
    ['057112369', '12369', true], // Hangzhou, 4-digit area code
    ['+862712333', '12333', true], // +86, area code without its trunk 0
    ['0086-27-12319', '12319', true],
    ['sip:12333@10.0.0.1:5060;user=phone', '12333', true],
    ['<sip:+8612315@carrier.example.cn>', '12315', true],
    ['tel:+86-12365', '12365', true],
    ['"12338" <sips:12338@trunk.example>;tag=abc', '12338', true],
    ['12355', '12355', true],
    ['12348', '12348', true],
    ['12319', '12319', true],
    ['99999', '12345', false], // unknown: default line, never dropped
    ['', '12345', false],
    ['sip:%zz@host', '12345', false], // broken escape: still routed
  ];
  it.each(table)('%s -> line %s', (raw, line, known) => {
    const r = resolveDialled(plan, raw);
    expect(r.line.number).toBe(line);
    expect(r.known).toBe(known);
  });

  it('gives each legacy line its merge mode and skill', () => {
    expect(resolveDialled(plan, '12333').line).toMatchObject({ mergeMode: 'dual', skill: 'hrss' });
    expect(resolveDialled(plan, '12369').line.mergeMode).toBe('merged');
    expect(resolveDialled(plan, '12348').line.mergeMode).toBe('subcenter');
    expect(resolveDialled(plan, '12345').line.mergeMode).toBe('hub');
  });

  it.each([
    ['+8613812345678', '13812345678'],
    ['008613812345678', '13812345678'],
    ['13812345678', '13812345678'],
    ['+862788881234', '02788881234'],
    ['sip:+8613912345678@carrier;user=phone', '13912345678'],
    ['anonymous', 'anonymous'],
  ])('caller %s -> %s', (raw, want) => {
    expect(normalizeCaller(raw)).toBe(want);
  });

  it('extracts URI users', () => {
    expect(uriUser('sip:12345@1.2.3.4')).toBe('12345');
    expect(uriUser('12345')).toBe('12345');
  });
});
