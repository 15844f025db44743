// Malformed and unroutable INVITEs get a final response (400, 404, ...) and a log line, never silence, and the
// router goes on taking calls. The first cases are drachtio-server's own (no Call-ID: 400; not SIP: dropped),
// the others the edge's (a From that is not a URI, no Contact, a number nobody owns).
import dgram from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEdgeStack, type EdgeStack } from './helpers/edge-stack.ts';
import { haveSipp, runSipp } from './helpers/sipp.ts';

let stack: EdgeStack;

/** Sends one datagram from a fresh socket; resolves with what comes back within `waitMs`. */
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

const sdp =
  'v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n';
function invite(headers: string[], body = sdp): string {
  return `${['INVITE sip:12345@127.0.0.1 SIP/2.0', ...headers, 'Content-Type: application/sdp', `Content-Length: ${body.length}`].join('\r\n')}\r\n\r\n${body}`;
}
const VIA = 'Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-malformed-';
/** Status lines, once each: a final response nobody ACKs is retransmitted (timer G), as it should be over UDP. */
const statusLines = (got: string[]) => [...new Set(got.map((m) => m.split('\r\n')[0]))];

describe.skipIf(!haveSipp)('malformed INVITEs', () => {
  beforeEach(async () => {
    stack = await startEdgeStack();
  });
  afterEach(async () => {
    await stack?.stop();
  });

  it('an INVITE without Call-ID gets 400 from the server; a datagram that is not SIP gets nothing; the router keeps running', async () => {
    const garbage = await udp(
      stack.sip,
      Buffer.from('THIS IS NOT SIP \x00\x01\x02 hello drachtio\r\n\r\n', 'latin1'),
      500,
    );
    expect(garbage).toEqual([]);
    const noCallId = await udp(
      stack.sip,
      invite([
        `${VIA}1;rport`,
        'From: <sip:malformed@127.0.0.1>;tag=m1',
        'To: <sip:12345@127.0.0.1>',
        'CSeq: 1 INVITE',
        'Contact: <sip:malformed@127.0.0.1:{port}>',
        'Max-Forwards: 70',
      ]),
    );
    expect(noCallId).toHaveLength(1);
    expect(noCallId[0]).toMatch(/^SIP\/2\.0 400 Bad Request\r\n/);
    expect(noCallId[0]).not.toMatch(/Call-ID/i);
    expect(stack.edge.stats.invites).toBe(0);

    // The router is still there: a good call goes through and is answered.
    await stack.addAgent('g1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    const desk = await stack.connectDesktop('g1');
    const call = runSipp({
      scenario: 'uac_call.xml',
      target: stack.sip,
      service: '12345',
      durationMs: 500,
      keys: { caller: '13600000001', digit: '0', extra: 'X-Carrier: test' },
    });
    await desk.next('offer', 10_000);
    expect((await call).code).toBe(0);
    expect((await fetch(`${stack.http}/health`)).status).toBe(200);
  }, 30_000);

  it('a From that is not a URI: 400 from the edge, with a log line', async () => {
    const run = await runSipp({
      scenario: 'uac_expect_status.xml',
      target: stack.sip,
      service: '12345',
      keys: { from_hdr: 'this-is-not-a-uri', extra: 'X-Carrier: test' },
    });
    expect(run.code, run.errors).toBe(0);
    expect(run.messages).toMatch(/SIP\/2\.0 400 Bad From/);
    expect(stack.logs.join('')).toMatch(/"status":400.*"why":"From".*INVITE rejected/);
  }, 30_000);

  it('a number the hotline does not own: 404 from the edge, with a log line', async () => {
    const run = await runSipp({
      scenario: 'uac_expect_status.xml',
      target: stack.sip,
      service: '95588',
      keys: { from_hdr: '<sip:13600000002@carrier.example>', extra: 'X-Carrier: test' },
    });
    expect(run.code, run.errors).toBe(0);
    expect(run.messages).toMatch(/SIP\/2\.0 404 Not Found/);
    expect(stack.logs.join('')).toMatch(/"status":404.*"why":"unknown number".*INVITE rejected/);
    expect(stack.fs[0]!.stats.invites).toBe(0);
  }, 30_000);

  it('no Contact, Max-Forwards 0, a body that is not SDP: final responses, never a hang', async () => {
    const base = ['From: <sip:13600000003@127.0.0.1>;tag=m2', 'To: <sip:12345@127.0.0.1>', 'CSeq: 1 INVITE'];
    const noContact = await udp(
      stack.sip,
      invite([`${VIA}2`, ...base, 'Call-ID: malformed-2@127.0.0.1', 'Max-Forwards: 70']),
    );
    expect(statusLines(noContact)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 400 Missing Contact']);
    const hops = await udp(
      stack.sip,
      invite([
        `${VIA}3`,
        ...base,
        'Call-ID: malformed-3@127.0.0.1',
        'Contact: <sip:x@127.0.0.1:{port}>',
        'Max-Forwards: 0',
      ]),
    );
    expect(statusLines(hops)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 483 Too Many Hops']);
    const notSdp = await udp(
      stack.sip,
      invite(
        [
          `${VIA}4`,
          ...base,
          'Call-ID: malformed-4@127.0.0.1',
          'Contact: <sip:x@127.0.0.1:{port}>',
          'Max-Forwards: 70',
        ],
        'hello',
      ).replace('Content-Type: application/sdp', 'Content-Type: text/plain'),
    );
    expect(statusLines(notSdp)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 415 Unsupported Media Type']);
    expect(stack.edge.stats.rejected).toBe(3);
  }, 30_000);
});
