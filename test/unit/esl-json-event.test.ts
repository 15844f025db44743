// Events built by the guarded connection (one JSON parse, headers straight in) are modesl's own Events, equal to
// what modesl's Parser builds, header for header.
import esl from 'modesl';
import { describe, expect, it } from 'vitest';
import { jsonEvent } from '../../src/esl/guarded-connection.ts';

type Ev = {
  headers: unknown;
  type: unknown;
  subclass: unknown;
  body: unknown;
  getHeader(n: string): unknown;
};
const ModeslEvent = (esl as unknown as { Event: new (d: Record<string, unknown>) => Ev }).Event;

function modeslWay(data: Record<string, unknown>): Ev {
  // Parser._parseEvent for text/event-json: Content-Length as a number, then new Event(data), then the reply massage.
  const d = { ...data };
  if (d['Content-Length']) d['Content-Length'] = parseInt(String(d['Content-Length']), 10);
  const e = new ModeslEvent(d) as Ev & { addHeader(n: string, v: string): void };
  const reply = e.getHeader('Reply-Text');
  if (typeof reply === 'string' && reply.startsWith('-ERR'))
    e.addHeader('Modesl-Reply-ERR', reply.substring(5));
  else if (typeof reply === 'string' && reply.startsWith('+OK'))
    e.addHeader('Modesl-Reply-OK', reply.substring(4));
  return e;
}

describe('JSON events without modesl parsing them again', () => {
  it('match modesl for channel events, background jobs with bodies and replies', () => {
    const channel: Record<string, unknown> = {
      'Event-Name': 'CHANNEL_EXECUTE_COMPLETE',
      'Core-UUID': 'c0',
      'Unique-ID': 'u1',
      Application: 'play_and_get_digits',
      'Application-Response': 'FILE PLAYED',
      variable_hotline_digits: '1',
      'variable_sip_h_X-Note': '市民来电: 12345',
    };
    for (let i = 0; i < 200; i++) channel[`variable_v${i}`] = `value ${i}`;
    const job = {
      'Event-Name': 'BACKGROUND_JOB',
      'Job-UUID': 'j1',
      'Content-Length': '12',
      _body: '+OK abc-123\n',
    };
    const reply = { 'Event-Name': 'CUSTOM', 'Event-Subclass': 'x::y', 'Reply-Text': '-ERR no such channel' };
    for (const data of [channel, job, reply]) {
      const ours = jsonEvent(data) as Ev;
      const theirs = modeslWay(data);
      expect(ours).toBeInstanceOf(ModeslEvent);
      expect(ours.headers).toEqual(theirs.headers);
      expect([ours.type, ours.subclass, ours.body]).toEqual([theirs.type, theirs.subclass, theirs.body]);
      expect(ours.getHeader('Event-Name')).toBe(data['Event-Name']);
    }
  });
});
