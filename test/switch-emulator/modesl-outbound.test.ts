import { afterEach, describe, expect, it } from 'vitest';
import type { Connection } from 'modesl';
import type { CallSummary, SwitchEmulator } from '../../src/switch-emulator/index.ts';
import { exec, recordEvents, sleep, startEmulator, startRouter } from './helpers.ts';

const PGD = '1 1 2 3000 # tone_stream://%(1000,0,440) silence_stream://250 ivr_digit \\d';

describe('modesl outbound server (the router) against the emulator', () => {
  let emu: SwitchEmulator | undefined;
  let router: { port: number; close: () => Promise<void> } | undefined;
  afterEach(async () => {
    await emu?.stop();
    await router?.close();
    emu = undefined;
    router = undefined;
  });

  async function setup(onCall: (conn: Connection) => Promise<void>): Promise<SwitchEmulator> {
    router = await startRouter((conn) => void onCall(conn).catch(() => undefined));
    emu = await startEmulator({ routerPort: router.port });
    return emu;
  }

  it('answers, collects scripted DTMF after the prompt, and hangs up', async () => {
    const results: Record<string, string | null> = {};
    const e = await setup(async (conn) => {
      await exec(conn, 'answer');
      const pgd = await exec(conn, 'play_and_get_digits', PGD);
      results.digit = pgd.getHeader('variable_ivr_digit');
      results.result = pgd.getHeader('variable_read_result');
      await exec(conn, 'hangup', 'NORMAL_CLEARING');
    });
    const call = e.placeCall({
      destination: '12345',
      callerIdNumber: '13800000001',
      dtmf: [{ afterAnswerMs: 1200, digits: '7' }],
    });
    const s = await call.ended;
    expect(results).toEqual({ digit: '7', result: 'success' });
    expect(s.hangupBy).toBe('router');
    expect(s.hangupCause).toBe('NORMAL_CLEARING');
  });

  it('type-ahead: a digit during the prompt stops it and counts', async () => {
    let played = '';
    let digit: string | null = null;
    const e = await setup(async (conn) => {
      await exec(conn, 'answer');
      const pgd = await exec(conn, 'play_and_get_digits', PGD);
      digit = pgd.getHeader('variable_ivr_digit');
      played = pgd.getHeader('variable_playback_ms') ?? '';
      await exec(conn, 'hangup');
    });
    const started = Date.now();
    const call = e.placeCall({
      destination: '12345',
      callerIdNumber: '13800000002',
      dtmf: [{ afterAnswerMs: 200, digits: '3' }],
    });
    await call.ended;
    expect(digit).toBe('3');
    expect(Number(played)).toBeLessThan(900);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it.each([
    ['answer', 'SUCCESS', 'switch'],
    ['no-answer', 'NO_ANSWER', 'router'],
    ['busy', 'USER_BUSY', 'switch'],
    ['unregistered', 'USER_NOT_REGISTERED', 'switch'],
  ] as const)('bridge to an agent that is %s', async (behaviour, disposition, hangupBy) => {
    const seen: Record<string, string | null> = {};
    let names: string[] = [];
    const e = await setup(async (conn) => {
      const events = recordEvents(conn);
      await exec(conn, 'answer');
      // After a successful bridge hangup_after_bridge ends the call; otherwise the router hangs up.
      await exec(conn, 'set', 'hangup_after_bridge=true');
      const b = await exec(conn, 'bridge', '{leg_timeout=1}user/1001@hotline.local');
      seen.disposition = b.getHeader('variable_originate_disposition');
      seen.lastBridgeCause = b.getHeader('variable_last_bridge_hangup_cause');
      seen.bridgeUuid = b.getHeader('variable_bridge_uuid');
      names = events.map((x) => x.name);
      if (behaviour === 'no-answer') await exec(conn, 'hangup', 'NORMAL_CLEARING');
    });
    e.setAgent('1001', { behaviour, answerAfterMs: 100, talkMs: 200 });
    const summary: CallSummary = await e.placeCall({ destination: '12345', callerIdNumber: '13800000003' })
      .ended;
    await sleep(100);
    expect(seen.disposition).toBe(disposition);
    expect(summary.hangupBy).toBe(hangupBy);
    if (behaviour === 'answer') {
      expect(names).toEqual(expect.arrayContaining(['CHANNEL_BRIDGE', 'CHANNEL_UNBRIDGE']));
      expect(seen.lastBridgeCause).toBe('NORMAL_CLEARING');
      expect(summary.bridgedTo).toBe(seen.bridgeUuid);
    } else {
      expect(names).not.toContain('CHANNEL_BRIDGE');
      if (behaviour !== 'no-answer') expect(summary.hangupCause).toBe(disposition);
    }
  });

  it('bgapi on the outbound socket: BACKGROUND_JOB passes the myevents filter (Job-Owner-UUID)', async () => {
    let body: string | undefined;
    let owner: string | null = null;
    const e = await setup(async (conn) => {
      const uuid = conn.getInfo().getHeader('Unique-ID') as string;
      const job = await new Promise<import('modesl').Event>((r) => conn.bgapi('uuid_exists', uuid, r));
      body = job.getBody();
      owner = job.getHeader('Job-Owner-UUID');
      await exec(conn, 'hangup');
    });
    const call = e.placeCall({ destination: '12345', callerIdNumber: '13800000010' });
    await call.ended;
    expect(body).toBe('true');
    expect(owner).toBe(call.uuid);
  });

  // What a real FreeSWITCH 1.10.12 does with a prompt file it cannot open (test/real/prompts.test.ts checks the
  // real one): playback answers FILE NOT FOUND at once; play_and_get_digits returns after the invalid prompt
  // only, without waiting for keys, with read_result unset (a caller who pressed nothing gets "failure").
  it('a missing prompt: playback FILE NOT FOUND, play_and_get_digits back at once without read_result', async () => {
    const seen: Record<string, string | null | number> = {};
    const e = await setup(async (conn) => {
      await exec(conn, 'answer');
      let t = Date.now();
      const pb = await exec(conn, 'playback', 'ivr/none/missing.wav');
      seen.playback = pb.getHeader('Application-Response');
      seen.playbackMs = Date.now() - t;
      t = Date.now();
      const missing = await exec(
        conn,
        'play_and_get_digits',
        PGD.replace('tone_stream://%(1000,0,440)', 'ivr/none/missing.wav'),
      );
      seen.missingMs = Date.now() - t;
      seen.missingResult = missing.getHeader('variable_read_result');
      seen.missingDigit = missing.getHeader('variable_ivr_digit');
      const shipped = await exec(
        conn,
        'play_and_get_digits',
        PGD.replace('tone_stream://%(1000,0,440)', 'ivr/12345/greeting.wav'),
      );
      seen.shippedResult = shipped.getHeader('variable_read_result');
      seen.shippedDigit = shipped.getHeader('variable_ivr_digit');
      t = Date.now();
      const nokey = await exec(
        conn,
        'play_and_get_digits',
        '1 1 1 1000 # silence_stream://100 silence_stream://100 ivr_digit \\d',
      );
      seen.nokeyMs = Date.now() - t;
      seen.nokeyResult = nokey.getHeader('variable_read_result');
      await exec(conn, 'hangup');
    });
    // The key comes during the shipped prompt (it plays 1 s by default): it stops the prompt and counts.
    await e.placeCall({
      destination: '12345',
      callerIdNumber: '13800000011',
      dtmf: [{ afterAnswerMs: 900, digits: '4' }],
    }).ended;
    expect(seen).toMatchObject({
      playback: 'FILE NOT FOUND',
      missingResult: null,
      missingDigit: null,
      shippedResult: 'success',
      shippedDigit: '4',
      nokeyResult: 'failure',
    });
    expect(seen.playbackMs).toBeLessThan(200);
    // Two tries, each followed by the 250 ms invalid prompt, and nothing else.
    expect(seen.missingMs).toBeLessThan(800);
    expect(seen.nokeyMs).toBeGreaterThanOrEqual(1000);
  });

  it('a key pressed during the invalid prompt after a missing prompt is lost, as on the real switch', async () => {
    let digit: string | null = null;
    const e = await setup(async (conn) => {
      await exec(conn, 'answer');
      await exec(
        conn,
        'play_and_get_digits',
        '1 1 1 1000 # ivr/none/missing.wav silence_stream://600 ivr_digit \\d',
      );
      const again = await exec(
        conn,
        'play_and_get_digits',
        '1 1 1 2000 # silence_stream://100 silence_stream://100 ivr_digit \\d',
      );
      digit = again.getHeader('variable_ivr_digit');
      await exec(conn, 'hangup');
    });
    await e.placeCall({
      destination: '12345',
      callerIdNumber: '13800000012',
      dtmf: [{ afterAnswerMs: 250, digits: '6' }],
    }).ended;
    // The park loop of the socket session eats it between the two applications; the second read hears nothing.
    expect(digit).toBeNull();
  });

  it('caller abandons during playback: HANGUP before the interrupted playback completes', async () => {
    let events: Array<{ name: string }> = [];
    let response: string | null = null;
    const e = await setup(async (conn) => {
      events = recordEvents(conn);
      await exec(conn, 'answer');
      const pb = await exec(conn, 'playback', 'local_stream://moh');
      response = pb.getHeader('Application-Response');
    });
    const s = await e.placeCall({ destination: '12345', callerIdNumber: '13800000004', patienceMs: 300 })
      .ended;
    await sleep(20);
    expect(s.hangupBy).toBe('caller');
    expect(response).toBe('PLAYBACK ERROR');
    const order = events.map((x) => x.name);
    expect(order.indexOf('CHANNEL_HANGUP')).toBeLessThan(order.lastIndexOf('CHANNEL_EXECUTE_COMPLETE'));
  });

  it('uuid_break stops the running playback (FILE PLAYED) and the session goes on', async () => {
    let response: string | null = null;
    const e = await setup(async (conn) => {
      await exec(conn, 'answer');
      const uuid = conn.getInfo().getHeader('Unique-ID') as string;
      setTimeout(() => conn.api('uuid_break', uuid), 150);
      const pb = await exec(conn, 'playback', 'local_stream://moh');
      response = pb.getHeader('Application-Response');
      await exec(conn, 'hangup', 'USER_BUSY');
    });
    const s = await e.placeCall({ destination: '12345', callerIdNumber: '13800000005' }).ended;
    expect(response).toBe('FILE PLAYED');
    expect(s.hangupCause).toBe('USER_BUSY');
  });

  it('a refused socket target lets the dialplan fall back to the next action', async () => {
    emu = await startEmulator({
      dialplan: () => [
        { app: 'socket', data: '127.0.0.1:1 async full' },
        { app: 'answer', data: '' },
        { app: 'hangup', data: 'CALL_REJECTED' },
      ],
    });
    const s = await emu.placeCall({ destination: '12345', callerIdNumber: '13800000006' }).ended;
    expect(s.answered).toBe(true);
    expect(s.hangupCause).toBe('CALL_REJECTED');
  });

  // The real 1.10.12 (socket ... async full): when the socket session ends with the channel up, the socket
  // application returns and the dialplan goes on, socket_resume or not; with nothing left, the channel is hung up
  // for having executed the last dialplan instruction.
  it('the router closing the socket mid-call: the dialplan goes on, socket_resume or not', async () => {
    const e = await setup(async (conn) => {
      await exec(conn, 'answer');
      conn.socket?.destroy();
    });
    const s = await e.placeCall({ destination: '12345', callerIdNumber: '13800000007' }).ended;
    expect(s).toMatchObject({ hangupBy: 'switch', hangupCause: 'NORMAL_CLEARING', answered: true });
    await router?.close();
    await e.stop();
    for (const resume of [[], [{ app: 'set', data: 'socket_resume=true' }]]) {
      router = await startRouter((conn) => {
        void exec(conn, 'answer').then(() => conn.socket?.destroy());
      });
      const port = router.port;
      emu = await startEmulator({
        dialplan: () => [
          ...resume,
          { app: 'socket', data: `127.0.0.1:${port} async full` },
          { app: 'hangup', data: 'USER_BUSY' },
        ],
      });
      const s2 = await emu.placeCall({ destination: '12345', callerIdNumber: '13800000008' }).ended;
      expect(s2.hangupCause).toBe('USER_BUSY');
      await router.close();
      await emu.stop();
      router = undefined;
      emu = undefined;
    }
  });
  // mod_event_socket.c (1.10.12) ends a socket session with socket_resume true by setting the channel to CS_RESET;
  // switch_channel_ready is false in CS_RESET, so the playback the router left running (hold music) returns at
  // once and the dialplan's next action (the backup router's socket) gets the caller. On the real server:
  // test/real/failover.test.ts, callers queued on a router that dies reach the backup router. Without
  // socket_resume the playback plays on until it ends; a bridge goes on either way (a conversation outlives it).
  it('a router dying while its hold music plays: with socket_resume the music stops and the dialplan goes on', async () => {
    for (const resume of [true, false]) {
      router = await startRouter((conn) => {
        void exec(conn, 'answer').then(() => {
          void exec(conn, 'playback', 'hold-3s.wav');
          setTimeout(() => conn.socket?.destroy(), 300);
        });
      });
      const port = router.port;
      emu = await startEmulator({
        fileDurationMs: (f) => (f === 'hold-3s.wav' ? 3000 : 100),
        dialplan: () => [
          ...(resume ? [{ app: 'set', data: 'socket_resume=true' }] : []),
          { app: 'socket', data: `127.0.0.1:${port} async full` },
          { app: 'hangup', data: 'USER_BUSY' },
        ],
      });
      const s = await emu.placeCall({ destination: '12345', callerIdNumber: '13800000009' }).ended;
      expect(s.hangupCause).toBe('USER_BUSY');
      // Resumed: reset at the socket's end (~0.3 s). Not resumed: the 3 s playback ran out first.
      if (resume) expect(s.durationMs).toBeLessThan(1500);
      else expect(s.durationMs).toBeGreaterThanOrEqual(2900);
      await router.close();
      await emu.stop();
      router = undefined;
      emu = undefined;
    }
  });
});
