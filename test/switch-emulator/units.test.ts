import { describe, expect, it } from 'vitest';
import { fsUrlEncode } from '../../src/switch-emulator/esl/url.ts';
import {
  serializeJson,
  serializePlain,
  serializeXml,
  eventFrame,
} from '../../src/switch-emulator/esl/serialize.ts';
import { CommandParser } from '../../src/switch-emulator/esl/command-parser.ts';
import { sourceDurationMs, toneStreamMs } from '../../src/switch-emulator/call-model/media.ts';
import { knownSoundsDurationMs, soundFilesIn } from '../../src/switch-emulator/call-model/sounds.ts';
import { VarMap } from '../../src/switch-emulator/call-model/var-map.ts';
import { causeCode, normaliseCause } from '../../src/switch-emulator/call-model/causes.ts';
import {
  dialStatus,
  parseDialString,
  parseEndpoint,
} from '../../src/switch-emulator/call-model/originate.ts';
import { Interrupt } from '../../src/switch-emulator/call-model/interrupt.ts';
import { separateString } from '../../src/switch-emulator/api/commands.ts';
import { loadXmlDialplan, readVarsXml } from '../../src/switch-emulator/index.ts';

describe('FreeSWITCH URL encoding (switch_url_encode)', () => {
  it('encodes the unsafe set and non-ASCII bytes, leaves existing %XX escapes', () => {
    expect(fsUrlEncode('sofia/internal/sipp@127.0.0.1:5091')).toBe('sofia/internal/sipp%40127.0.0.1%3A5091');
    expect(fsUrlEncode('tone_stream://%(200,100,440)')).toBe('tone_stream%3A//%25(200,100,440)');
    expect(fsUrlEncode('+OK\n')).toBe('%2BOK%0A');
    expect(fsUrlEncode('Sun, 22 Nov 2026')).toBe('Sun,%2022%20Nov%202026');
    expect(fsUrlEncode('a%3Ab')).toBe('a%3Ab');
    expect(fsUrlEncode('张')).toBe('%E5%BC%A0');
    expect(fsUrlEncode('1 1 2 3000 # x \\d')).toBe('1%201%202%203000%20%23%20x%20%5Cd');
  });
});

describe('event serialisation', () => {
  const ev = {
    name: 'BACKGROUND_JOB',
    headers: [
      ['Event-Name', 'BACKGROUND_JOB'],
      ['Job-Command', 'originate'],
      ['Job-Command-Arg', 'a b'],
    ] as Array<[string, string]>,
    body: '+OK x\n',
  };
  it('plain: encoded values, body behind an inner Content-Length', () => {
    expect(serializePlain(ev)).toBe(
      'Event-Name: BACKGROUND_JOB\nJob-Command: originate\nJob-Command-Arg: a%20b\nContent-Length: 6\n\n+OK x\n',
    );
    expect(serializePlain({ name: 'X', headers: [['A', 'b']] })).toBe('A: b\n\n');
  });
  it('json: raw values, Content-Length/_body, ends at }', () => {
    expect(serializeJson(ev)).toBe(
      '{"Event-Name":"BACKGROUND_JOB","Job-Command":"originate","Job-Command-Arg":"a b","Content-Length":"6","_body":"+OK x\\n"}',
    );
  });
  it('xml: encoded values in elements', () => {
    expect(serializeXml({ name: 'X', headers: [['A', 'b c']] })).toBe(
      '<event>\n  <headers>\n    <A>b%20c</A>\n  </headers>\n</event>\n',
    );
  });
  it('frames put Content-Length before Content-Type', () => {
    expect(eventFrame({ name: 'X', headers: [['A', 'b']] }, 'plain')).toBe(
      'Content-Length: 6\nContent-Type: text/event-plain\n\nA: b\n\n',
    );
  });
});

describe('command framing (read_packet)', () => {
  it('splits commands across chunks, reads headers and content-length bodies, skips stray newlines', () => {
    const p = new CommandParser();
    expect(p.push(Buffer.from('\r\n\nauth Clue'))).toEqual([]);
    const got = p.push(
      Buffer.from('Con\n\nsendmsg\r\ncall-command: execute\r\ncontent-length: 3\r\n\r\nabcapi status\n\n'),
    );
    expect(got.map((c) => c.command)).toEqual(['auth ClueCon', 'sendmsg', 'api status']);
    expect(got[1]?.headers).toContainEqual(['call-command', 'execute']);
    expect(got[1]?.body).toBe('abc');
  });
  it('rejects absurd content-length', () => {
    const p = new CommandParser();
    p.push(Buffer.from('sendmsg\ncontent-length: 999999999999\n\n'));
    expect(p.fatal).toBeDefined();
  });
});

