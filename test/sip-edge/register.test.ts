// Agents' softphones register with the edge (digest); registrations live in Redis with their expiry, and only a
// registered extension is offerable. FreeSWITCH rings an agent through the edge, which forwards the INVITE to
// the contact the softphone registered.
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REDIS_URL } from '../helpers/redis.ts';
import { waitFor } from '../helpers/stack.ts';
import { AGENT_PASSWORD, startEdgeStack, type EdgeStack } from './helpers/edge-stack.ts';
import { FIXTURE_SCENARIOS, freeUdpPort, haveSipp, received, runSipp, startSipp } from './helpers/sipp.ts';

let stack: EdgeStack;
let sub: Redis;

describe.skipIf(!haveSipp)('agent softphone registration', () => {
  beforeEach(async () => {
    stack = await startEdgeStack({
      env: { HOTLINE_SIP_REGISTER_MIN_EXPIRES_S: '1', HOTLINE_SIP_AGENT_REGISTRAR: 'edge' },
    });
    sub = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    sub?.disconnect();
    await stack?.stop();
  });

  it('a wrong password is challenged and refused; the extension stays unregistered', async () => {
    const run = await runSipp({
      scenario: 'uac_register_wrong.xml',
      target: stack.sip,
      keys: { user: '1001' },
      extra: ['-au', '1001', '-ap', 'not-the-password'],
    });
    expect(run.code, run.errors || run.stderr).toBe(0);
    const got = received(run);
    expect(got[0]).toMatch(/^SIP\/2\.0 401 Unauthorized/);
    expect(got[0]).toMatch(
      /^WWW-Authenticate: Digest realm="hotline\.test", nonce="[0-9a-f]+", algorithm=MD5, qop="auth"/m,
    );
    expect(got[1]).toMatch(/^SIP\/2\.0 403 Forbidden/);
    expect(await stack.edge.registrations.isRegistered('1001')).toBe(false);
    expect(await stack.edge.registrations.dialString('1001', stack.sip)).toBeNull();
    expect(stack.logs.join('')).toContain('REGISTER with wrong credentials refused');
    expect(stack.edge.registrar.stats).toMatchObject({ challenged: 1, refused: 1, registered: 0 });
  }, 30_000);

  it('the right password registers the softphone in Redis with its expiry: the agent becomes offerable', async () => {
    // Two ready agents; only the one whose softphone registers may be offered calls.
    await stack.addAgent('r1', '1001', { general: 1 });
    await stack.addAgent('r2', '1002', { general: 1 });
    const replica = stack.router.dispatcher.replica;
    const offerable = async () => {
      await replica.refresh(Date.now(), true);
      return replica
        .offerableAgents()
        .map((a) => a.id)
        .sort();
    };
    expect(await offerable()).toEqual([]);
    // The desktop shows the softphone's registration: unregistered at login, then the change.
    const desk = await stack.connectDesktop('r1');
    expect(await desk.next('hello')).toMatchObject({ softphone: 'unregistered' });
    const events: unknown[] = [];
    await sub.subscribe(stack.edge.keys.registrationEvents());
    sub.on('message', (_c, m) => events.push(JSON.parse(m)));
    // The recorded sipp scenario of the fixtures, unchanged: user 1001, password "secret".
    expect(AGENT_PASSWORD).toBe('secret');
    const port = await freeUdpPort();
    const before = Date.now();
    const run = await runSipp({
      scenario: `${FIXTURE_SCENARIOS}/uac_register_digest.xml`,
      target: stack.sip,
      port,
    });
    expect(run.code, run.errors || run.stderr).toBe(0);
    const ok = received(run).find((m) => m.startsWith('SIP/2.0 200'))!;
    expect(ok).toMatch(
      new RegExp(`^Contact: <sip:1001@127\\.0\\.0\\.1:${port};transport=UDP>;expires=3600$`, 'm'),
    );
    expect(ok).toMatch(/^Expires: 3600$/m);

    const regs = stack.edge.registrations;
    expect(await regs.isRegistered('1001')).toBe(true);
    expect(await regs.isRegistered('1002')).toBe(false);
    expect(await offerable()).toEqual(['r1']);
    expect(await desk.next('softphone')).toMatchObject({ registered: true });
    expect(await regs.registeredExtensions()).toEqual(['1001']);
    const reg = await regs.get('1001');
    expect(reg).toMatchObject({
      extension: '1001',
      contact: `sip:1001@127.0.0.1:${port};transport=UDP`,
      received: { address: '127.0.0.1', port },
      userAgent: 'sipp',
    });
    expect(reg!.expiresAt).toBeGreaterThanOrEqual(before + 3600_000);
    // The ACD's check is one ZSCORE on this key (score = expiry in ms).
    const score = Number(await stack.router.parts.redis.zscore(stack.edge.keys.registered(), '1001'));
    expect(score).toBe(reg!.expiresAt);
    const ttl = await stack.router.parts.redis.pttl(stack.edge.keys.registration('1001'));
    expect(ttl).toBeGreaterThan(3590_000);
    expect(await regs.dialString('1001', stack.sip)).toBe(
      `{sip_h_X-Hotline-Agent-Leg=1001}sofia/hotline_carrier/1001@${stack.sip}`,
    );
    // What the call flow bridges to: the edge's own SIP address, as drachtio-server reported it.
    expect(await stack.edge.agentDialString('1001')).toBe(
      `{sip_h_X-Hotline-Agent-Leg=1001}sofia/hotline_carrier/1001@${stack.sip}`,
    );
    expect(await stack.edge.agentDialString('1002')).toBeNull();
    await waitFor(() => events.length > 0, 3000, 'registration event');
    expect(events[0]).toMatchObject({ type: 'sip-registration', extension: '1001', registered: true });
  }, 30_000);

  it('Expires 0 unregisters; a registration that is not refreshed expires on time', async () => {
    const regs = stack.edge.registrations;
    const reg = (expires: string) =>
      runSipp({
        scenario: 'uac_register.xml',
        target: stack.sip,
        keys: { user: '1003', expires },
        extra: ['-au', '1003', '-ap', AGENT_PASSWORD],
      });
    expect((await reg('600')).code).toBe(0);
    expect(await regs.isRegistered('1003')).toBe(true);
    expect((await reg('0')).code).toBe(0);
    expect(await regs.isRegistered('1003')).toBe(false);

    const events: Array<{ registered: boolean; reason: string }> = [];
    await sub.subscribe(stack.edge.keys.registrationEvents());
    sub.on('message', (_c, m) => events.push(JSON.parse(m)));
    expect((await reg('2')).code).toBe(0);
    expect(await regs.isRegistered('1003')).toBe(true);
    await new Promise((r) => setTimeout(r, 2100));
    // Expired on read at once, whatever the sweep's timing.
    expect(await regs.isRegistered('1003')).toBe(false);
    await waitFor(() => events.some((e) => !e.registered && e.reason === 'expired'), 8000, 'expiry event');
    expect(await stack.router.parts.redis.zscore(stack.edge.keys.registered(), '1003')).toBeNull();
  }, 40_000);

  it("FreeSWITCH rings a registered agent through the edge, at the softphone's registered contact", async () => {
    const port = await freeUdpPort();
    const r = await runSipp({
      scenario: 'uac_register.xml',
      target: stack.sip,
      port,
      keys: { user: '1004', expires: '600' },
      extra: ['-au', '1004', '-ap', AGENT_PASSWORD],
    });
    expect(r.code, r.errors).toBe(0);
    // The softphone now listens where it registered from.
    const phone = await startSipp({ scenario: 'uas_answer_info_bye.xml', port, timeoutS: 15 });
    await new Promise((res) => setTimeout(res, 300));
    // FreeSWITCH's bridge to the dial string the registry gives (emulated here by sipp from 127.0.0.1, a pool host).
    const fsLeg = await runSipp({
      scenario: 'uac_call.xml',
      target: stack.sip,
      service: '1004',
      durationMs: 500,
      keys: { caller: '13800009999', digit: '1', extra: 'X-Hotline-Agent-Leg: 1004' },
    });
    expect(fsLeg.code, fsLeg.errors).toBe(0);
    const ph = await phone.done;
    expect(ph.code, ph.errors).toBe(0);
    expect(received(ph).some((m) => m.startsWith('INVITE sip:1004@127.0.0.1'))).toBe(true);
    expect(stack.edge.stats.agentLegs).toBe(1);

    // Not registered: refused at once with 480, so FreeSWITCH's bridge fails and the router re-offers.
    const none = await runSipp({
      scenario: 'uac_expect_status.xml',
      target: stack.sip,
      service: '1009',
      keys: { from_hdr: '<sip:fs@127.0.0.1>', extra: 'X-Hotline-Agent-Leg: 1009' },
    });
    expect(none.code, none.errors).toBe(0);
    expect(none.messages).toMatch(/SIP\/2\.0 480 Temporarily Unavailable/);
  }, 40_000);
});
