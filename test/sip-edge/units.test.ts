// The SIP edge's pure parts: digest, intake, opening hours, configuration, pool choice.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LINES } from '../../src/number-plan/lines.ts';
import { loadSipEdgeConfig } from '../../src/sip-edge/config.ts';
import {
  challenge,
  expectedResponse,
  ha1Of,
  NonceIssuer,
  parseDigest,
  verifyResponse,
} from '../../src/sip-edge/digest.ts';
import { FreeSwitchPool } from '../../src/sip-edge/fs-pool.ts';
import { isOpen, parseHours } from '../../src/sip-edge/hours.ts';
import { classifyInvite, splitHeaderList, type InviteView } from '../../src/sip-edge/intake.ts';

const plan = { lines: DEFAULT_LINES, defaultLine: '12345' };

function invite(uri: string, headers: Record<string, string>): InviteView {
  const h = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { uri, get: (n) => h.get(n.toLowerCase()) };
}
const from = { From: '<sip:13800000000@carrier.example>;tag=1', To: '<sip:12345@edge.example>' };

describe('digest (RFC 2617, as sipp answered the recorded registrar)', () => {
  // ../shared/fixtures/drachtio/register_digest.transcript.txt: user 1001, password "secret".
  const header =
    'Digest username="1001",realm="127.0.0.1",cnonce="6b8b4567",nc=00000001,qop=auth,uri="sip:127.0.0.1:5080",nonce="b036aaea734304b36ef8c53c",response="6ad683da4fdb8fdfe8ef72182212b046",algorithm=MD5';

  it('computes the response sipp sent', () => {
    const c = parseDigest(header)!;
    expect(c).toMatchObject({ username: '1001', realm: '127.0.0.1', qop: 'auth', nc: '00000001' });
    const ha1 = ha1Of('1001', '127.0.0.1', 'secret');
    expect(expectedResponse(c, 'REGISTER', ha1)).toBe('6ad683da4fdb8fdfe8ef72182212b046');
    expect(verifyResponse(c, 'REGISTER', ha1)).toBe(true);
    expect(verifyResponse(c, 'REGISTER', ha1Of('1001', '127.0.0.1', 'wrong'))).toBe(false);
    expect(verifyResponse(c, 'INVITE', ha1)).toBe(false);
  });

  it('writes the challenge as the recorded app did', () => {
    expect(challenge('127.0.0.1', 'b036aaea734304b36ef8c53c')).toBe(
      'Digest realm="127.0.0.1", nonce="b036aaea734304b36ef8c53c", algorithm=MD5, qop="auth"',
    );
    expect(parseDigest('Basic abc')).toBeNull();
    expect(parseDigest('Digest username="1001"')).toBeNull();
  });

  it('issues stateless nonces any instance with the secret can check, which go stale', () => {
    const a = new NonceIssuer('s3cret', 1000);
    const b = new NonceIssuer('s3cret', 1000);
    const n = a.issue(1_000_000);
    expect(b.check(n, 1_000_500)).toBe('ok');
    expect(b.check(n, 1_002_000)).toBe('stale');
    expect(new NonceIssuer('other').check(n, 1_000_500)).toBe('bad');
    expect(b.check(`${n.slice(0, -1)}0`, 1_000_500)).toMatch(/bad|ok/);
    expect(b.check('b036aaea734304b36ef8c53c')).toBe('bad');
  });
});