describe('call model helpers', () => {
  it('computes tone/silence durations and endless sources', () => {
    expect(toneStreamMs('%(200,100,440)')).toBe(300);
    expect(toneStreamMs('%(1000,0,440);loops=3')).toBe(3000);
    expect(toneStreamMs('%(1000,0,440);loops=-1')).toBe(Infinity);
    expect(sourceDurationMs('silence_stream://250', () => 0)).toBe(250);
    expect(sourceDurationMs('local_stream://moh', () => 0)).toBe(Infinity);
    expect(sourceDurationMs('ivr/welcome.wav', (f) => (f.includes('welcome') ? 4200 : 0))).toBe(4200);
  });
  it('a file FreeSWITCH cannot open has no duration; file_string skips such files, fails when none opens', () => {
    const dur = (f: string): number | null => (f.startsWith('ok/') ? 500 : null);
    expect(sourceDurationMs('nope/missing.wav', dur)).toBeNull();
    expect(sourceDurationMs('file_string://ok/a.wav!nope/b.wav!ok/c.wav', dur)).toBe(1000);
    expect(sourceDurationMs('file_string://nope/a.wav!nope/b.wav', dur)).toBeNull();
    expect(sourceDurationMs('silence_stream://250', dur)).toBe(250);
  });
  it('by default only the shipped sounds exist (freeswitch-conf/hotline_sounds, as installed)', () => {
    const shipped = soundFilesIn();
    expect(shipped.has('ivr/12345/greeting.wav')).toBe(true);
    expect(shipped.has('ivr/digits/3.wav')).toBe(true);
    expect(shipped.has('moh/hotline_moh.wav')).toBe(true);
    const dur = knownSoundsDurationMs(shipped, 700);
    expect(dur('ivr/12345/greeting.wav')).toBe(700);
    expect(dur('/etc/freeswitch/hotline_sounds/ivr/12345/greeting.wav')).toBe(700);
    expect(dur('ivr/12345/no-such-prompt.wav')).toBeNull();
    expect(dur('lang/en/ivr/12345/greeting.wav')).toBeNull();
    expect(dur('/nonexistent/dir/x.wav')).toBeNull();
    expect(dur('phrase:voicemail_hello')).toBe(700);
    expect(sourceDurationMs('file_string://ivr/queue/ahead.wav!ivr/digits/3.wav', dur)).toBe(1400);
  });
  it('moves re-set variables to the end like a switch_event header list', () => {
    const v = new VarMap();
    v.set('a', '1');
    v.set('b', '2');
    v.set('a', '3');
    expect(v.entries()).toEqual([
      ['b', '2'],
      ['a', '3'],
    ]);
  });
  it('knows Q.850 codes', () => {
    expect(causeCode('NORMAL_CLEARING')).toBe(16);
    expect(causeCode('USER_BUSY')).toBe(17);
    expect(causeCode('USER_NOT_REGISTERED')).toBe(806);
    expect(normaliseCause('17')).toBe('USER_BUSY');
    expect(normaliseCause('bogus')).toBe('NORMAL_CLEARING');
  });
  it('parses dial strings', () => {
    const g = parseDialString(
      '{leg_timeout=5,origination_uuid=u1}sofia/internal/1001@10.0.0.1:5070,[x=y]user/1002|user/1003',
    );
    expect(g).toHaveLength(2);
    expect(g[0]?.[0]).toEqual({
      endpoint: 'sofia/internal/1001@10.0.0.1:5070',
      vars: { leg_timeout: '5', origination_uuid: 'u1' },
    });
    expect(g[0]?.[1]?.vars.x).toBe('y');
    expect(parseEndpoint('sofia/internal/1001@10.0.0.1:5070', '127.0.0.1')).toMatchObject({
      tech: 'sofia',
      user: '1001',
      host: '10.0.0.1',
      port: 5070,
    });
  });
  it('user/<id> without a domain is looked up in the global domain, not the agents domain', () => {
    expect(parseEndpoint('user/1001', '127.0.0.1', '192.0.2.2')).toMatchObject({
      tech: 'user',
      user: '1001',
      host: '192.0.2.2',
    });
    expect(parseEndpoint('user/1001@hotline.local', '127.0.0.1', '192.0.2.2')).toMatchObject({
      user: '1001',
      host: 'hotline.local',
    });
  });
  it('DIALSTATUS: the few switch_ivr_originate names, otherwise the cause itself', () => {
    expect(dialStatus('USER_BUSY')).toBe('BUSY');
    expect(dialStatus('NO_ANSWER')).toBe('NOANSWER');
    expect(dialStatus('ORIGINATOR_CANCEL')).toBe('CANCEL');
    expect(dialStatus('CALL_REJECTED')).toBe('DONTCALL');
    expect(dialStatus('DESTINATION_OUT_OF_ORDER')).toBe('INVALIDARGS');
    expect(dialStatus('USER_NOT_REGISTERED')).toBe('USER_NOT_REGISTERED');
    expect(dialStatus('NORMAL_TEMPORARY_FAILURE')).toBe('NORMAL_TEMPORARY_FAILURE');
  });
});

