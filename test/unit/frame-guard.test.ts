import { describe, expect, it } from 'vitest';
import { EslFrameGuard } from '../../src/esl/frame-guard.ts';

const good = 'Content-Type: command/reply\nReply-Text: +OK\n\n';
const plainEvent = (body: string) =>
  `Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-plain\n\n${body}`;

describe('ESL frame guard', () => {
  it('passes valid frames through, split across reads', () => {
    const g = new EslFrameGuard();
    const ev = plainEvent('Event-Name: CHANNEL_ANSWER\nUnique-ID: abc\n\n');
    const bytes = Buffer.from(good + ev);
    const a = g.push(bytes.subarray(0, 30));
    const b = g.push(bytes.subarray(30));
    expect([...a.frames, ...b.frames].map((f) => f.toString())).toEqual([good, ev]);
    expect([...a.problems, ...b.problems]).toEqual([]);
  });

  it('drops malformed frames, reports them, and resynchronises', () => {
    const g = new EslFrameGuard();
    const bad = [
      'this is not a header\n\n',
      'Content-Type: command/reply\nReply-Text: %E0%A4%A\n\n',
      'Content-Length: 12\nContent-Type: text/event-json\n\n{not json!!}',
      'Content-Length: abc\nContent-Type: text/event-plain\n\n',
    ].join('');
    const { frames, problems } = g.push(Buffer.from(bad + good));
    expect(problems.map((p) => p.reason)).toEqual([
      expect.stringMatching(/malformed header line/),
      expect.stringMatching(/undecodable header value/),
      'JSON event body does not parse',
      'bad Content-Length "abc"',
    ]);
    expect(frames.map((f) => f.toString())).toEqual([good]);
  });
});
