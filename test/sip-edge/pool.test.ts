// The FreeSWITCH pool: calls spread by load over healthy members; a member that stops answering OPTIONS leaves
// the pool and gets no new calls, comes back when it answers again; a member that takes an INVITE and never
// answers costs the caller a few seconds, not the call.
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/stack.ts';
import { startEdgeStack, type EdgeStack } from './helpers/edge-stack.ts';
import { haveSipp, runSipp } from './helpers/sipp.ts';

let stack: EdgeStack | undefined;

async function call(s: EdgeStack, caller: string): Promise<void> {
  const run = await runSipp({
    scenario: 'uac_call.xml',
    target: s.sip,
    service: '12345',
    durationMs: 600,
    keys: { caller, digit: '0', extra: 'X-Carrier: test' },
  });
  expect(run.code, run.errors || run.stderr).toBe(0);
}

describe.skipIf(!haveSipp)('the FreeSWITCH pool', () => {
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it('spreads calls over both members, takes a silent one out of the pool, and puts it back when it answers', async () => {
    const s = (stack = await startEdgeStack({ poolSize: 2 }));
    for (const [id, ext] of [
      ['g1', '1001'],
      ['g2', '1002'],
    ] as const) {
      await s.addAgent(id, ext, { general: 1 });
      s.emulator.setAgent(ext, { behaviour: 'answer', answerAfterMs: 50 });
    }
    const [a, b] = s.fs as [(typeof s.fs)[0], (typeof s.fs)[0]];
    await call(s, '13900000001');
    await call(s, '13900000002');
    expect([a.stats.invites, b.stats.invites]).toEqual([1, 1]);

    await a.stop();
    await waitFor(() => !s.edge.pool.members[0]!.healthy, 5000, 'member out of the pool');
    expect(s.logs.join('')).toContain('FreeSWITCH out of the pool');
    for (let i = 0; i < 3; i++) await call(s, `1390000001${i}`);
    expect([a.stats.invites, b.stats.invites]).toEqual([1, 4]);
    expect(s.edge.stats.rejected).toBe(0);

    await a.start();
    await waitFor(() => s.edge.pool.members[0]!.healthy, 5000, 'member back in the pool');
    await call(s, '13900000020');
    // Fewest calls up wins, both have none: either may take it; together they took every call.
    expect(a.stats.invites + b.stats.invites).toBe(6);
  }, 60_000);

  it('a member that swallows an INVITE is given up after the answer timeout; the call goes to the next one', async () => {
    // Pings far apart: the pool has not noticed yet when the call comes.
    const s = (stack = await startEdgeStack({
      poolSize: 2,
      env: { HOTLINE_SIP_OPTIONS_INTERVAL_MS: '60000' },
    }));
    await s.addAgent('g1', '1001', { general: 1 });
    s.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
    for (const f of s.fs) f.pause();
    s.fs[1]!.resume();
    const started = Date.now();
    await call(s, '13900000030');
    const took = Date.now() - started;
    const [a, b] = s.fs;
    // Round robin gives the first call to the first member when both are idle.
    expect(a!.stats.invites).toBe(0); // paused: it never even saw the INVITE
    expect(b!.stats.invites).toBe(1);
    expect(took).toBeGreaterThanOrEqual(3000); // HOTLINE_SIP_FS_ANSWER_TIMEOUT_MS=3000
    expect(s.edge.pool.members[0]!.healthy).toBe(false);
  }, 60_000);

  it('with every member gone the caller gets 503 (never silence) and the router keeps serving', async () => {
    const s = (stack = await startEdgeStack({ poolSize: 1 }));
    await s.fs[0]!.stop();
    await waitFor(() => !s.edge.pool.members[0]!.healthy, 5000, 'member out of the pool');
    const run = await runSipp({
      scenario: 'uac_expect_status.xml',
      target: s.sip,
      service: '12345',
      keys: { from_hdr: '<sip:13900000040@carrier.example>', extra: 'X-Carrier: test' },
    });
    expect(run.code, run.errors).toBe(0);
    expect(run.messages).toMatch(/SIP\/2\.0 503 Service Unavailable/);
    const h = await fetch(`${s.http}/health`);
    expect(h.status).toBe(200);
  }, 30_000);
});
