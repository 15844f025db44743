import { describe, expect, it } from 'vitest';
import { appToken, ARG_IN_BODY_BYTES, executeMessage } from '../../src/esl/execute-message.ts';

describe('execute message', () => {
  it('keeps a short argument as a header and sends a long one as the body', () => {
    expect(executeMessage('answer', '')).toEqual({
      headers: { 'call-command': 'execute', 'execute-app-name': 'answer' },
      body: null,
    });
    expect(executeMessage('set', 'a=b').headers['execute-app-arg']).toBe('a=b');
    const arg = '1 1 1 5000 # /usr/share/hotline/sounds/ivr/12315/main.wav silence_stream://250 d \\d 3000';
    const m = executeMessage('play_and_get_digits', arg, { 'Event-UUID': 'x.1' });
    expect(m.body).toBe(arg);
    expect(m.headers).toEqual({
      'call-command': 'execute',
      'execute-app-name': 'play_and_get_digits',
      'Event-UUID': 'x.1',
      'content-type': 'text/plain',
      'content-length': String(Buffer.byteLength(arg)),
    });
  });

  it('counts the body in bytes, not characters', () => {
    const arg = '您好，欢迎致电12345政务服务便民热线'.repeat(2);
    expect(Buffer.byteLength(arg)).toBeGreaterThan(ARG_IN_BODY_BYTES);
    expect(executeMessage('speak', arg).headers['content-length']).toBe(String(Buffer.byteLength(arg)));
  });

  it('gives every application a short token of its own', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => appToken()));
    expect(seen.size).toBe(1000);
    for (const t of seen) expect(t.length).toBeLessThan(16);
  });
});
