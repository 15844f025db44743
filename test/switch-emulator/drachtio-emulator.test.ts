// The drachtio-server emulator beyond the recorded sessions (control-link errors, timers, CANCEL of a B leg, DNS
// failure, ACK timeout), and the emulated FreeSWITCH's SIP side (INVITE -> channel with sip_h_X- variables, INFO
// DTMF, BYE both ways, OPTIONS), driven by the unmodified drachtio-srf client, raw sockets and sipp.
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createSrf, shutdownSrf, type SrfClient, type SrfDialog } from '../../src/sip-edge/srf.ts';
import { SwitchEmulator } from '../../src/switch-emulator/index.ts';
import { encodeFrame, FrameDecoder } from '../../src/switch-emulator/drachtio/framing.ts';
import { FreeSwitchSipEndpoint } from '../../src/switch-emulator/drachtio/freeswitch-sip.ts';
import { DrachtioServerEmulator } from '../../src/switch-emulator/drachtio/server.ts';
import { waitFor } from '../helpers/stack.ts';
import {
  FIXTURE_SCENARIOS,
  freeUdpPort,
  haveSipp,
  received,
  runSipp,
  startSipp,
} from '../sip-edge/helpers/sipp.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function emulator(opts: ConstructorParameters<typeof DrachtioServerEmulator>[0] = {}) {
  const d = new DrachtioServerEmulator({ secret: 'cymru', ...opts });
  await d.start();
  cleanups.push(() => d.stop());
  return d;
}

async function connectSrf(d: DrachtioServerEmulator, setup: (srf: SrfClient) => void = () => undefined) {
  const srf = createSrf();
  srf.on('error', () => undefined);
  setup(srf);
  srf.connect({ host: '127.0.0.1', port: d.controlPort, secret: 'cymru' });
  await new Promise<void>((resolve, reject) =>
    srf.once('connect', (err: Error | null) => (err ? reject(err) : resolve())),
  );
  cleanups.push(() => shutdownSrf(srf));
  return srf;
}

/** A raw control connection: frames in, frames out. */
async function rawClient(d: DrachtioServerEmulator) {
  const sock = net.connect(d.controlPort, '127.0.0.1');
  const frames: string[] = [];
  const dec = new FrameDecoder();
  let closed = false;
  sock.on('data', (b) => frames.push(...dec.push(b)));
  sock.on('close', () => (closed = true));
  await new Promise<void>((r) => sock.once('connect', () => r()));
  cleanups.push(() => void sock.destroy());
  return {
    send: (payload: string) => sock.write(encodeFrame(payload)),
    write: (raw: string) => sock.write(raw),
    frames,
    closed: () => closed,
  };
}

async function udpPeer() {
  const s = dgram.createSocket('udp4');
  const got: string[] = [];
  s.on('message', (m) => got.push(m.toString()));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => s.close(() => r())));
  return { port: s.address().port, got, send: (t: string, port: number) => s.send(t, port, '127.0.0.1') };
}

describe('drachtio-server emulator: control link', () => {
  it('answers ping, refuses anything before authentication, drops a client with a broken length specifier', async () => {
    const d = await emulator();
    const a = await rawClient(d);
    a.send('id-1|route|invite');
    await waitFor(() => a.closed(), 2000, 'close before auth');
    expect(a.frames[0]).toMatch(/^[0-9a-f-]{36}\|response\|id-1\|NO\|not authenticated$/);

    const b = await rawClient(d);
    b.send('id-2|authenticate|cymru|');
    b.send('id-3|ping');
    await waitFor(() => b.frames.length === 2, 2000, 'pong');
    expect(b.frames[1]).toMatch(/\|response\|id-3\|OK\|pong$/);
    b.write('12x#garbage');
    await waitFor(() => b.closed(), 2000, 'close on bad framing');

    const c = await rawClient(d);
    c.send('id-4|authenticate|cymru|');
    c.send('id-5|frobnicate');
    await waitFor(() => c.closed(), 2000, 'close on unknown type');
    expect(c.frames[1]).toMatch(/\|response\|id-5\|NO\|Unknown message type$/);
  });

  it('answers 503 to an INVITE no application routes, after its own 100 Trying', async () => {
    const d = await emulator();
    await connectSrf(d); // authenticated, but routes nothing
    const p = await udpPeer();
    p.send(
      `INVITE sip:12345@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${p.port};branch=z9hG4bK-x1\r\nFrom: <sip:a@127.0.0.1>;tag=a\r\nTo: <sip:12345@127.0.0.1>\r\nCall-ID: nr-1\r\nCSeq: 1 INVITE\r\nContact: <sip:a@127.0.0.1:${p.port}>\r\nContent-Length: 0\r\n\r\n`,
      d.sipPort,
    );
    await waitFor(() => p.got.length >= 2, 2000, 'responses');
    expect(p.got.map((m) => m.split('\r\n')[0]).slice(0, 2)).toEqual([
      'SIP/2.0 100 Trying',
      'SIP/2.0 503 Service Unavailable',
    ]);
  });
});

