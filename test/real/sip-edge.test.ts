// The SIP edge on the real servers: a real drachtio-server 0.9.10 (test/real/drachtio.ts: own config, quiet log)
// in front of a real FreeSWITCH 1.10.12 running the project's freeswitch-conf and dialplans, the router in this
// process (its drachtio-srf app and its call flow), sipp as the carrier and as the agents' softphones:
//   carrier sipp -> drachtio-server -> SipEdge B2BUA -> FreeSWITCH carrier profile -> socket -> router call flow
//   -> bridge {X-Hotline-Agent-Leg}sofia/hotline_carrier/<ext>@drachtio -> SipEdge -> the softphone's contact.
// First block: agents' softphones register at the edge (HOTLINE_SIP_AGENT_REGISTRAR=edge, the default and what
// docker-compose runs). Second block: they register on FreeSWITCH's agents profile (=freeswitch).
import dgram from 'node:dgram';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SipEdge } from '../../src/sip-edge/edge.ts';
import { waitFor } from '../helpers/stack.ts';
import { haveSipp, received, runSipp } from '../sip-edge/helpers/sipp.ts';
import { drachtioMissing, haveDrachtio, type RealDrachtio, startDrachtio } from './drachtio.ts';
import { freeSipPort, havePeers } from './freeswitch.ts';
import { placeCall, startEdgePhones, startPhones, type Phones } from './sip.ts';
import { startRealStack, type RealStack } from './stack.ts';

if (havePeers && !haveDrachtio) console.warn(`real sip-edge tests skipped: ${drachtioMissing()}`);
const enabled = havePeers && haveDrachtio && haveSipp;

let n = 0;
/** A fresh caller number per test, so records are told apart. */
const caller = () => `1370000${String(2000 + n++).padStart(4, '0')}`;

const EDGE_ENV = {
  HOTLINE_SIP_OPTIONS_INTERVAL_MS: '500',
  HOTLINE_SIP_OPTIONS_TIMEOUT_MS: '400',
  HOTLINE_SIP_OPTIONS_FAILURES: '2',
  HOTLINE_SIP_REALM: 'hotline.real',
  HOTLINE_SIP_SUBCENTER_HOURS: '00:00-24:00',
};

/** Sends one datagram from a fresh socket; resolves with what came back within `waitMs`. */
async function udp(target: string, text: string | Buffer, waitMs = 1000): Promise<string[]> {
  const [host, port] = target.split(':') as [string, string];
  const s = dgram.createSocket('udp4');
  const got: string[] = [];
  s.on('message', (m) => got.push(m.toString('latin1')));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const local = s.address().port;
  const data = typeof text === 'string' ? text.replaceAll('{port}', String(local)) : text;
  await new Promise<void>((r) => s.send(data, Number(port), host, () => r()));
  await new Promise((r) => setTimeout(r, waitMs));
  s.close();
  return got;
}

/** Sends one message over a fresh TCP connection; resolves with the status lines that came back within `waitMs`. */
async function tcpStatusLines(target: string, text: string, waitMs = 1000): Promise<string[]> {
  const [host, port] = target.split(':') as [string, string];
  const sock = net.connect(Number(port), host);
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', () => resolve());
    sock.once('error', reject);
  });
  let got = '';
  sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
  sock.on('error', () => undefined);
  sock.write(text.replaceAll('{port}', String(sock.localPort)));
  await new Promise((r) => setTimeout(r, waitMs));
  sock.destroy();
  return [...got.matchAll(/^SIP\/2\.0 \d{3} [^\r\n]*/gm)].map((m) => m[0]);
}

const SDP =
  'v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n';
function invite(ruser: string, headers: string[], body = SDP, ctype = 'application/sdp'): string {
  return `${[`INVITE sip:${ruser}@127.0.0.1 SIP/2.0`, ...headers, `Content-Type: ${ctype}`, `Content-Length: ${body.length}`].join('\r\n')}\r\n\r\n${body}`;
}
const via = (b: string) => `Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-real-${b};rport`;
/** Status lines, once each (a final response nobody ACKs is retransmitted). */
const statusLines = (got: string[]) => [...new Set(got.map((m) => m.split('\r\n')[0] ?? ''))];