describe('intake', () => {
  it('takes the dialled number from the Request-URI, with area code or +86', () => {
    const r = classifyInvite(plan, invite('sip:02712333@edge.example', from));
    expect(r).toMatchObject({ ok: true, dialled: { source: 'request-uri', raw: '02712333' } });
    expect(r.ok && r.dialled.resolution.line.number).toBe('12333');
    const t = classifyInvite(plan, invite('tel:+8612315', from));
    expect(t.ok && t.dialled.resolution.line.number).toBe('12315');
  });

  it('a call forwarded from a retired number: the original number in Diversion wins', () => {
    const r = classifyInvite(
      plan,
      invite('sip:12345@edge.example', {
        ...from,
        // Most recent redirection first; the last entry is the number the citizen dialled.
        Diversion: '<sip:12345@trunk.example>;reason=deflection, <tel:12369>;reason=unconditional;counter=1',
      }),
    );
    expect(r.ok && r.dialled).toMatchObject({ raw: '12369', source: 'diversion' });
    expect(r.ok && r.dialled.resolution.line.mergeMode).toBe('merged');
  });

  it("a citizen's own forwarding (Diversion of a private number) does not hide the hotline number", () => {
    const r = classifyInvite(
      plan,
      invite('sip:12345@edge.example', {
        ...from,
        Diversion: '<sip:13911112222@carrier.example>;reason=no-answer',
      }),
    );
    expect(r.ok && r.dialled).toMatchObject({ raw: '12345', source: 'request-uri' });
  });

  it('History-Info: the entry with the lowest index is the original target', () => {
    const r = classifyInvite(
      plan,
      invite('sip:12345@edge.example', {
        ...from,
        'History-Info':
          '<sip:12345@edge.example>;index=1.1, <sip:12315@carrier.example?Reason=SIP%3Bcause%3D302>;index=1',
      }),
    );
    expect(r.ok && r.dialled).toMatchObject({ raw: '12315', source: 'history-info' });
  });

  it('falls back to To when the Request-URI carries a trunk identifier', () => {
    const r = classifyInvite(
      plan,
      invite('sip:trunk-7@edge.example', { From: from.From, To: '"12345" <sip:+86-27-12345@edge.example>' }),
    );
    expect(r.ok && r.dialled.source).toBe('to');
    expect(r.ok && r.dialled.resolution.line.number).toBe('12345');
  });

  it('takes the caller from P-Asserted-Identity before From, normalised', () => {
    const r = classifyInvite(
      plan,
      invite('sip:12345@edge.example', {
        ...from,
        'P-Asserted-Identity':
          '"Zhang San" <sip:+8613812345678@carrier.example;user=phone>, <tel:+8613812345678>',
      }),
    );
    expect(r.ok && r.caller).toEqual({
      raw: 'sip:+8613812345678@carrier.example;user=phone',
      source: 'p-asserted-identity',
      number: '13812345678',
      name: 'Zhang San',
    });
  });

  it('rejects unknown numbers (404) or gives them to the default line, as configured', () => {
    const other = { From: from.From, To: '<sip:95588@edge.example>' };
    expect(classifyInvite(plan, invite('sip:95588@edge.example', other))).toMatchObject({
      ok: false,
      status: 404,
    });
    const r = classifyInvite(plan, invite('sip:95588@edge.example', other), { unknown: 'default-line' });
    expect(r.ok && r.dialled.resolution).toMatchObject({ known: false, line: { number: '12345' } });
  });

  it('refuses what is not a SIP request it can read', () => {
    expect(classifyInvite(plan, invite('http://x', from))).toMatchObject({ ok: false, status: 416 });
    expect(classifyInvite(plan, invite('sip:12345@e', { To: from.To, From: 'nonsense' }))).toMatchObject({
      ok: false,
      status: 400,
    });
    expect(classifyInvite(plan, invite('sip:12345@e', { From: from.From }))).toMatchObject({
      ok: false,
      status: 400,
    });
  });

  it('splits header lists on commas outside quotes and brackets', () => {
    expect(splitHeaderList('"A, B" <sip:a@b;x=1,2>;p=1, <tel:1>')).toEqual([
      '"A, B" <sip:a@b;x=1,2>;p=1',
      '<tel:1>',
    ]);
  });
});

describe('sub-center hours (Asia/Shanghai)', () => {
  const h = parseHours('mon-fri 08:30-12:00,13:30-17:30')!;
  // 2026-11-23 is a Monday.
  const at = (iso: string) => new Date(iso);
  it('opens and closes on the local clock', () => {
    expect(isOpen(h, at('2026-11-23T01:00:00Z'), 'Asia/Shanghai')).toBe(true); // 09:00
    expect(isOpen(h, at('2026-11-23T04:30:00Z'), 'Asia/Shanghai')).toBe(false); // 12:30 lunch
    expect(isOpen(h, at('2026-11-23T09:29:00Z'), 'Asia/Shanghai')).toBe(true); // 17:29
    expect(isOpen(h, at('2026-11-23T09:30:00Z'), 'Asia/Shanghai')).toBe(false); // 17:30
    expect(isOpen(h, at('2026-11-22T01:00:00Z'), 'Asia/Shanghai')).toBe(false); // Sunday
    expect(isOpen(h, at('2026-11-22T23:00:00Z'), 'Asia/Shanghai')).toBe(false); // Mon 07:00
  });
  it('reads day ranges across the week end and all-day hours', () => {
    const w = parseHours('sat-mon 00:00-24:00')!;
    expect([...w.days].sort()).toEqual([0, 1, 6]);
    expect(isOpen(w, at('2026-11-22T15:59:00Z'), 'Asia/Shanghai')).toBe(true); // Sun 23:59
    expect(parseHours('08:00-07:00')).toBeNull();
    expect(parseHours('whenever')).toBeNull();
  });
});

