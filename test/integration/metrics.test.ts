// /metrics: Prometheus text with calls by line, outcome and class, waits, agents by state, queue depth,
// connections, decision rounds, protocol errors and the SIP edge's rejected INVITEs as counters; no caller number
// in it; a metrics token, when set, is required.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouterMetrics } from '../../src/metrics/router-metrics.ts';
import { type Stack, startStack, waitFor } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ HOTLINE_METRICS_TOKEN: 'scrape-secret' });
});
afterAll(async () => stack?.stop());

const scrape = async (auth = 'Bearer scrape-secret') =>
  fetch(`${stack.http}/metrics`, { headers: auth ? { authorization: auth } : {} });

describe('GET /metrics', () => {
  it('counts calls, waits, agents and queues without personal data, behind the metrics token', async () => {
    expect((await scrape('')).status).toBe(401);
    await stack.addAgent('m1', '1001', { general: 1 });
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    const call = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13812340000',
      hangupAfterBridgeMs: 300,
    });
    expect((await call.ended).answered).toBe(true);
    const text = await waitFor(
      async () => {
        const t = await (await scrape()).text();
        return /hotline_calls_total\{line="12345",outcome="answered",priority="normal"\} 1/.test(t)
          ? t
          : null;
      },
      10_000,
      'the answered call counted',
    );
    expect(text).toMatch(/hotline_wait_seconds_count\{line="12345",priority="normal",outcome="answered"\} 1/);
    expect(text).toMatch(/hotline_handle_seconds_count\{line="12345"\} 1/);
    // Agents by state come from a short-lived cache: the agent shows ready again within a moment.
    await waitFor(
      async () => /hotline_agents\{state="ready"\} 1/.test(await (await scrape()).text()),
      10_000,
      'the agent ready again',
    );
    expect(text).toMatch(/hotline_connection_up\{peer="redis"\} 1/);
    expect(text).toMatch(/hotline_connection_up\{peer="esl"\} 1/);
    // Round trips measured at scrape time: a PING, an api command over the event socket.
    for (const peer of ['redis', 'esl']) {
      const m = new RegExp(`hotline_connection_latency_seconds\\{peer="${peer}"\\} ([0-9.e-]+)`).exec(text);
      expect(Number(m?.[1])).toBeGreaterThan(0);
      expect(Number(m?.[1])).toBeLessThan(1);
    }
    expect(text).toMatch(/hotline_acd_round_seconds_count \d+/);
    expect(text).toContain('# TYPE hotline_acd_reservations_refused_total counter');
    expect(text).toContain('# TYPE hotline_queue_waiting gauge');
    expect(text).not.toContain('13812340000');
  });

  it('counts protocol errors by source as a counter that grows after a peer breaks the protocol', async () => {
    const series = (text: string, source: string) => {
      const m = new RegExp(`^hotline_protocol_errors_total\\{source="${source}"\\} (\\d+)$`, 'm').exec(text);
      return m ? Number(m[1]) : null;
    };
    const before = await (await scrape()).text();
    expect(before).toContain('# TYPE hotline_protocol_errors_total counter');
    for (const source of ['esl-outbound', 'esl-inbound', 'prompts'])
      expect(series(before, source)).not.toBeNull();
    const start = series(before, 'esl-outbound')!;
    // Something that is not FreeSWITCH connects to the outbound socket: it answers `connect` without the channel's
    // data, and the router counts it and closes the socket.
    const peer = net.connect(stack.router.eslListenPort, '127.0.0.1');
    peer.on('error', () => undefined);
    let received = '';
    peer.on('data', (d: Buffer) => {
      received += d.toString();
      if (received.endsWith('connect\n\n')) peer.write('Content-Type: command/reply\nReply-Text: +OK\n\n');
      if (/event json[^\n]*\n\n$/.test(received))
        peer.write('Content-Type: command/reply\nReply-Text: +OK event listener enabled json\n\n');
    });
    await new Promise<void>((r) => peer.on('close', () => r()));
    const after = await waitFor(
      async () => {
        const n = series(await (await scrape()).text(), 'esl-outbound');
        return n !== null && n > start ? n : null;
      },
      5000,
      'the protocol error counted',
    );
    expect(after).toBe(start + 1);
    // No SIP edge in this stack: no rejected-INVITE series.
    expect(await (await scrape()).text()).not.toContain('hotline_sip_invites_rejected_total');
  });

  it("follows the sources' own counts: protocol errors and the SIP edge's rejected INVITEs only grow", async () => {
    let outbound = 2;
    let rejected = 0;
    const m = new RouterMetrics({
      agentsByState: async () => ({}),
      queueDepth: () => [],
      connections: () => [],
      latencies: async () => [],
      protocolErrors: () => [{ source: 'esl-outbound', count: outbound }],
      sipInvitesRejected: () => rejected,
    });
    const value = async (name: string) =>
      (await m.registry.getSingleMetric(name)!.get()).values.map((v) => [v.labels, v.value]);
    expect(await value('hotline_protocol_errors_total')).toEqual([[{ source: 'esl-outbound' }, 2]]);
    expect(await value('hotline_sip_invites_rejected_total')).toEqual([[{}, 0]]);
    outbound = 5;
    rejected = 3;
    expect(await value('hotline_protocol_errors_total')).toEqual([[{ source: 'esl-outbound' }, 5]]);
    expect(await value('hotline_sip_invites_rejected_total')).toEqual([[{}, 3]]);
    // A source made anew (a reconnected link) counts from 0 again: the counter never goes back.
    outbound = 1;
    expect(await value('hotline_protocol_errors_total')).toEqual([[{ source: 'esl-outbound' }, 6]]);
    const text = await m.registry.metrics();
    expect(text).toContain('# TYPE hotline_sip_invites_rejected_total counter');
    expect(text).not.toMatch(/^hotline_protocol_errors /m);
  });

  it("counts refused reservations by the scripts' reasons; a connection's error text is no label", async () => {
    const m = new RouterMetrics({
      agentsByState: async () => ({}),
      queueDepth: () => [],
      connections: () => [],
      latencies: async () => [],
      protocolErrors: () => [],
    });
    m.observeRefused('not-first');
    m.observeRefused('not-first');
    m.observeRefused('agent-not-ready');
    m.observeRefused('Connection is closed.');
    const got = (await m.registry.getSingleMetric('hotline_acd_reservations_refused_total')!.get()).values;
    expect(new Map(got.map((v) => [v.labels.reason, v.value]))).toEqual(
      new Map([
        ['not-first', 2],
        ['agent-not-ready', 1],
        ['error', 1],
      ]),
    );
  });
});