describe('drachtio-server emulator: transactions seen from drachtio-srf', () => {
  it('a request to a name that does not resolve ends in a 503; one nobody answers in a 408 after 64*T1', async () => {
    const d = await emulator({ t1Ms: 20 });
    const srf = await connectSrf(d);
    const status = (uri: string) =>
      new Promise<number>((resolve) =>
        srf.request(uri, { method: 'OPTIONS' }, (err, req) => {
          if (err) return resolve(-1);
          req.on('response', (res: { status: number }) => resolve(res.status));
        }),
      );
    expect(await status('sip:fs@nowhere.invalid')).toBe(503);
    const silent = await udpPeer();
    const started = Date.now();
    expect(await status(`sip:127.0.0.1:${silent.port}`)).toBe(408);
    expect(Date.now() - started).toBeGreaterThanOrEqual(64 * 20 - 50);
    // Retransmitted meanwhile (timer E).
    expect(silent.got.filter((m) => m.startsWith('OPTIONS')).length).toBeGreaterThan(2);
  });

  it('an answered INVITE whose ACK never comes is torn down by the server: BYE out, dialog destroyed in the app', async () => {
    const d = await emulator({ t1Ms: 20 });
    let dialog: SrfDialog | undefined;
    const destroyed = new Promise<void>((resolve) => {
      void connectSrf(d, (srf) =>
        srf.invite((req, res) => {
          void srf.createUAS(req, res, { localSdp: req.body }).then((dlg) => {
            dialog = dlg;
            dlg.on('destroy', () => resolve());
          });
        }),
      );
    });
    await waitFor(() => d.connectedClients === 1, 2000, 'app');
    await new Promise((r) => setTimeout(r, 100));
    const p = await udpPeer();
    p.send(
      `INVITE sip:12345@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${p.port};branch=z9hG4bK-noack\r\nFrom: <sip:a@127.0.0.1>;tag=na\r\nTo: <sip:12345@127.0.0.1>\r\nCall-ID: noack-1\r\nCSeq: 1 INVITE\r\nContact: <sip:a@127.0.0.1:${p.port}>\r\nContent-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n`,
      d.sipPort,
    );
    await destroyed;
    expect(dialog).toBeDefined();
    await waitFor(() => p.got.some((m) => m.startsWith('BYE')), 2000, 'BYE on the wire');
    const lines = p.got.map((m) => m.split('\r\n')[0]);
    expect(lines.filter((l) => l === 'SIP/2.0 200 OK').length).toBeGreaterThan(2); // timer G
    expect(lines.some((l) => l?.startsWith('BYE sip:a@127.0.0.1'))).toBe(true);
    expect(p.got.find((m) => m.startsWith('BYE'))).toMatch(/Reason: SIP ;cause=200 ;text="ACK timeout"/);
  });

  it.skipIf(!haveSipp)(
    'cancels a ringing B leg on request: 487 to the app, 200/487/ACK on the wire',
    async () => {
      const d = await emulator();
      const srf = await connectSrf(d);
      const port = await freeUdpPort();
      const uas = await startSipp({ scenario: `${FIXTURE_SCENARIOS}/uas_noanswer.xml`, port, timeoutS: 10 });
      await new Promise((r) => setTimeout(r, 300));
      const err = await srf
        .createUAC(
          `sip:1001@127.0.0.1:${port}`,
          {
            localSdp:
              'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n',
          },
          { cbRequest: (_e, req) => setTimeout(() => req.cancel(), 300) },
        )
        .then(
          () => null,
          (e: { status?: number }) => e,
        );
      expect(err?.status).toBe(487);
      const run = await uas.done;
      expect(run.code, run.errors).toBe(0); // it got INVITE, CANCEL and the ACK for its 487
    },
  );
});

