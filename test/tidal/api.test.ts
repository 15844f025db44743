// Operators and the tidal plan through a real router: the roster, a plan made from the line's
// history (forecast, seats at a quantile, the planner), changes with versions, approval, the SVG
// chart, the CLI, an emergency move carried out by the router's scheduler, cancelling, the audit.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { HistoryStore } from '../../src/history/history-store.ts';
import { parseDate } from '../../src/history/local-time.ts';
import { localDate, MINUTE_MS } from '../../src/tidal/time.ts';
import { REDIS_URL } from '../helpers/redis.ts';
import { type Stack, startStack, waitFor } from '../helpers/stack.ts';

const DAY_MS = 86_400_000;
/** Calls per 15 minutes on a weekday: peaks 09:00–11:00 and 14:00–16:00. */
function profile(slot: number): number {
  const h = slot / 4;
  const bump = (c: number, w: number) => Math.exp(-(((h - c) / w) ** 2));
  return 2 + 95 * bump(10, 1.2) + 85 * bump(15, 1.2) + 30 * bump(12.5, 3) * (h > 7 && h < 20 ? 1 : 0);
}

describe('tidal admin API and CLI', () => {
  let stack: Stack;
  const date = localDate(Date.now() + 2 * DAY_MS);
  const env = () => ({ HOTLINE_REDIS_URL: REDIS_URL, HOTLINE_REDIS_PREFIX: stack.prefix });

  beforeAll(async () => {
    stack = await startStack();
    // Five weeks of history up to the day before the plan's day.
    const days = 35;
    const start = parseDate(date)! - days * DAY_MS;
    const values = new Float64Array(days * 96);
    for (let d = 0; d < days; d++) {
      const weekday = new Date(start + d * DAY_MS).getUTCDay();
      const scale = weekday === 0 || weekday === 6 ? 0.6 : 1 + 0.03 * ((d * 7) % 5);
      for (let s = 0; s < 96; s++) values[d * 96 + s] = Math.round(profile(s) * scale);
    }
    await new HistoryStore(stack.router.parts.redis, stack.prefix, '12345').save({
      start,
      intervalMin: 15,
      values,
    });
    // The roster: 24 front-line seats, 6 backup seats in the back office.
    for (let i = 1; i <= 24; i++)
      await stack.admin(`/admin/tidal/roster/f${i}`, {
        method: 'PUT',
        body: { homePool: 'front', frontSkills: { general: 3 }, backSkills: {}, shift: '07:00-21:00' },
      });
    for (let i = 1; i <= 6; i++)
      await stack.admin(`/admin/tidal/roster/b${i}`, {
        method: 'PUT',
        body: {
          homePool: 'back',
          frontSkills: { general: 3, '12333': 4 },
          backSkills: { workorder: 3 },
          ...(i <= 5 ? { shift: '08:00-18:00' } : {}),
        },
      });
  });

  afterAll(async () => stack?.stop());
  afterEach(() => vi.restoreAllMocks());

  async function cli(args: string[]): Promise<{ code: number; out: string }> {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out += String(s);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const code = await runCli(args, env());
    vi.restoreAllMocks();
    return { code, out };
  }

  it('makes a draft plan from the forecast, changes it by version, approves it, draws it', async () => {
    const roster = await stack.admin('/admin/tidal/roster');
    expect(roster.body).toHaveLength(30);
    expect(
      (await stack.admin('/admin/tidal/roster/x', { method: 'PUT', body: { homePool: 'side' } })).status,
    ).toBe(400);

    const made = await stack.admin('/admin/tidal/plan', {
      method: 'POST',
      body: { date, quantile: 0.8, ahtS: 200, options: { capSeats: 3 }, by: '值班长' },
    });
    expect(made.status).toBe(201);
    const plan = made.body;
    expect(plan).toMatchObject({
      date,
      status: 'draft',
      version: 1,
      intervalMin: 15,
      capSeats: 3,
      totalSeats: 30,
    });
    expect(plan.need).toHaveLength(96);
    expect(plan.forecast.quantile).toBe(0.8);
    expect(plan.forecast.atQuantile[40]).toBeGreaterThan(plan.forecast.mean[40]);
    expect(plan.moves.length).toBeGreaterThan(0);
    for (const m of plan.moves) {
      expect(m.agentId).toMatch(/^b[1-6]$/);
      expect(m.effectiveAt - m.announceAt).toBe(15 * MINUTE_MS); // the notice; moves come 2 h before the need
      expect(m.returnAt - m.effectiveAt).toBeGreaterThanOrEqual(60 * MINUTE_MS);
    }
    expect(Math.max(...plan.moved)).toBeLessThanOrEqual(3);
    // The cap of 3 held moves back at the peaks: the plan says where, by how much, and what would change it.
    const capped = (plan.limits as Array<{ kind: string; text: string; seats: number }>).filter(
      (l) => l.kind === 'cap',
    );
    expect(capped.length).toBeGreaterThan(0);
    expect(capped[0]!.seats).toBeGreaterThan(0);
    expect(capped[0]!.text).toMatch(/^\d\d:\d\d–\d\d:\d\d 上限 3 席.*raise --cap/);

    const shown = await stack.admin(`/admin/tidal/plan?date=${date}`);
    expect(shown.body.moves.every((m: { state: string }) => m.state === 'planned')).toBe(true);

    const m1 = plan.moves[0];
    const hhmm = (t: number) => new Date(t + 8 * 3600_000).toISOString().slice(11, 16);
    // A stale version is refused; a change that breaks the minimum block is refused with its reason.
    const stale = await stack.admin(`/admin/tidal/plan/${date}/moves/${m1.id}`, {
      method: 'PATCH',
      body: { version: 0, to: hhmm(m1.returnAt + 30 * MINUTE_MS) },
    });
    expect(stale.status).toBe(409);
    const short = await stack.admin(`/admin/tidal/plan/${date}/moves/${m1.id}`, {
      method: 'PATCH',
      body: { version: 1, to: hhmm(m1.effectiveAt + 30 * MINUTE_MS) },
    });
    expect(short.status).toBe(400);
    expect(short.body.problems.join(' ')).toMatch(/minimum block/);
    const longer = await stack.admin(`/admin/tidal/plan/${date}/moves/${m1.id}`, {
      method: 'PATCH',
      body: { version: 1, to: hhmm(m1.returnAt + 30 * MINUTE_MS), by: '值班长' },
    });
    expect(longer.status).toBe(200);
    expect(longer.body.version).toBe(2);
    expect(longer.body.moves[0].returnAt).toBe(m1.returnAt + 30 * MINUTE_MS);
    expect(longer.body.moves[0].kind).toBe('manual');

    const approved = await stack.admin(`/admin/tidal/plan/${date}/approve`, {
      method: 'POST',
      body: { version: 2, by: '值班长' },
    });
    expect(approved.status).toBe(200);
    // Approved by who sent the request (here the shared admin token), not by the name in the body.
    expect(approved.body.plan).toMatchObject({
      status: 'approved',
      version: 3,
      approvedBy: 'token:shared-admin-token',
    });
    expect(approved.body.late).toEqual([]);
    expect(
      (await stack.admin(`/admin/tidal/plan/${date}/approve`, { method: 'POST', body: { version: 3 } }))
        .status,
    ).toBe(409);

    const res = await fetch(`${stack.http}/admin/tidal/chart.svg?date=${date}`, {
      headers: { authorization: `Bearer ${stack.router.config.adminToken}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    const svg = await res.text();
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    for (const label of [
      '潮汐排班',
      '80% 预测区间',
      '预测话务量',
      '实际话务量',
      '需要坐席',
      '计划坐席',
      '潮汐调度',
    ])
      expect(svg).toContain(label);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    expect((await fetch(`${stack.http}/admin/tidal/chart.svg?date=${date}`)).status).toBe(401);
  });

  it('hotline plan --date D --json shows the same plan; plan simulate runs the day with it', async () => {
    const shown = await cli(['plan', '--date', date, '--json']);
    expect(shown.code).toBe(0);
    const j = JSON.parse(shown.out);
    expect(j).toMatchObject({ date, status: 'approved', version: 3 });
    expect(j.moves[0].state).toBe('planned');
    const text = await cli(['plan', '--date', date]);
    expect(text.out).toMatch(/已批准 approved/);

    const sim = await cli(['plan', 'simulate', '--date', date, '--json']);
    expect(sim.code).toBe(0);
    const c = JSON.parse(sim.out);
    expect(c.seatHours.tidal).toBe(c.seatHours.flat);
    expect(c.variants.tidal.overall.answerRate).toBeGreaterThan(0);

    const missing = await cli(['plan', '--date', '2001-01-01', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.out)).toMatchObject({ ok: false });
  });

  it('an emergency moves a seat at once through the router’s scheduler; cancelling returns it', async () => {
    await stack.addAgent('b6', '2006', { workorder: 3 }, false);
    await stack.admin('/admin/agents/b6/state', {
      method: 'POST',
      body: { state: 'not_ready', reason: 'back-office' },
    });
    const desk = await stack.connectDesktop('b6');

    const em = await stack.admin('/admin/tidal/emergency', {
      method: 'POST',
      body: { agentIds: ['b6'], durationMin: 60, note: '停水突发话务', by: '值班长' },
    });
    expect(em.status).toBe(200);
    expect(em.body.moves).toHaveLength(1);
    const today = em.body.date;
    // A move is several writes (pool, then skills, then state): wait for all of them.
    await waitFor(
      async () => {
        const a = await stack.router.parts.acd.getAgent('b6');
        return a?.pool === 'front' && 'general' in a.skills && a.state === 'ready';
      },
      5000,
      'the move',
    );
    const agent = (await stack.router.parts.acd.getAgent('b6'))!;
    expect(agent.skills).toEqual({ general: 3, '12333': 4 });
    expect(agent.state).toBe('ready');
    const notice = await desk.next('tidal');
    expect(notice).toMatchObject({ type: 'tidal', toPool: 'front' });
    expect((notice as { text: string }).text).toMatch(/紧急潮汐调度/);

    const status = await stack.admin('/admin/tidal/status');
    expect(status.body.leader.instance).toBe(stack.router.config.instanceId);
    expect(status.body.onFront).toEqual(['b6']);

    const cli1 = await cli(['plan', 'status', '--json']);
    expect(JSON.parse(cli1.out).onFront).toEqual(['b6']);

    const plan = await stack.admin(`/admin/tidal/plan?date=${today}`);
    const cancelled = await stack.admin(`/admin/tidal/plan/${today}/cancel`, {
      method: 'POST',
      body: { version: plan.body.version, by: '值班长' },
    });
    expect(cancelled.status).toBe(200);
    // A return is several writes (pool, then skills, then state): wait for all of them.
    await waitFor(
      async () => {
        const a = await stack.router.parts.acd.getAgent('b6');
        return a?.pool === 'back' && 'workorder' in a.skills && a.state === 'not_ready';
      },
      5000,
      'the return',
    );
    const back = (await stack.router.parts.acd.getAgent('b6'))!;
    expect(back.skills).toEqual({ workorder: 3 });
    expect(back.state).toBe('not_ready');
    const returned = await desk.next('tidal');
    expect(returned).toMatchObject({ toPool: 'back' });

    const audit = await stack.admin(`/admin/tidal/audit?limit=500`);
    const actions = (audit.body as Array<{ action: string }>).map((e) => e.action);
    for (const a of [
      'plan-created',
      'move-changed',
      'plan-approved',
      'emergency',
      'move',
      'return',
      'plan-cancelled',
    ])
      expect(actions).toContain(a);
    const fromCli = await cli(['plan', 'audit', '--json', '--limit', '500']);
    expect(JSON.parse(fromCli.out)).toHaveLength(audit.body.length);
  });

  it('refuses a date the history cannot speak for and a cap that allows no seat, saying why', async () => {
    const far = localDate(parseDate(date)! + 30 * DAY_MS);
    const late = await stack.admin('/admin/tidal/plan', {
      method: 'POST',
      body: { date: far, by: '值班长' },
    });
    expect(late.status).toBe(400);
    expect(late.body.message).toMatch(/history ends .* needs history from the 14 days before it/);
    const zero = await stack.admin('/admin/tidal/plan', {
      method: 'POST',
      body: { date, options: { capShare: 0.01 }, by: '值班长' },
    });
    expect(zero.status).toBe(400);
    expect(zero.body.message).toMatch(/cap allows no seat: 1 % of 30 seats rounds down to 0.*at least 4 %/);
  });
});
