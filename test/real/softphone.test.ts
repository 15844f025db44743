// The desktop page's WebRTC softphone (issue 14) on the real FreeSWITCH 1.10.12: Debian's Chromium (fake audio
// devices) opens the agent desktop, whose softphone.js registers with the agents profile over SIP WebSocket
// (JsSIP served by the router); a sipp caller speaking G.711 dials 12345; the page rings with the pop on the same
// screen, the agent clicks 接听, audio flows both ways (DTLS-SRTP, ICE), the agent hangs up from the page, and the
// call record shows the answered call.
import { existsSync } from 'node:fs';
import esl, { type Connection, type Event as EslEvent } from 'modesl';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { waitFor } from '../helpers/stack.ts';
import { havePeers } from './freeswitch.ts';
import { type CallerStep, placeCall } from './sip.ts';
import { startRealStack, type RealStack } from './stack.ts';

const CHROMIUM = process.env.HOTLINE_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);

interface RtpStats {
  packetsReceived: number;
  packetsSent: number;
  ice: string;
  dtls: string;
}

describe.skipIf(!havePeers || !haveChromium)("real FreeSWITCH: the desktop page's WebRTC softphone", () => {
  let s: RealStack;
  let browser: Browser;
  let page: Page;
  let events: Connection;
  const hangups: EslEvent[] = [];

  beforeAll(async () => {
    s = await startRealStack((fs) => ({
      HOTLINE_SOFTPHONE_WS_URL: `ws://127.0.0.1:${fs.wsPort}`,
      HOTLINE_AGENT_SIP_PASSWORD: fs.agentPassword,
    }));
    events = await new Promise<Connection>((resolve, reject) => {
      const c = new esl.Connection('127.0.0.1', s.fs.eslPort, 'ClueCon', () => resolve(c));
      c.on('error', reject);
    });
    await new Promise((r) => events.events('plain', 'CHANNEL_HANGUP_COMPLETE', r));
    events.on('esl::event::CHANNEL_HANGUP_COMPLETE::**', (e: EslEvent) => hangups.push(e));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        // A microphone that plays a beep, allowed without asking.
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        // Host candidates as addresses (not mDNS names FreeSWITCH cannot resolve), loopback included: FreeSWITCH
        // listens for media on 127.0.0.1 here.
        '--disable-features=WebRtcHideLocalIpsWithMdns',
        '--allow-loopback-in-peer-connection',
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
    page.on('pageerror', (err) => console.error('page error:', err.message));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    events?.socket?.destroy();
    await s?.stop();
  });

  it('registers, rings with the pop, answers from the page, audio both ways, hangs up; the call is recorded', async () => {
    onTestFailed(async () => {
      // What each side saw, for a failure on a loaded machine.
      const sp = await page
        .evaluate(() => JSON.stringify((window as unknown as { __softphone?: unknown }).__softphone ?? null))
        .catch((e: Error) => e.message);
      console.error(
        '[softphone] page:',
        sp,
        await page
          .locator('#spLine')
          .innerText()
          .catch(() => ''),
      );
      console.error(
        '[softphone] FreeSWITCH:\n' +
          s.fs
            .log()
            .split('\n')
            .filter((l) => /New Channel|Ring-Ready|answered|Hangup|ERR|USER_NOT|DTLS|ICE/.test(l))
            .slice(-40)
            .join('\n'),
      );
      console.error(
        '[softphone] router:\n' +
          s.logs
            .filter((l) => /"level":(40|50)/.test(l))
            .slice(-20)
            .join(''),
      );
    });
    await s.addAgent('w1', '1001', { general: 1 }, false);
    const { body } = await s.admin('/admin/agents/w1/token', { method: 'POST', body: {} });
    await page.goto(`http://127.0.0.1:${s.router.httpPort}/agent/`);
    await page.locator('#tokenBox summary').click();
    await page.locator('#token').fill(body.token as string);
    await page.locator('#loginBtn').click();

    // Registered: on the page, and in FreeSWITCH's registrations over WebSocket.
    await page.waitForFunction(
      () =>
        (window as unknown as { __softphone?: { registration: string } }).__softphone?.registration ===
        'registered',
      undefined,
      { timeout: 15_000 },
    );
    expect(await page.locator('#spBadge').innerText()).toBe('软电话已注册');
    const reg = await s.fs.api('sofia status profile hotline_agents reg');
    expect(reg).toMatch(/User:\s+1001@/);
    expect(reg).toMatch(/transport=ws/);
    // The page never shows or logs the SIP password; the router's log never has it either.
    expect(await page.content()).not.toContain(s.fs.agentPassword);

    await s.admin('/admin/agents/w1/state', { method: 'POST', body: { state: 'ready' } });
    const who = '13900007701';
    // The caller speaks (sipp's G.711 A-law recording, 7 s, again and again), then hangs up during the survey the
    // agent's hang-up leads to.
    const speech: CallerStep[] = Array.from({ length: 6 }, () => [
      { audio: true } as const,
      { wait: 7000 },
    ]).flat();
    const call = await placeCall(s.fs, {
      dialled: '12345',
      callerId: who,
      steps: [...speech, { hangup: true }],
    });

    // Ringing: the softphone and the pop on the same screen.
    await page.locator('#softphone[data-call="ringing"]').waitFor({ timeout: 45_000 });
    await page.locator('#card').waitFor({ state: 'visible', timeout: 5000 });
    expect(await page.locator('#fCaller').innerText()).toBe(who);
    expect(await page.locator('#spLine').innerText()).toContain('来电振铃');
    await page.locator('#btnAnswer').click();

    await page.locator('#softphone[data-call="talking"]').waitFor({ timeout: 10_000 });
    await page.locator('#callStatus[data-status="talking"]').waitFor({ timeout: 10_000 });
    // Audio both ways, seen by the browser: RTP in (the caller's speech through FreeSWITCH) and out (the beep).
    const stats = async (): Promise<RtpStats> =>
      page.evaluate(async () => {
        const pc = (window as unknown as { __softphone: { pc: RTCPeerConnection } }).__softphone.pc;
        const out = { packetsReceived: 0, packetsSent: 0, ice: pc.iceConnectionState, dtls: '' };
        (await pc.getStats()).forEach((r: Record<string, unknown>) => {
          if (r.type === 'inbound-rtp' && r.kind === 'audio')
            out.packetsReceived += Number(r.packetsReceived ?? 0);
          if (r.type === 'outbound-rtp' && r.kind === 'audio') out.packetsSent += Number(r.packetsSent ?? 0);
          if (r.type === 'transport') out.dtls = String(r.dtlsState ?? '');
        });
        return out;
      });
    const flowing = await waitFor(
      async () => {
        const st = await stats();
        return st.packetsReceived > 50 && st.packetsSent > 50 ? st : null;
      },
      10_000,
      'RTP both ways on the page',
    );
    expect(flowing.dtls).toBe('connected');
    expect(['connected', 'completed']).toContain(flowing.ice);
    // FreeSWITCH's view of the agent leg while it talks: SRTP keyed by DTLS.
    const channels = JSON.parse(await s.fs.api('show channels as json')) as {
      rows?: Array<{ name: string; secure: string }>;
    };
    const agentLeg = channels.rows?.find((r) => r.name.startsWith('sofia/hotline_agents/'));
    expect(agentLeg?.secure).toMatch(/^srtp:dtls:/);
    // A few seconds of conversation before the agent hangs up.
    await new Promise((r) => setTimeout(r, 3000));

    await page.locator('#btnHangup').click();
    await page.locator('#softphone[data-call="ended"]').waitFor({ timeout: 10_000 });

    // FreeSWITCH's side: the agent leg (WebRTC, over WebSocket) received and sent RTP.
    const leg = await waitFor(
      () => hangups.find((e) => /^sofia\/hotline_agents\//.test(e.getHeader('Channel-Name') ?? '')) ?? null,
      10_000,
      "the agent leg's hang-up",
    );
    expect(leg.getHeader('variable_media_webrtc')).toBe('true');
    expect(Number(leg.getHeader('variable_rtp_audio_in_packet_count'))).toBeGreaterThan(100);
    expect(Number(leg.getHeader('variable_rtp_audio_out_packet_count'))).toBeGreaterThan(100);
    // The agent hung up (the BYE came from the page).
    expect(leg.getHeader('variable_sip_hangup_disposition')).toBe('recv_bye');

    expect((await call.done).code).toBe(0);
    const rec = await waitFor(
      async () => (await s.records()).find((x) => x.caller === who),
      15_000,
      `record of ${who}`,
    );
    expect(rec).toMatchObject({ outcome: 'answered', agent: 'w1', line: '12345' });
    expect(s.logs.join('')).not.toContain(s.fs.agentPassword);
  }, 120_000);
});
