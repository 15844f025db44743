// /metrics: Prometheus text with calls by line, outcome and class, waits, agents by state, queue depth,
// connections and decision rounds; no caller number in it; a metrics token, when set, is required.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    expect(text).toContain('# TYPE hotline_queue_waiting gauge');
    expect(text).not.toContain('13812340000');
  });
});