describe('switch_separate_string with ";" (uuid_setvar_multi)', () => {
  it('splits outside quotes, resolves escapes, trims blanks, keeps a trailing empty item out', () => {
    expect(separateString("pa;pd= 4 ;pe='x;y';pf=a\\;b", ';')).toEqual(['pa', 'pd= 4', 'pe=x;y', 'pf=a;b']);
    expect(separateString('a=1;', ';')).toEqual(['a=1']);
    expect(separateString(';', ';')).toEqual(['']);
    expect(separateString('=1;pc=3', ';')).toEqual(['=1', 'pc=3']);
    expect(separateString('x=a\\nb', ';')).toEqual(['x=a\nb']);
  });
});

describe('Interrupt', () => {
  it('pause() stops the clock of timed waits until resume()', async () => {
    const i = new Interrupt();
    const t0 = Date.now();
    const done = i.wait(100);
    await new Promise((r) => setTimeout(r, 40));
    i.pause();
    await new Promise((r) => setTimeout(r, 120));
    i.resume();
    expect(await done).toBe('done');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(210);
    expect(i.pausedMs).toBeGreaterThanOrEqual(110);
  });
  it('a stop ends paused waits at once', async () => {
    const i = new Interrupt();
    const w = i.wait(50);
    i.pause();
    i.stop('break');
    expect(await w).toBe('break');
  });
});

describe('XML dialplan interpreter', () => {
  const xml = `
    <include>
      <X-PRE-PROCESS cmd="set" data="router=10.0.0.9:8084"/>
      <context name="hotline_inbound">
        <extension name="tag" continue="true">
          <condition field="\${sip_h_X-Hotline-Line}" expression="^(\\d+)$">
            <action application="set" data="line=$1"/>
            <anti-action application="set" data="line=unknown"/>
          </condition>
        </extension>
        <extension name="night" >
          <condition field="caller_id_number" expression="^999$" break="on-true">
            <action application="hangup" data="CALL_REJECTED"/>
          </condition>
          <condition field="destination_number" expression="^nomatch$">
            <action application="hangup"/>
          </condition>
        </extension>
        <extension name="hotline">
          <condition field="destination_number" expression="^(?:\\+86)?(?:027)?(12345|12333)$">
            <action application="set" data="hotline=$1" inline="true"/>
            <action application="socket" data="$\${router} async full"/>
          </condition>
        </extension>
      </context>
    </include>`;
  const dp = loadXmlDialplan([xml], readVarsXml(xml));
  const call = (destination: string, cid = '13800000000', variables: Record<string, string> = {}) =>
    dp({ destination, callerIdNumber: cid, callerIdName: cid, context: 'hotline_inbound', variables });

  it('reads X-PRE-PROCESS set lines', () => {
    expect(readVarsXml(xml)).toEqual({ router: '10.0.0.9:8084' });
  });
  it('matches with captures, continue=, anti-actions, inline set and $${} expansion', () => {
    const vars: Record<string, string> = { 'sip_h_X-Hotline-Line': '12333' };
    expect(call('+8612333', '1', vars)).toEqual([
      { app: 'set', data: 'line=12333' },
      { app: 'socket', data: '10.0.0.9:8084 async full' },
    ]);
    expect(vars.hotline).toBe('12333');
    expect(vars.DP_MATCH).toBe('ARRAY::+8612333|:12333');
    expect(call('02712345')).toEqual([
      { app: 'set', data: 'line=unknown' },
      { app: 'socket', data: '10.0.0.9:8084 async full' },
    ]);
  });
  it('break="on-true" stops an extension after a match', () => {
    expect(call('12345', '999')).toEqual([
      { app: 'set', data: 'line=unknown' },
      { app: 'hangup', data: 'CALL_REJECTED' },
    ]);
  });
  it('returns nothing for an unknown context', () => {
    expect(
      dp({ destination: '1', callerIdNumber: '1', callerIdName: '1', context: 'nope', variables: {} }),
    ).toEqual([]);
  });
});