/** The control protocol's authenticate frame with a wrong secret; resolves with the server's answer. */
async function wrongSecret(port: number, secret: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      const msg = `${randomUUID()}|authenticate|${secret}|`;
      s.write(`${Buffer.byteLength(msg)}#${msg}`);
    });
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.on('error', reject);
    s.on('close', () => resolve(got));
    setTimeout(() => s.destroy(), 1500);
  });
}

describe.skipIf(!enabled)(
  'real drachtio-server + real FreeSWITCH: the SIP edge (softphones register at the edge)',
  () => {
    let dr: RealDrachtio;
    let s: RealStack;
    let edge: SipEdge;
    let phones: Phones;
    let deadPort: number;
    let agentPassword = '';
    beforeAll(async () => {
      dr = await startDrachtio();
      // A second pool member where nothing answers: OPTIONS must take it out, calls must not go there.
      deadPort = await freeSipPort();
      try {
        s = await startRealStack((fs) => {
          agentPassword = fs.agentPassword;
          return {
            ...dr.env,
            ...EDGE_ENV,
            HOTLINE_SIP_FS_POOL: `127.0.0.1:${fs.carrierPort},127.0.0.1:${deadPort}`,
            HOTLINE_SIP_AGENT_REGISTRAR: 'edge',
            // The directory's agent password, as docker-compose passes the same value to both.
            HOTLINE_AGENT_SIP_PASSWORD: fs.agentPassword,
          };
        });
      } catch (err) {
        await dr.stop();
        throw err;
      }
      edge = s.router.sipEdge!;
      await edge.ready(10_000);
      await waitFor(
        () => {
          const [live, dead] = edge.pool.snapshot();
          return live?.healthy && live.lastOkAt > 0 && dead && !dead.healthy;
        },
        10_000,
        'the pool: FreeSWITCH up, the dead member down',
      );
      // 1001 and 1002 answer after 200 ms of ringing and wait for the far end's BYE.
      phones = await startEdgePhones({ sipPort: dr.sipPort, password: agentPassword }, ['1001', '1002'], {
        behaviour: 'answer',
        ringMs: 200,
      });
    });
    afterAll(async () => {
      phones?.stop();
      await s?.stop();
      await dr?.stop();
    });
    afterEach(async () => {
      const agents = (await s.admin('/admin/agents')).body as Array<{ id: string }>;
      for (const a of agents ?? [])
        await s.admin(`/admin/agents/${a.id}/state`, { method: 'POST', body: { state: 'logged_out' } });
    });

    const recordOf = (number: string, timeoutMs = 15_000) =>
      waitFor(
        async () => (await s.records()).find((x) => x.caller === number && x.endedAt),
        timeoutMs,
        `record of ${number}`,
      );

    /** sip_h_X-Hotline-* variables of FreeSWITCH's inbound carrier channel, read while the call is up. */
    async function carrierChannelHeaders(): Promise<Record<string, string>> {
      const list = JSON.parse(await s.fs.api('show channels as json')) as {
        rows?: Array<{ uuid: string; name: string; direction: string }>;
      };
      const ch = (list.rows ?? []).find(
        (r) => r.direction === 'inbound' && r.name.startsWith('sofia/hotline_carrier/'),
      );
      if (!ch) return {};
      const out: Record<string, string> = {};
      for (const h of ['Line', 'Merge-Mode', 'Skill', 'Priority', 'Dialled', 'Dialled-Source', 'Caller']) {
        out[h] = (await s.fs.api(`uuid_getvar ${ch.uuid} sip_h_X-Hotline-${h}`)).trim();
      }
      return out;
    }

    it('(c) OPTIONS through drachtio: the FreeSWITCH carrier profile is up, a dead member is out; the edge answers OPTIONS', async () => {
      const [live, dead] = edge.pool.snapshot();
      expect(live).toMatchObject({
        address: `127.0.0.1:${s.fs.carrierPort}`,
        healthy: true,
        lastStatus: 200,
      });
      expect(dead).toMatchObject({ address: `127.0.0.1:${deadPort}`, healthy: false });
      expect(dead!.consecutiveFailures).toBeGreaterThanOrEqual(2);
      // The real server answers an OPTIONS to a closed UDP port at once with its own 503 (sofia-sip turns the
      // ICMP port-unreachable into it); the emulator lets it time out.
      expect([503, 'timeout']).toContain(dead!.lastStatus);
      // Pings keep coming: the live member answered again within a few intervals.
      const okBefore = live!.lastOkAt;
      await waitFor(() => edge.pool.snapshot()[0]!.lastOkAt > okBefore, 5000, 'a later OPTIONS answered');
      const health = await fetch(`http://127.0.0.1:${s.router.httpPort}/health`);
      expect((await health.json()).sipEdge).toMatchObject({ state: 'connected', poolUp: 1, poolSize: 2 });
      // What the real server reported when the edge connected, and the agent dial string built from it.
      expect(edge.hostport).toContain(`udp/127.0.0.1:${dr.sipPort}`);
      expect(await edge.agentDialString('1001')).toBe(
        `{sip_h_X-Hotline-Agent-Leg=1001}sofia/hotline_carrier/1001@127.0.0.1:${dr.sipPort}`,
      );
      // An OPTIONS to the edge itself (a carrier's keep-alive) is answered by the app through drachtio.
      const got = await udp(
        dr.sip,
        [
          'OPTIONS sip:127.0.0.1 SIP/2.0',
          via('opt'),
          'From: <sip:carrier@127.0.0.1>;tag=o1',
          'To: <sip:edge@127.0.0.1>',
          'Call-ID: real-options-1@127.0.0.1',
          'CSeq: 1 OPTIONS',
          'Max-Forwards: 70',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
        500,
      );
      expect(statusLines(got)).toEqual(['SIP/2.0 200 OK']);
      expect(got[0]).toMatch(/^Allow: .*INVITE/m);
    });

    it('(a) a carrier call to 12345 through drachtio: the edge hands it to FreeSWITCH, the router rings the agent through the edge, the call is recorded', async () => {
      await s.addAgent('a1', '1001', { general: 1 });
      const desk = await s.connectDesktop('a1');
      const who = caller();
      const before = { ...edge.stats };
      const call = await placeCall(
        { carrierPort: dr.sipPort },
        { dialled: '12345', callerId: who, steps: [{ wait: 15_000 }, { hangup: true }] },
      );
      expect(await desk.next('offer', 15_000)).toMatchObject({ line: '12345', caller: who });
      // FreeSWITCH's channel carries the edge's X- headers as sip_h_ variables.
      expect(await carrierChannelHeaders()).toMatchObject({
        Line: '12345',
        'Merge-Mode': 'hub',
        Priority: 'normal',
        Dialled: '12345',
        'Dialled-Source': 'request-uri',
        Caller: who,
      });
      await desk.next('answered', 10_000);
      expect(phones.invites()).toContain('1001');
      // The softphone was rung by drachtio-server (the edge's agent leg), not by FreeSWITCH directly.
      expect(phones.uas.messages()).toMatch(
        new RegExp(`^Via: SIP/2\\.0/UDP 127\\.0\\.0\\.1:${dr.sipPort};`, 'm'),
      );
      const r = await call.done;
      expect(r.code, r.messages.slice(-3000)).toBe(0);
      // The caller got FreeSWITCH's answer (its SDP) through the edge's B2BUA.
      expect(r.messages).toMatch(/SIP\/2\.0 200 OK[\s\S]*?o=FreeSWITCH/);
      const rec = await recordOf(who);
      expect(rec).toMatchObject({ outcome: 'answered', agent: 'a1', line: '12345' });
      expect(edge.stats.toPool - before.toPool).toBe(1);
      expect(edge.stats.agentLegs - before.agentLegs).toBe(1);
      expect(s.fs.log()).not.toContain('USER_NOT_REGISTERED');
      // Nothing went to the dead member.
      expect(edge.pool.snapshot()[1]!.totalCalls).toBe(0);
      desk.close();
    });

    it('(a) legacy 12315 forwarded to 12345 (Diversion): the 12315 line, its menu (SIP INFO key relayed by the edge), its desk', async () => {
      await s.addAgent('m1', '1002', { market: 1 });
      const desk = await s.connectDesktop('m1');
      const who = caller();
      const call = await placeCall(
        { carrierPort: dr.sipPort },
        {
          dialled: '12345',
          callerId: who,
          headers: ['Diversion: <sip:12315@carrier.example.cn;user=phone>;reason=unconditional;counter=1'],
          steps: [{ wait: 1500 }, { info: '1' }, { wait: 7000 }, { hangup: true }],
        },
      );
      const offer = await desk.next('offer', 15_000);
      expect(offer).toMatchObject({ line: '12315', caller: who });
      expect(await carrierChannelHeaders()).toMatchObject({
        Line: '12315',
        Skill: 'market',
        Dialled: '12315',
        'Dialled-Source': 'diversion',
      });
      const r = await call.done;
      expect(r.code, r.messages.slice(-3000)).toBe(0);
      const rec = await recordOf(who);
      expect(rec).toMatchObject({ outcome: 'answered', agent: 'm1', line: '12315', skill: 'market' });
      expect(rec.ivrPath[0]).toBe('12315主菜单(按1)');
      desk.close();
    });

    it('(b) REGISTER with digest through drachtio: right password 200, wrong 403, Expires 0 unregisters', async () => {
      const regs = edge.registrations;
      const wrong = await runSipp({
        scenario: 'uac_register_wrong.xml',
        target: dr.sip,
        keys: { user: '1009' },
        extra: ['-au', '1009', '-ap', 'not-the-password'],
      });
      expect(wrong.code, wrong.errors || wrong.stderr).toBe(0);
      const got = received(wrong);
      expect(got[0]).toMatch(/^SIP\/2\.0 401 Unauthorized/);
      expect(got[0]).toMatch(
        /^WWW-Authenticate: Digest realm="hotline\.real", nonce="[0-9a-f]+", algorithm=MD5, qop="auth"/m,
      );
      expect(got[1]).toMatch(/^SIP\/2\.0 403 Forbidden/);
      expect(await regs.isRegistered('1009')).toBe(false);

      const reg = (expires: string) =>
        runSipp({
          scenario: 'uac_register.xml',
          target: dr.sip,
          keys: { user: '1009', expires },
          extra: ['-au', '1009', '-ap', agentPassword],
        });
      const ok = await reg('600');
      expect(ok.code, ok.errors || ok.stderr).toBe(0);
      const res200 = received(ok).find((m) => m.startsWith('SIP/2.0 200'))!;
      expect(res200).toMatch(
        new RegExp(`^Contact: <sip:1009@127\\.0\\.0\\.1:${ok.port};transport=UDP>;expires=600`, 'm'),
      );
      expect(await regs.get('1009')).toMatchObject({
        extension: '1009',
        received: { address: '127.0.0.1', port: ok.port },
      });
      expect(await regs.isRegistered('1009')).toBe(true);
      expect((await reg('0')).code).toBe(0);
      expect(await regs.isRegistered('1009')).toBe(false);
      // The phones of the call tests are still registered.
      expect(await regs.registeredExtensions()).toEqual(['1001', '1002']);
    });

    it('(d) malformed INVITEs get final responses and the edge and drachtio-server keep running', async () => {
      const before = { ...edge.stats };
      // Not SIP at all: dropped by drachtio-server.
      expect(await udp(dr.sip, Buffer.from('THIS IS NOT SIP \x00\x01\x02\r\n\r\n', 'latin1'), 500)).toEqual(
        [],
      );
      const base = [
        'From: <sip:13600000003@127.0.0.1>;tag=m2',
        'To: <sip:12345@127.0.0.1>',
        'CSeq: 1 INVITE',
      ];
      const contact = 'Contact: <sip:x@127.0.0.1:{port}>';
      // No Call-ID: drachtio-server's own 400, the edge never sees it.
      const noCallId = await udp(dr.sip, invite('12345', [via('1'), ...base, contact, 'Max-Forwards: 70']));
      expect(statusLines(noCallId)).toEqual(['SIP/2.0 400 Bad Request']);
      expect(noCallId[0]).not.toMatch(/Call-ID/i);
      const results: Record<string, string[]> = {};
      results.noContact = statusLines(
        await udp(
          dr.sip,
          invite('12345', [via('2'), ...base, 'Call-ID: real-mal-2@127.0.0.1', 'Max-Forwards: 70']),
        ),
      );
      results.maxForwards0 = statusLines(
        await udp(
          dr.sip,
          invite('12345', [via('3'), ...base, 'Call-ID: real-mal-3@127.0.0.1', contact, 'Max-Forwards: 0']),
        ),
      );
      results.notSdp = statusLines(
        await udp(
          dr.sip,
          invite(
            '12345',
            [via('4'), ...base, 'Call-ID: real-mal-4@127.0.0.1', contact, 'Max-Forwards: 70'],
            'hello',
            'text/plain',
          ),
        ),
      );
      results.fromNotUri = statusLines(
        await udp(
          dr.sip,
          invite('12345', [
            via('5'),
            'From: this-is-not-a-uri;tag=m5',
            'To: <sip:12345@127.0.0.1>',
            'CSeq: 1 INVITE',
            'Call-ID: real-mal-5@127.0.0.1',
            contact,
            'Max-Forwards: 70',
          ]),
        ),
      );
      results.unknownNumber = statusLines(
        await udp(
          dr.sip,
          invite('95588', [
            via('6'),
            'From: <sip:13600000006@127.0.0.1>;tag=m6',
            'To: <sip:95588@127.0.0.1>',
            'CSeq: 1 INVITE',
            'Call-ID: real-mal-6@127.0.0.1',
            contact,
            'Max-Forwards: 70',
          ]),
        ),
      );
      // The Contact without a host that kills 0.9.10 over UDP (the last test) is harmless over TCP.
      results.hostlessContactTcp = await tcpStatusLines(
        dr.sip,
        invite('95588', [
          'Via: SIP/2.0/TCP 127.0.0.1:{port};branch=z9hG4bK-real-tcp7',
          'From: <sip:13600000008@127.0.0.1>;tag=m8',
          'To: <sip:95588@127.0.0.1>',
          'CSeq: 1 INVITE',
          'Call-ID: real-mal-8@127.0.0.1',
          'Contact: <tel:+8613600000008>',
          'Max-Forwards: 70',
        ]),
      );
      if (process.env.DUMP) console.log(results);
      expect(results).toEqual({
        noContact: ['SIP/2.0 100 Trying', 'SIP/2.0 400 Missing Contact'],
        maxForwards0: ['SIP/2.0 100 Trying', 'SIP/2.0 483 Too Many Hops'],
        notSdp: ['SIP/2.0 100 Trying', 'SIP/2.0 415 Unsupported Media Type'],
        fromNotUri: ['SIP/2.0 100 Trying', 'SIP/2.0 400 Bad From'],
        unknownNumber: ['SIP/2.0 100 Trying', 'SIP/2.0 404 Not Found'],
        hostlessContactTcp: ['SIP/2.0 100 Trying', 'SIP/2.0 404 Not Found'],
      });
      expect(edge.stats.rejected - before.rejected).toBe(6);
      expect(s.logs.join('')).toMatch(/"status":404.*"why":"unknown number".*INVITE rejected/);
      // Still up: drachtio-server did not exit, the edge is connected, the pool healthy, REGISTER answered.
      expect(dr.running()).toBe(true);
      expect(dr.crashes).toEqual([]);
      expect(edge.state).toBe('connected');
      expect(edge.pool.snapshot()[0]!.healthy).toBe(true);
      const r = await runSipp({
        scenario: 'uac_register.xml',
        target: dr.sip,
        keys: { user: '1008', expires: '0' },
        extra: ['-au', '1008', '-ap', agentPassword],
      });
      expect(r.code, r.errors).toBe(0);
    });

    it("drachtio-server's log holds no SIP message, no SIP body and no secret (loglevel warning, sofia-loglevel 0)", async () => {
      // A client with a wrong secret: at info drachtio-server would log it.
      const wrong = `wrong-${randomUUID()}`;
      expect(await wrongSecret(dr.adminPort, wrong)).toMatch(/\|response\|[^|]*\|NO\|incorrect secret$/);
      await new Promise((r) => setTimeout(r, 200));
      const log = dr.log();
      expect(log).toContain('Starting drachtio version v0.9.10');
      expect(log).not.toContain(dr.secret);
      expect(log).not.toContain(wrong);
      expect(log).not.toContain(agentPassword);
      for (const sip of [
        'INVITE sip:',
        'REGISTER sip:',
        'SIP/2.0 200',
        'Digest ',
        'v=0',
        'o=FreeSWITCH',
        'Call-ID',
      ])
        expect(log).not.toContain(sip);
      expect(log).not.toMatch(/1370000\d{4}/);
    });

    it('(d) 0.9.10 crashes on a UDP INVITE whose Contact has no host; restarted at once, the edge reconnects on its own and takes calls again', async () => {
      const crashed = dr.nextCrash();
      // An unknown number, so the edge's final response is an immediate 404: that response is what kills it.
      await udp(
        dr.sip,
        invite('95588', [
          via('crash'),
          'From: <sip:13600000007@127.0.0.1>;tag=m7',
          'To: <sip:95588@127.0.0.1>',
          'CSeq: 1 INVITE',
          'Call-ID: real-crash-1@127.0.0.1',
          'Contact: <tel:+8613600000007>',
          'Max-Forwards: 70',
        ]),
        300,
      );
      const exit = await Promise.race([crashed, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
      expect(
        exit,
        'drachtio-server 0.9.10 is expected to crash here; if it no longer does, update src/sip-edge/README.md',
      ).toMatchObject({ signal: 'SIGSEGV' });
      await waitFor(() => edge.state !== 'connected', 5000, 'the edge to notice');
      // What docker-compose's restart policy does: start it again at once, same config.
      await dr.restart();
      await edge.ready(20_000);
      await waitFor(() => edge.pool.snapshot()[0]!.healthy, 5000, 'FreeSWITCH pinged again');
      // Registrations live in Redis: the softphones need not re-register. A call goes all the way to an agent again.
      await s.addAgent('z1', '1001', { general: 1 });
      const desk = await s.connectDesktop('z1');
      const who = caller();
      const call = await placeCall(
        { carrierPort: dr.sipPort },
        { dialled: '12345', callerId: who, steps: [{ wait: 15_000 }, { hangup: true }] },
      );
      await desk.next('answered', 15_000);
      expect((await call.done).code).toBe(0);
      expect(await recordOf(who)).toMatchObject({ outcome: 'answered', agent: 'z1', line: '12345' });
      desk.close();
    });
  },
);

describe.skipIf(!enabled)(
  'real drachtio-server + real FreeSWITCH: the SIP edge (softphones register on FreeSWITCH)',
  () => {
    let dr: RealDrachtio;
    let s: RealStack;
    let phones: Phones;
    beforeAll(async () => {
      dr = await startDrachtio();
      try {
        s = await startRealStack((fs) => ({
          ...dr.env,
          ...EDGE_ENV,
          HOTLINE_SIP_FS_POOL: `127.0.0.1:${fs.carrierPort}`,
          HOTLINE_SIP_AGENT_REGISTRAR: 'freeswitch',
        }));
      } catch (err) {
        await dr.stop();
        throw err;
      }
      await s.router.sipEdge!.ready(10_000);
      await waitFor(() => s.router.sipEdge!.pool.snapshot()[0]!.lastOkAt > 0, 10_000, 'FreeSWITCH pinged');
      phones = await startPhones(s.fs, ['1003'], { behaviour: 'answer', ringMs: 200 });
    });
    afterAll(async () => {
      phones?.stop();
      await s?.stop();
      await dr?.stop();
    });

    it('(a) a carrier call to 12345 through drachtio reaches the agent FreeSWITCH rings as user/<ext>', async () => {
      await s.addAgent('f1', '1003', { general: 1 });
      const desk = await s.connectDesktop('f1');
      const who = caller();
      const call = await placeCall(
        { carrierPort: dr.sipPort },
        { dialled: '12345', callerId: who, steps: [{ wait: 15_000 }, { hangup: true }] },
      );
      expect(await desk.next('offer', 15_000)).toMatchObject({ line: '12345', caller: who });
      await desk.next('answered', 10_000);
      expect(phones.invites()).toContain('1003');
      // Rung by FreeSWITCH's agents profile, not through drachtio.
      expect(phones.uas.messages()).toMatch(
        new RegExp(`^Via: SIP/2\\.0/UDP 127\\.0\\.0\\.1:${s.fs.agentsPort}`, 'm'),
      );
      expect((await call.done).code).toBe(0);
      const rec = await waitFor(
        async () => (await s.records()).find((x) => x.caller === who && x.endedAt),
        15_000,
        'record',
      );
      expect(rec).toMatchObject({ outcome: 'answered', agent: 'f1', line: '12345' });
      expect(s.router.sipEdge!.stats).toMatchObject({ toPool: 1, agentLegs: 0 });
      desk.close();
    });
  },
);
