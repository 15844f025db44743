// The desktop's WebRTC softphone account (GET /agent/api/softphone) and its SIP library (/agent/vendor/jssip.min.js),
// on a real router with real Redis and the switch emulator; the configuration that turns it on (or refuses it).
// The browser registering with the real FreeSWITCH: test/real/softphone.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/env.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

const PASSWORD = 'Softphone-Secret-4711';
let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

const agentToken = async (s: Stack, id: string) =>
  (await s.admin(`/admin/agents/${id}/token`, { method: 'POST', body: {} })).body.token as string;

describe('GET /agent/api/softphone', () => {
  it("gives the signed-in agent their own SIP account over WebSocket, never cached; nobody else's", async () => {
    stack = await startStack({
      HOTLINE_SOFTPHONE_WS_URL: 'wss://fs.hotline.example:7443',
      HOTLINE_AGENT_SIP_PASSWORD: PASSWORD,
      HOTLINE_SOFTPHONE_ICE_SERVERS: 'stun:stun.hotline.example:3478',
    });
    await stack.addAgent('w1', '1001', { general: 1 }, false);
    const res = await fetch(`${stack.http}/agent/api/softphone`, {
      headers: { authorization: `Bearer ${await agentToken(stack, 'w1')}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({
      enabled: true,
      wsUrl: 'wss://fs.hotline.example:7443',
      uri: 'sip:1001@hotline.local',
      authorizationUser: '1001',
      password: PASSWORD,
      displayName: '坐席w1',
      iceServers: ['stun:stun.hotline.example:3478'],
    });
    // No token, a bad token, the admin token: refused (the account is the agent's own).
    expect((await fetch(`${stack.http}/agent/api/softphone`)).status).toBe(401);
    const bad = await fetch(`${stack.http}/agent/api/softphone`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(bad.status).toBe(401);
    expect((await stack.admin('/agent/api/softphone')).status).toBe(403);
    // The password is in no log line, and not in the configuration as printed.
    expect(stack.logs.join('')).not.toContain(PASSWORD);
    expect(JSON.stringify(stack.router.parts.config)).not.toContain(PASSWORD);
  });

  it('is off without HOTLINE_SOFTPHONE_WS_URL: the page stays as it was', async () => {
    stack = await startStack({ HOTLINE_AGENT_SIP_PASSWORD: PASSWORD });
    await stack.addAgent('w2', '1002', { general: 1 }, false);
    const res = await fetch(`${stack.http}/agent/api/softphone`, {
      headers: { authorization: `Bearer ${await agentToken(stack, 'w2')}` },
    });
    expect(await res.json()).toEqual({ enabled: false });
  });

  it("serves JsSIP's browser build from node_modules, and the page's softphone script", async () => {
    stack = await startStack();
    const lib = await fetch(`${stack.http}/agent/vendor/jssip.min.js`);
    expect(lib.status).toBe(200);
    expect(lib.headers.get('content-type')).toMatch(/^text\/javascript/);
    const js = await lib.text();
    expect(js.length).toBeGreaterThan(50_000);
    expect(js).toMatch(/var JsSIP\s*=/);
    const page = await fetch(`${stack.http}/agent/softphone.js`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('window.__softphone');
    const index = await (await fetch(`${stack.http}/agent/`)).text();
    expect(index).toContain('src="softphone.js"');
  });
});

describe('softphone configuration', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };

  it('off by default; on with a ws(s) URL and the agents password', () => {
    expect(loadConfig({}).softphone).toBeNull();
    const cfg = loadConfig({
      HOTLINE_SOFTPHONE_WS_URL: 'ws://127.0.0.1:5066',
      HOTLINE_AGENT_SIP_PASSWORD: 'pw',
    });
    expect(cfg.softphone).toMatchObject({ wsUrl: 'ws://127.0.0.1:5066', iceServers: [] });
    expect(cfg.softphone?.password).toBe('pw');
    expect(Object.keys(cfg.softphone!)).not.toContain('password');
  });

  it('refuses a bad URL, a missing password, bad STUN servers, and the SIP edge as registrar', () => {
    expect(
      problems({ HOTLINE_SOFTPHONE_WS_URL: 'http://fs:5066', HOTLINE_AGENT_SIP_PASSWORD: 'pw' }),
    ).toEqual([expect.stringContaining('HOTLINE_SOFTPHONE_WS_URL="http://fs:5066"')]);
    expect(problems({ HOTLINE_SOFTPHONE_WS_URL: 'wss://fs:7443' })).toEqual([
      expect.stringContaining('needs HOTLINE_AGENT_SIP_PASSWORD'),
    ]);
    expect(
      problems({
        HOTLINE_SOFTPHONE_WS_URL: 'wss://fs:7443',
        HOTLINE_AGENT_SIP_PASSWORD: 'pw',
        HOTLINE_SOFTPHONE_ICE_SERVERS: 'stun:ok.example,turn:user@relay',
      }),
    ).toEqual([expect.stringContaining('"turn:user@relay" is not stun:host[:port]')]);
    expect(
      problems({
        HOTLINE_SOFTPHONE_WS_URL: 'wss://fs:7443',
        HOTLINE_AGENT_SIP_PASSWORD: 'pw',
        HOTLINE_DRACHTIO_HOST: '127.0.0.1',
        HOTLINE_DRACHTIO_SECRET: 'cymru',
      }),
    ).toEqual([expect.stringContaining('HOTLINE_SIP_AGENT_REGISTRAR=freeswitch')]);
    expect(
      problems({
        HOTLINE_SOFTPHONE_WS_URL: 'wss://fs:7443',
        HOTLINE_AGENT_SIP_PASSWORD: 'pw',
        HOTLINE_DRACHTIO_HOST: '127.0.0.1',
        HOTLINE_DRACHTIO_SECRET: 'cymru',
        HOTLINE_SIP_AGENT_REGISTRAR: 'freeswitch',
      }),
    ).toEqual([]);
  });
});
