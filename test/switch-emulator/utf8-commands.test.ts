import { describe, expect, it } from 'vitest';
import { CommandParser } from '../../src/switch-emulator/esl/command-parser.ts';

describe('client commands carry UTF-8 text', () => {
  it('decodes Chinese file names in sendmsg headers as FreeSWITCH does', () => {
    const p = new CommandParser();
    const cmd =
      'sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: ivr/停水公告.wav\n\n';
    const bytes = Buffer.from(cmd, 'utf8');
    // Split inside a multi-byte character: framing works on bytes, decoding on whole frames.
    const cut = bytes.indexOf(Buffer.from('停', 'utf8')) + 1;
    expect(p.push(bytes.subarray(0, cut))).toEqual([]);
    const [c] = p.push(bytes.subarray(cut));
    expect(c!.headers).toContainEqual(['execute-app-arg', 'ivr/停水公告.wav']);
  });
});
