// Prompts on a real FreeSWITCH 1.10.12 running the project's configuration as install.sh installs it: the shipped
// prompts and hold music play (sound_prefix points at hotline_sounds, local_stream "moh" reads its moh directory),
// and a prompt whose file is missing is logged and counted while the caller still has the menu's whole timeout to
// press a key (play_and_get_digits alone would return at once: the caller would be taken for one who pressed
// nothing). Calls come in through the hotline_inbound dialplan as loopback channels into the router's own
// outbound-socket server, driven through ChannelControl as the call flow drives them.
import { Writable } from 'node:stream';
import esl, { type Connection } from 'modesl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { positionPrompt } from '../../src/calls/queue-prompts.ts';
import type { ChannelControl } from '../../src/esl/channel-control.ts';
import { OutboundSocketServer } from '../../src/esl/outbound-server.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { freeTcpPort, havePeers, type RealFreeSwitch, startFreeSwitch } from './freeswitch.ts';

const MISSING = 'ivr/12345/not-recorded-yet.wav';
const PGD = (prompt: string, timeoutMs: number) =>
  `1 1 1 ${timeoutMs} # ${prompt} silence_stream://250 hotline_digits ^[0-9*#]+$`;

describe.skipIf(!havePeers)('real FreeSWITCH: prompts', () => {
  let fs: RealFreeSwitch;
  let server: OutboundSocketServer;
  let inbound: Connection;
  const logs: string[] = [];

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk, _e, cb) {
        logs.push(chunk.toString());
        cb();
      },
    });
    server = new OutboundSocketServer(createLogger({ level: 'info', destination }));
    const routerPort = await freeTcpPort();
    await server.listen('127.0.0.1', routerPort);
    fs = await startFreeSwitch({ routerPort });
    inbound = await new Promise<Connection>((resolve, reject) => {
      const c = new esl.Connection('127.0.0.1', fs.eslPort, 'ClueCon', () => resolve(c));
      c.on('error', reject);
    });
  });
  afterAll(async () => {
    inbound?.socket?.destroy();
    await server?.close();
    await fs?.stop();
  });

  /** A carrier-like call to 12345 through the hotline_inbound dialplan, handed to `run` once answered. */
  async function session<T>(run: (ch: ChannelControl) => Promise<T>): Promise<T> {
    const got = new Promise<ChannelControl>((resolve) => server.once('channel', resolve));
    // bgapi: originate returns only once the router answers, which this very session does.
    inbound.bgapi(
      'originate',
      '{origination_caller_id_number=13900002222}loopback/12345/hotline_inbound &park',
    );
    const ch = await got;
    try {
      await ch.answer();
      return await run(ch);
    } finally {
      ch.hangup();
    }
  }

  const sendKey = (ch: ChannelControl, digit: string, afterMs: number) =>
    setTimeout(() => void fs.api(`uuid_recv_dtmf ${ch.uuid} ${digit}`), afterMs);

  const timed = async <T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> => {
    const t = Date.now();
    const value = await f();
    return { value, ms: Date.now() - t };
  };

  it('the channel reaches the router with sound_prefix at the hotline sounds and the media timeouts', async () => {
    const vars = await session(async (ch) => ch.info.variables);
    expect(vars.sound_prefix).toBe(`${fs.conf}/hotline_sounds`);
    expect(vars.media_timeout).toBe('300000');
    expect(vars.media_hold_timeout).toBe('1800000');
    // Exported (through export_vars, set by the dialplan's one multiset): the agent's leg gets them too.
    expect((vars.export_vars ?? '').split(',')).toEqual(
      expect.arrayContaining(['media_timeout', 'media_hold_timeout']),
    );
    // The SIP profiles no longer use the deprecated rtp-timeout-sec / rtp-hold-timeout-sec.
    expect(fs.log()).not.toMatch(/timeout-sec deprecated/);
  });

  it('what tells a missing prompt from a caller who pressed nothing: read_result', async () => {
    const r = await session(async (ch) => ({
      missing: await timed(() => ch.execute('play_and_get_digits', PGD(MISSING, 2000))),
      silent: await timed(() => ch.execute('play_and_get_digits', PGD('silence_stream://100', 2000))),
    }));
    // Back after the 250 ms invalid prompt only, read_result never set.
    expect(r.missing.ms).toBeLessThan(1500);
    expect(r.missing.value.variables.read_result).toBeUndefined();
    expect(r.silent.ms).toBeGreaterThanOrEqual(2000);
    expect(r.silent.value.variables.read_result).toBe('failure');
  });

  it('a menu prompt whose file is missing: logged, counted, and the caller still has the whole timeout', async () => {
    const before = server.promptErrors;
    const r = await session(async (ch) => {
      const noKey = await timed(() =>
        ch.collectDigits({ prompt: MISSING, timeoutMs: 2000, validDigits: '0-9' }),
      );
      sendKey(ch, '7', 1200);
      const key = await timed(() =>
        ch.collectDigits({ prompt: MISSING, timeoutMs: 4000, validDigits: '0-9' }),
      );
      return { noKey, key, errors: ch.promptErrors };
    });
    expect(r.noKey.value).toBe('');
    expect(r.noKey.ms).toBeGreaterThanOrEqual(1950);
    expect(r.key.value).toBe('7');
    expect(r.key.ms).toBeGreaterThanOrEqual(1100);
    expect(r.key.ms).toBeLessThan(3500);
    expect(r.errors).toBe(2);
    expect(server.promptErrors - before).toBe(2);
    const warned = logs.filter((l) => l.includes('prompt could not be played'));
    expect(warned.length).toBeGreaterThanOrEqual(2);
    expect(warned[0]).toContain(MISSING);
    expect(warned[0]).not.toContain('13900002222');
  });

  it('a shipped prompt plays, then the keys are awaited; no prompt error', async () => {
    const before = server.promptErrors;
    const r = await session(async (ch) => ({
      menu: await timed(() => ch.collectDigits({ prompt: 'ivr/digits/3.wav', timeoutMs: 2000 })),
      played: await ch.playback('ivr/queue/minutes.wav'),
      queue: await ch.playback(positionPrompt(12, 190, true).file),
      apology: await ch.playback('hotline_apology_zh.wav'),
    }));
    expect(r.menu.value).toBe('');
    // The prompt (about 0.4 s), then the 2 s timeout.
    expect(r.menu.ms).toBeGreaterThanOrEqual(2300);
    expect(r.played.response).toBe('FILE PLAYED');
    expect(Number(r.played.variables.playback_ms)).toBeGreaterThan(300);
    // file_string:// of the queue parts: position, numerals, minutes, the callback offer (several seconds).
    expect(r.queue.response).toBe('FILE PLAYED');
    expect(Number(r.queue.variables.playback_ms)).toBeGreaterThan(5000);
    expect(r.apology.response).toBe('FILE PLAYED');
    expect(server.promptErrors).toBe(before);
    expect(fs.log()).not.toMatch(/Can't open file|File not found/i);
  }, 60_000);

  it('playback of a missing file is FILE NOT FOUND, logged and counted', async () => {
    const before = server.promptErrors;
    const r = await session(async (ch) => ch.playback('ivr/queue/not-recorded-yet.wav'));
    expect(r.response).toBe('FILE NOT FOUND');
    expect(server.promptErrors - before).toBe(1);
  });

  it('hold music: local_stream://moh plays the shipped loop until broken', async () => {
    const before = server.promptErrors;
    const r = await session(async (ch) => {
      setTimeout(() => void ch.breakCurrent(), 1500);
      return timed(() => ch.playback('local_stream://moh'));
    });
    expect(r.value.response).toBe('FILE PLAYED');
    expect(r.ms).toBeGreaterThanOrEqual(1400);
    expect(server.promptErrors).toBe(before);
    expect(fs.log()).not.toMatch(/Unknown source/);
  });
});
