// Conformance of the drachtio-server emulator with the recorded drachtio-server 0.9.10 sessions
// (../shared/fixtures/drachtio): the recorded drachtio-srf bytes are replayed on the control link, the recorded
// SIP peers' datagrams on UDP, and every frame and datagram the emulator sends must equal what the real server
// sent (ids, tags, branches, Call-IDs, CSeq bases and times aside; see helpers/drachtio-replay.ts). The server's
// own work (100 Trying, 200 + 487 for a CANCEL, ACKs it absorbs, 400 to an INVITE without Call-ID, silence for a
// datagram that is not SIP) is checked the same way, from the server's SIP log.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DrachtioServerEmulator } from '../../src/switch-emulator/drachtio/server.ts';
import {
  parseServerLog,
  parseTranscript,
  Replayer,
  timeline,
  type ReplayEvent,
} from '../sip-edge/helpers/drachtio-replay.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtures = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'drachtio');
const haveFixtures = existsSync(fixtures);
if (!haveFixtures) console.warn(`drachtio conformance: ${fixtures} not found, skipping`);

const RECORDED_SIP_PORT = 5080;

let emu: DrachtioServerEmulator | undefined;
let replayer: Replayer | undefined;
afterEach(async () => {
  await replayer?.close();
  await emu?.stop();
  emu = undefined;
  replayer = undefined;
});

async function startEmulator(): Promise<DrachtioServerEmulator> {
  // The recorded port when it is free (then even the length tokens must match), any port otherwise.
  for (const sipPort of [RECORDED_SIP_PORT, 0]) {
    const e = new DrachtioServerEmulator({ secret: 'cymru', sipPort });
    try {
      await e.start();
      // The recorded server listened on UDP and TCP (its authenticate reply names both).
      if (e.sipTcp) return e;
      await e.stop();
    } catch {
      await e.stop().catch(() => undefined);
    }
  }
  throw new Error('emulator did not start');
}

async function replay(
  scenario: string,
  extra: (events: ReplayEvent[]) => ReplayEvent[] = (e) => e,
): Promise<{ mismatches: string[]; compared: { frames: number; datagrams: number }; events: ReplayEvent[] }> {
  const f = (suffix: string) => path.join(fixtures, `${scenario}.${suffix}`);
  const control = parseTranscript(f('transcript.txt'));
  const sip = existsSync(f('drachtio_server.log')) ? parseServerLog(f('drachtio_server.log')) : [];
  const events = extra(timeline(control, sip));
  emu = await startEmulator();
  replayer = new Replayer({
    controlPort: emu.controlPort,
    sipPort: emu.sipPort,
    recordedSipPort: RECORDED_SIP_PORT,
  });
  const ports = events.flatMap((e) => (e.kind === 'peer-send' || e.kind === 'expect-udp' ? [e.port] : []));
  await replayer.bindPeers(ports);
  const r = await replayer.run(events);
  return { ...r, events };
}

const count = (events: ReplayEvent[], kind: ReplayEvent['kind']) =>
  events.filter((e) => e.kind === kind).length;
const serverFrames = (events: ReplayEvent[]) =>
  events.reduce((n, e) => n + (e.kind === 'server' ? e.frames.length : 0), 0);

describe.skipIf(!haveFixtures)('drachtio-server emulator against recorded sessions', () => {
  it('connect_auth_routes: authenticate, pipelined routes, wrong secret refused and disconnected', async () => {
    const r = await replay('connect_auth_routes');
    expect(r.mismatches).toEqual([]);
    expect(r.compared.frames).toBe(serverFrames(r.events));
  });

  it('uas_answer_bye: 100 Trying by itself, INVITE/ACK/BYE to the app, 200s as the app sent them', async () => {
    const r = await replay('uas_answer_bye');
    expect(r.mismatches).toEqual([]);
    expect(r.compared.frames).toBe(serverFrames(r.events));
    expect(r.compared.datagrams).toBe(count(r.events, 'expect-udp'));
    expect(r.compared.datagrams).toBe(3);
  });

  it('uas_reject_cancel: 486 and its ACK absorbed; CANCEL answered 200 + 487 by itself; late answer refused', async () => {
    const r = await replay('uas_reject_cancel');
    expect(r.mismatches).toEqual([]);
    expect(r.compared.frames).toBe(serverFrames(r.events));
    expect(r.compared.datagrams).toBe(count(r.events, 'expect-udp'));
    expect(r.compared.datagrams).toBe(5);
  });

  it('b2bua_to_freeswitch: B-leg INVITE with X- header, ACK and BYEs built from the dialogs', async () => {
    const r = await replay('b2bua_to_freeswitch');
    expect(r.mismatches).toEqual([]);
    expect(r.compared.frames).toBe(serverFrames(r.events));
  });

  it('register_digest: REGISTER, 401 with WWW-Authenticate, REGISTER with credentials, 200 with Contact', async () => {
    const r = await replay('register_digest');
    expect(r.mismatches).toEqual([]);
    expect(r.compared.frames).toBe(serverFrames(r.events));
    expect(r.compared.datagrams).toBe(count(r.events, 'expect-udp'));
    expect(r.compared.datagrams).toBe(2);
  });

  it('uac_options_ping: OPTIONS built from a bare request, the 200 relayed with its transaction id', async () => {
    const r = await replay('uac_options_ping');
    expect(r.mismatches).toEqual([]);
    expect(r.compared.frames).toBe(serverFrames(r.events));
    expect(r.compared.datagrams).toBe(count(r.events, 'expect-udp'));
    expect(r.compared.datagrams).toBe(1);
  });

  it('malformed: a datagram that is not SIP is dropped, an INVITE without Call-ID gets 400, the app sees neither', async () => {
    const garbage = Buffer.from('THIS IS NOT SIP \x00\x01\x02 hello drachtio\r\n\r\n', 'latin1');
    const r = await replay('malformed', (events) => {
      // udp_malformed.js sent the garbage 2.5 s before the INVITE, from the same port.
      const invite = events.find((e) => e.kind === 'peer-send');
      if (!invite || invite.kind !== 'peer-send') throw new Error('no INVITE in the log');
      return timeline(events, [
        { kind: 'peer-send', at: invite.at - 2500, port: invite.port, bytes: garbage },
      ]);
    });
    expect(garbage.length).toBe(38);
    expect(r.mismatches).toEqual([]);
    expect(r.compared.frames).toBe(serverFrames(r.events));
    expect(r.compared.datagrams).toBe(count(r.events, 'expect-udp'));
    expect(r.compared.datagrams).toBe(1);
  });
});
