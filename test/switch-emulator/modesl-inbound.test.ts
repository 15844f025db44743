import { afterEach, describe, expect, it } from 'vitest';
import type { Connection, Event as EslEvent } from 'modesl';
import type { SwitchEmulator } from '../../src/switch-emulator/index.ts';
import { api, bgapi, inboundClient, recordEvents, sleep, startEmulator } from './helpers.ts';

describe('modesl inbound connection against the emulator', () => {
  let emu: SwitchEmulator | undefined;
  let conn: Connection | undefined;
  afterEach(async () => {
    conn?.disconnect();
    await emu?.stop();
    emu = undefined;
    conn = undefined;
  });

  it('authenticates, runs api and bgapi (BACKGROUND_JOB carries the result)', async () => {
    emu = await startEmulator({ dialplan: () => [{ app: 'park', data: '' }] });
    conn = await inboundClient(emu.eslPort);
    const status = await api(conn, 'status');
    expect(status.getBody()).toMatch(/^UP 0 years/);
    expect(status.getBody()).toContain('is ready');
    const unknown = await api(conn, 'no_such_cmd');
    expect(unknown.getBody()).toBe('-ERR no_such_cmd Command not found!\n');
    const job = await bgapi(conn, 'uuid_exists', '00000000-0000-0000-0000-000000000000');
    expect(job.getHeader('Event-Name')).toBe('BACKGROUND_JOB');
    expect(job.getHeader('Job-Command')).toBe('uuid_exists');
    expect(job.getBody()).toBe('false');
    expect(emu.stats.inboundConnections).toBe(1);
  });

  it('delivers channel events in json (modesl default) and in plain', async () => {
    emu = await startEmulator({
      dialplan: () => [
        { app: 'answer', data: '' },
        { app: 'playback', data: 'tone_stream://%(100,0,440)' },
        { app: 'hangup', data: '' },
      ],
    });
    conn = await inboundClient(emu.eslPort);
    await new Promise((r) =>
      conn?.events('json', 'CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE', r),
    );
    const jsonEvents = recordEvents(conn);
    const plainConn = await inboundClient(emu.eslPort);
    await new Promise((r) => plainConn.events('plain', 'CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE', r));
    const plainEvents = recordEvents(plainConn);
    const call = emu.placeCall({ destination: '12345', callerIdNumber: '13800000000', callerIdName: '张三' });
    const summary = await call.ended;
    await sleep(50);
    expect(summary.answered).toBe(true);
    expect(summary.hangupBy).toBe('switch');
    // modesl always adds CHANNEL_EXECUTE_COMPLETE and BACKGROUND_JOB to the subscription.
    expect(jsonEvents.map((x) => x.name).filter((n) => n !== 'CHANNEL_EXECUTE_COMPLETE')).toEqual([
      'CHANNEL_CREATE',
      'CHANNEL_ANSWER',
      'CHANNEL_HANGUP_COMPLETE',
    ]);
    expect(
      jsonEvents
        .filter((x) => x.name === 'CHANNEL_EXECUTE_COMPLETE')
        .map((x) => x.e.getHeader('Application')),
    ).toEqual(['answer', 'playback', 'hangup']);
    const answer = plainEvents.find((x) => x.name === 'CHANNEL_ANSWER')?.e as EslEvent;
    expect(answer.getHeader('Unique-ID')).toBe(call.uuid);
    expect(answer.getHeader('Caller-Caller-ID-Name')).toBe('张三');
    expect(
      plainEvents.find((x) => x.name === 'CHANNEL_HANGUP_COMPLETE')?.e.getHeader('variable_hangup_cause'),
    ).toBe('NORMAL_CLEARING');
    plainConn.disconnect();
  });

  it('originates to scripted agents with FreeSWITCH outcomes', async () => {
    emu = await startEmulator();
    emu.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    emu.setAgent('1002', { behaviour: 'no-answer' });
    emu.setAgent('1003', { behaviour: 'busy' });
    emu.setAgent('1004', { behaviour: 'unregistered' });
    conn = await inboundClient(emu.eslPort);
    const ok = await api(
      conn,
      'originate',
      '{origination_uuid=11111111-2222-3333-4444-555555555555}user/1001@hotline.local &park',
    );
    expect(ok.getBody()).toBe('+OK 11111111-2222-3333-4444-555555555555\n');
    expect((await api(conn, 'uuid_exists', '11111111-2222-3333-4444-555555555555')).getBody()).toBe('true');
    const noAnswer = await bgapi(
      conn,
      'originate',
      '{originate_timeout=1}sofia/internal/1002@127.0.0.1:5098 &park',
    );
    expect(noAnswer.getBody()).toBe('-ERR NO_ANSWER\n');
    expect((await api(conn, 'originate', 'user/1003@hotline.local &park')).getBody()).toBe(
      '-ERR USER_BUSY\n',
    );
    expect((await api(conn, 'originate', 'user/1004@hotline.local &park')).getBody()).toBe(
      '-ERR USER_NOT_REGISTERED\n',
    );
    expect((await api(conn, 'originate', 'sofia/internal/1999@127.0.0.1:5096 &park')).getBody()).toBe(
      '-ERR NORMAL_TEMPORARY_FAILURE\n',
    );
    // A profile or gateway the switch does not have fails at once (the real server, with freeswitch-conf: the
    // carrier profile is hotline_carrier, its gateway carrier_telecom).
    expect((await api(conn, 'originate', 'sofia/carrier/110@127.0.0.1:5099 &park')).getBody()).toBe(
      '-ERR INVALID_PROFILE\n',
    );
    expect((await api(conn, 'originate', 'sofia/gateway/carrier/13800138000 &park')).getBody()).toBe(
      '-ERR INVALID_GATEWAY\n',
    );
    const shown = JSON.parse((await api(conn, 'show', 'channels as json')).getBody()) as {
      row_count: number;
    };
    expect(shown.row_count).toBe(1);
    expect((await api(conn, 'uuid_kill', '11111111-2222-3333-4444-555555555555')).getBody()).toBe('+OK\n');
    expect((await api(conn, 'uuid_kill', '00000000-0000-0000-0000-000000000000')).getBody()).toBe(
      '-ERR No such channel!\n',
    );
  });
});