describe.skipIf(!haveSipp)("the emulated FreeSWITCH's SIP side", () => {
  async function fsWith(dialplan: Array<{ app: string; data: string }>) {
    const sw = new SwitchEmulator({ dialplan: () => dialplan, fileDurationMs: () => 100 });
    await sw.start();
    cleanups.push(() => sw.stop());
    const ep = new FreeSwitchSipEndpoint(sw);
    await ep.start();
    cleanups.push(() => ep.stop());
    return { sw, ep };
  }

  it('turns an INVITE into an inbound channel with sip_h_X- variables; the caller hangs up by BYE', async () => {
    const { sw, ep } = await fsWith([
      { app: 'answer', data: '' },
      { app: 'park', data: '' },
    ]);
    const ended = new Promise<{ hangupBy: string; hangupCause: string }>((r) => sw.once('call:ended', r));
    const run = runSipp({
      scenario: 'uac_call.xml',
      target: ep.address,
      service: '12333',
      durationMs: 800,
      keys: { caller: '13811112222', digit: '7', extra: 'X-Hotline-Line: 12333' },
    });
    await waitFor(() => sw.channels().length === 1, 5000, 'channel');
    const ch = sw.channels()[0]!;
    expect(ch.name).toMatch(/^sofia\/carrier\/13811112222@127\.0\.0\.1:\d+$/);
    expect(ch.variables).toMatchObject({
      'sip_h_X-Hotline-Line': '12333',
      sip_req_user: '12333',
      sip_from_user: '13811112222',
    });
    const r = await run;
    expect(r.code, r.errors).toBe(0);
    const ok = received(r).find((m) => m.startsWith('SIP/2.0 200 OK') && /INVITE/.test(m))!;
    expect(ok).toMatch(/^User-Agent: FreeSWITCH-mod_sofia\/1\.10\.12-release~64bit$/m);
    expect(ok).toMatch(/^Content-Disposition: session$/m);
    expect(await ended).toMatchObject({ hangupBy: 'caller', hangupCause: 'NORMAL_CLEARING' });
    expect(ep.stats).toMatchObject({ invites: 1, answered: 1 });
  }, 20_000);

  it('sends BYE when the switch hangs up, answers OPTIONS, and is silent while paused', async () => {
    const { ep } = await fsWith([
      { app: 'answer', data: '' },
      { app: 'sleep', data: '300' },
      { app: 'hangup', data: 'NORMAL_CLEARING' },
    ]);
    const r = await runSipp({
      scenario: `${FIXTURE_SCENARIOS}/uac_expect_bye.xml`,
      target: ep.address,
      service: '7000',
    });
    expect(r.code, r.errors).toBe(0);
    const bye = received(r).find((m) => m.startsWith('BYE'))!;
    expect(bye).toMatch(/^Reason: Q\.850;cause=16;text="NORMAL_CLEARING"$/m);

    const p = await udpPeer();
    const options = `OPTIONS sip:${ep.address} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${p.port};branch=z9hG4bK-o1\r\nFrom: <sip:edge@127.0.0.1>;tag=o\r\nTo: <sip:${ep.address}>\r\nCall-ID: opt-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
    p.send(options, ep.port);
    await waitFor(() => p.got.length === 1, 2000, 'OPTIONS answer');
    expect(p.got[0]).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    ep.pause();
    p.send(options.replace('z9hG4bK-o1', 'z9hG4bK-o2'), ep.port);
    await new Promise((res) => setTimeout(res, 300));
    expect(p.got).toHaveLength(1);
  }, 20_000);
});
