import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.ts';
import { maskText } from '../../src/logging/mask.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _e, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, destination };
}

describe('personal data never appears unmasked in logs', () => {
  it('masks phone numbers and ID numbers in messages, fields, nested objects, keys and errors', async () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: 'info', destination });
    log.info({ caller: '13812345678', nested: { alt: ['+86 138 1234 5678'] } }, 'call from 13912345678');
    log.info({ idNumber: '420102199001011234' }, 'citizen 11010519491231002X called');
    log.warn({ err: new Error('bad caller 02788881234') }, 'failed');
    log.info({ ['13700001111']: true }, 'key');
    log.child({ caller: '008613600001111' }).info('child binding');
    await new Promise((r) => setTimeout(r, 20));
    const all = lines.join('');
    for (const secret of [
      '13812345678',
      '138 1234 5678',
      '13912345678',
      '420102199001011234',
      '11010519491231002X',
      '02788881234',
      '13700001111',
      '13600001111',
    ]) {
      expect(all).not.toContain(secret);
    }
    expect(all).toContain('138****5678');
    expect(all).toContain('420102********1234');
  });

  it('masks numbers after %2B and %3A, right after a letter, after escaped \\n and \\t, and in full-width digits', async () => {
    expect(maskText('From: <sip:%2B8613812345678@carrier>')).toBe('From: <sip:%2B861****5678@carrier>');
    expect(maskText('tel%3A13812345678')).toBe('tel%3A138****5678');
    expect(maskText('caller13812345678 id420102199001011234')).toBe('caller138****5678 id420102********1234');
    expect(maskText('电话１３８１２３４５６７８，身份证１１０１０５１９４９１２３１００２Ｘ')).toBe(
      '电话１３８****５６７８，身份证１１０１０５********００２Ｘ',
    );
    expect(maskText('＋８６１３８１２３４５６７８')).toBe('８６１****５６７８');
    // In a logged line, a string's control characters are JSON escapes: \n and \t before the number.
    const { lines, destination } = capture();
    const log = createLogger({ level: 'info', destination });
    log.warn({ frame: 'Caller-ID:\n13812345678\tid:\t420102199001011234\r\n' }, 'protocol error');
    log.warn('bad header %s', 'x:%2B8613912345678');
    await new Promise((r) => setTimeout(r, 20));
    const all = lines.join('');
    for (const secret of ['13812345678', '420102199001011234', '13912345678', '8613912345678'])
      expect(all).not.toContain(secret);
    expect(all).toContain('\\n138****5678\\t');
  });

  it('keeps service numbers, extensions, uuids and times readable', () => {
    const text =
      'line 12345 agent 1001 uuid 73e2524e-63b7-4db0-a7a0-53b56bda3c5a at 2026-11-22T16:10:00.123Z ' +
      'call 5e0f1a2b-3c4d-4e5f-8a9b-001234567890';
    expect(maskText(text)).toBe(text);
  });
});