describe('configuration', () => {
  it('is off without HOTLINE_DRACHTIO_HOST', () => {
    const problems: string[] = [];
    expect(loadSipEdgeConfig({}, problems)).toBeNull();
    expect(problems).toEqual([]);
  });
  it('reads the drachtio address, the pool and the timers', () => {
    const problems: string[] = [];
    const c = loadSipEdgeConfig(
      {
        HOTLINE_DRACHTIO_HOST: 'drachtio',
        HOTLINE_DRACHTIO_SECRET: 'cymru',
        HOTLINE_SIP_FS_POOL: 'fs1:5080, fs2',
        HOTLINE_SIP_SUBCENTER_TIMEOUT_S: '15',
      },
      problems,
    );
    expect(problems).toEqual([]);
    expect(c).toMatchObject({
      drachtio: { host: 'drachtio', port: 9022 },
      pool: [
        { host: 'fs1', port: 5080 },
        { host: 'fs2', port: 5060 },
      ],
      subcenterTimeoutMs: 15_000,
      unknownNumbers: 'reject',
    });
    expect(c!.drachtio.secret).toBe('cymru');
    // Printing the configuration does not show the secrets.
    const shown = JSON.stringify({ ...c, drachtio: { ...c!.drachtio } });
    expect(shown).not.toContain('cymru');
    expect(shown).not.toMatch(/nonceSecret|agentPassword/);
  });
  it('names every bad value', () => {
    const problems: string[] = [];
    loadSipEdgeConfig(
      {
        HOTLINE_DRACHTIO_HOST: 'drachtio',
        HOTLINE_SIP_FS_POOL: 'fs1:99999,',
        HOTLINE_SIP_OPTIONS_INTERVAL_MS: 'often',
        HOTLINE_SIP_SUBCENTER_HOURS: 'always',
        HOTLINE_SIP_TIMEZONE: 'Mars/Olympus',
        HOTLINE_SIP_UNKNOWN_NUMBERS: 'drop',
      },
      problems,
    );
    const names = problems.map((p) => p.split(/[=:]/)[0]);
    expect(names).toEqual(
      expect.arrayContaining([
        'HOTLINE_DRACHTIO_SECRET',
        'HOTLINE_SIP_FS_POOL',
        'HOTLINE_SIP_OPTIONS_INTERVAL_MS',
        'HOTLINE_SIP_SUBCENTER_HOURS',
        'HOTLINE_SIP_TIMEZONE',
        'HOTLINE_SIP_UNKNOWN_NUMBERS',
      ]),
    );
  });
});

describe('FreeSWITCH pool', () => {
  it('goes by health, then by calls up, round robin on ties', async () => {
    const answers = new Map<string, number | 'timeout'>([
      ['a:5080', 200],
      ['b:5080', 200],
      ['c:5080', 200],
    ]);
    const pool = new FreeSwitchPool(
      ['a', 'b', 'c'].map((host) => ({ host, port: 5080 })),
      { intervalMs: 1000, timeoutMs: 100, failuresToDown: 2 },
      async (m) => answers.get(`${m.host}:${m.port}`)!,
    );
    const downs: string[] = [];
    const ups: string[] = [];
    pool.on('down', (m) => downs.push(m.address));
    pool.on('up', (m) => ups.push(m.address));
    expect([pool.pick()!.host, pool.pick()!.host, pool.pick()!.host]).toEqual(['a', 'b', 'c']);
    pool.members[0]!.activeCalls = 2;
    pool.members[1]!.activeCalls = 1;
    expect(pool.pick()!.host).toBe('c');
    answers.set('c:5080', 'timeout');
    await pool.pingAll();
    expect(pool.members[2]!.healthy).toBe(true); // one miss is not enough
    await pool.pingAll();
    expect(downs).toEqual(['c:5080']);
    expect(pool.pick()!.host).toBe('b');
    expect(pool.pick(new Set(['a:5080', 'b:5080']))).toBeNull();
    answers.set('c:5080', 404); // any answer below 500 means the stack is alive
    await pool.pingAll();
    expect(ups).toEqual(['c:5080']);
    answers.set('a:5080', 503);
    await pool.pingAll();
    await pool.pingAll();
    expect(pool.healthy.map((m) => m.host)).toEqual(['b', 'c']);
  });
});
