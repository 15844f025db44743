// The operators' and supervisors' console in Debian's Chromium (playwright-core, never a downloaded browser)
// against a real router, real Redis and the switch emulator: a supervisor signs in and watches the live
// wallboard (measures, a waiting caller, agents, alarms, incident announcements by title), forces an agent out
// with a reason and messages agents; an operator edits the number plan from its page and finds the change in the
// audit; the day's report prints and downloads as CSV; a day's tidal plan is made, shown and approved on its page. Screenshots go to the system temp directory, never into the repository; each is checked to
// show Chinese drawn with a CJK font. Without Chromium the tests skip, except in CI (CI=true), where they fail.
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserStore } from '../../src/accounts/users.ts';
import { type CallRecord, CallRecordStore } from '../../src/records/call-records.ts';
import { HistoryStore } from '../../src/history/history-store.ts';
import { parseDate } from '../../src/history/local-time.ts';
import { CST_OFFSET_MS, localDate } from '../../src/tidal/time.ts';
import { expectCjkText, launchChromium, skipWithoutChromium } from '../helpers/chromium.ts';
import { clearOfMidnight } from '../helpers/day-boundary.ts';
import { type Stack, startStack, waitFor } from '../helpers/stack.ts';

/** Longer than the suite takes from its set-up to its last read of today (its tests took 15.7 s in clean-clone CI). */
const SUITE_SPAN_MS = 120_000;

const SHOTS = process.env.SCREENPOP_SHOTS ?? join(tmpdir(), 'hotline-screenpop-shots');

let stack: Stack;
let browser: Browser;

async function signIn(username: string, password: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, locale: 'zh-CN' });
  page.on('pageerror', (err) => console.error('console page error:', err.message));
  await page.goto(`${stack.http}/console/`);
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  await page.keyboard.press('Enter');
  await page.locator('#nav').waitFor({ state: 'visible', timeout: 10_000 });
  return page;
}

function record(i: number, outcome: CallRecord['outcome'], waitS: number): CallRecord {
  // Today in China Standard Time, whatever the hour the test runs: an hour ago, or from midnight when that is sooner
  // (at 00:33 CST an hour ago is yesterday, and the daily report rightly left those calls out).
  const cstMidnight = Math.floor((Date.now() + CST_OFFSET_MS) / 86_400_000) * 86_400_000 - CST_OFFSET_MS;
  const t = Math.max(cstMidnight, Date.now() - 3600_000) + i * 1000;
  return {
    id: `rec-${i}`,
    uuid: `u-${i}`,
    line: '12345',
    mergeMode: 'hub',
    skill: 'general',
    caller: `1390000${String(i % 7).padStart(4, '0')}`,
    dialled: '12345',
    priority: 'normal',
    ivrPath: [],
    arrivedAt: t,
    queuedAt: t,
    ...(outcome === 'answered' ? { answeredAt: t + waitS * 1000, survey: { speed: 5, resolution: 4 } } : {}),
    endedAt: t + waitS * 1000 + 60_000,
    outcome,
    hangupCause: 'NORMAL_CLEARING',
    noAnswerAgents: [],
    instance: 'test',
  };
}

describe.skipIf(skipWithoutChromium())('the console in Chromium', () => {
  beforeAll(async () => {
    // Today's plan and records are made here and read as "today" until the last test.
    await clearOfMidnight(SUITE_SPAN_MS);
    browser = await launchChromium();
    stack = await startStack();
    const users = new UserStore(stack.router.parts.redis, stack.router.parts.acd.keys);
    await users.create({
      username: 'zhang',
      displayName: '张班长',
      roles: ['supervisor'],
      password: 'Qy6!floor-2026',
    });
    await users.create({
      username: 'li',
      displayName: '李运维',
      roles: ['operator'],
      password: 'Pn8!config-2026',
    });
    // Today so far: 20 calls, 18 answered (two waited 20 s), 2 abandoned after a minute.
    const records = new CallRecordStore(stack.router.parts.redis, stack.router.parts.acd.keys);
    for (let i = 0; i < 20; i++)
      await records.write(record(i, i < 18 ? 'answered' : 'abandoned', i < 2 ? 20 : 5));
    // Five weeks of history before today, with two daily peaks, a roster with backup seats, and today's plan.
    // The peaks are 9 and 14 hours from now (wrapping at midnight): today's planned moves (they begin some 5 hours
    // before a peak's centre) leave the next hour clear, so the emergency below has room under the cap whatever
    // the hour the test runs at (with peaks at fixed hours it failed in the mornings).
    const DAY = 86_400_000;
    const today = localDate(Date.now());
    const start = parseDate(today)! - 35 * DAY;
    // History times are wall-clock readings (local-time.ts): now, read the same way.
    const nowH = (Date.now() + CST_OFFSET_MS - parseDate(today)!) / 3_600_000;
    const near = (h: number, peak: number) => {
      const d = Math.abs(h - (peak % 24));
      return Math.min(d, 24 - d);
    };
    const values = new Float64Array(35 * 96);
    for (let i = 0; i < values.length; i++) {
      const h = (i % 96) / 4;
      values[i] = Math.round(
        2 +
          40 * Math.exp(-((near(h, nowH + 9) / 1.2) ** 2)) +
          35 * Math.exp(-((near(h, nowH + 14) / 1.2) ** 2)),
      );
    }
    await new HistoryStore(stack.router.parts.redis, stack.prefix, '12345').save({
      start,
      intervalMin: 15,
      values,
    });
    for (let i = 1; i <= 6; i++)
      await stack.admin(`/admin/tidal/roster/f${i}`, {
        method: 'PUT',
        body: { homePool: 'front', frontSkills: { general: 3 }, backSkills: {}, shift: '00:00-24:00' },
      });
    for (let i = 1; i <= 3; i++)
      await stack.admin(`/admin/tidal/roster/b${i}`, {
        method: 'PUT',
        body: {
          homePool: 'back',
          frontSkills: { general: 3 },
          backSkills: { workorder: 3 },
          shift: '00:00-24:00',
        },
      });
    const plan = await stack.admin('/admin/tidal/plan', {
      method: 'POST',
      body: { date: today, options: { capSeats: 3 }, by: '李运维' },
    });
    expect(plan.status, JSON.stringify(plan.body)).toBe(201);
    await stack.addAgent('a1', '1001', { general: 1 }, false);
    await stack.admin('/admin/agents/a1/state', {
      method: 'POST',
      body: { state: 'not_ready', reason: 'meeting' },
    });
  }, 60_000 + SUITE_SPAN_MS);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('a supervisor watches the live wallboard and acts from it', async () => {
    // An announcement callers of 12319 hear now (not 12345's, whose caller below goes straight to the queue).
    const incident = await stack.admin('/admin/incidents', {
      method: 'POST',
      body: {
        lines: ['12319'],
        prompt: { file: 'ivr/incidents/water-cut.wav', text: '江汉区今日9时至17时计划停水，因此事来电请按1' },
        startsAt: new Date(Date.now() - 60_000).toISOString(),
        endsAt: new Date(Date.now() + 3600_000).toISOString(),
        operator: '李运维',
      },
    });
    expect(incident.status).toBe(200);
    const call = stack.emulator.placeCall({
      destination: '12345',
      callerIdNumber: '13900008888',
      dtmf: [{ afterAnswerMs: 50, digits: '0' }],
      patienceMs: 60_000,
      hangupAfterBridgeMs: 500,
    });
    const page = await signIn('zhang', 'Qy6!floor-2026');
    expect(await page.locator('#who').innerText()).toContain('张班长');
    await page.locator('#live[data-live="on"]').waitFor({ timeout: 10_000 });
    // The caller waits in the general queue; nobody can take the call: the alarm says so.
    await page
      .locator('#queueRows tr[data-skill="general"] td:nth-child(6)', { hasText: /^1$/ })
      .waitFor({ timeout: 10_000 });
    await page.locator('#alarms li[data-code="no-one-answering"]').waitFor({ timeout: 10_000 });
    const kpis = await page.locator('#kpiRows').innerText();
    expect(kpis).toContain('接通率');
    expect(kpis).toContain('90.0%');
    expect(await page.locator('#agentRows tr[data-agent="a1"]').innerText()).toContain('示忙');
    // The announcement by what it says, with its line and end, not just a count.
    const announced = page.locator(`#incidentList li[data-incident="${incident.body.id}"]`);
    await announced.waitFor({ timeout: 5000 });
    expect(await announced.innerText()).toMatch(
      /^江汉区今日9时至17时计划停水，因此事来电请按1（12319，至 \d\d:\d\d）$/,
    );
    expect(await page.locator('#incidents').innerText()).toBe('生效中的突发事件公告 1 条');
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'console-01-wallboard.png'), fullPage: true });
    await expectCjkText(page, '#wallboardView');
    await expectCjkText(page, 'header');

    // Force the agent out, with a reason; the board then says nobody is on duty.
    page.once('dialog', (d) => void d.accept('交班'));
    await page.locator('#agentRows tr[data-agent="a1"] button[data-act="logged_out"]').click();
    await page.locator('#actionResult', { hasText: '已将' }).waitFor({ timeout: 5000 });
    expect((await stack.router.parts.acd.getAgent('a1'))?.state).toBe('logged_out');
    // Recorded under the supervisor who signed in.
    const audit = await stack.admin('/admin/agents/state-audit');
    expect(audit.body[0]).toMatchObject({ operator: 'zhang', agentId: 'a1', to: 'logged_out', note: '交班' });
    await page.locator('#alarms li[data-code="no-one-on-duty"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('#onDuty').innerText()).toBe('当前无人在岗');

    // A message to the picked agents.
    await page.locator('#agentRows tr[data-agent="a1"] input[type="checkbox"]').check();
    await page.locator('#msgText').fill('请尽快签入');
    await page.locator('#msgForm button[type="submit"]').click();
    await page.locator('#actionResult', { hasText: '消息已发送给 1 位坐席' }).waitFor({ timeout: 5000 });

    // Today's tidal plan: forecast against actual on the chart, approved from the board.
    await page.locator('#tidalStatus', { hasText: '待批准' }).waitFor({ timeout: 5000 });
    expect(await page.locator('#tidalChart svg').count()).toBe(1);
    await page.locator('#btnTidalApprove').click();
    await page.locator('#tidalStatus', { hasText: '已批准' }).waitFor({ timeout: 5000 });
    expect((await stack.admin(`/admin/tidal/plan?date=${localDate(Date.now())}`)).body.status).toBe(
      'approved',
    );

    // An emergency: a backup seat to the front line now, listed as a move, then ended from the board.
    await page.locator('#btnEmergency').click();
    await page.locator('#actionResult', { hasText: '已应急调入 1 席' }).waitFor({ timeout: 5000 });
    const moved = page.locator('#moveRows tr', { hasText: '（应急）' }).first();
    await moved.locator('button').waitFor({ timeout: 5000 });
    const moveId = await moved.getAttribute('data-move');
    await moved.locator('button').click();
    await page.locator('#actionResult', { hasText: `调岗 ${moveId}` }).waitFor({ timeout: 5000 });
    // Ended now (or cancelled, had it not begun): the plan says so; the scheduler brings the seat back.
    const after = (await stack.admin(`/admin/tidal/plan?date=${localDate(Date.now())}`)).body as {
      moves: Array<{ id: string; cancelled?: boolean; returnAt: number }>;
    };
    const m = after.moves.find((x) => x.id === moveId)!;
    expect(m.cancelled === true || m.returnAt <= Date.now()).toBe(true);

    // Someone signs in: the caller is served and the queue empties.
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 100 });
    await stack.admin('/admin/agents/a1/state', { method: 'POST', body: { state: 'ready' } });
    await page
      .locator('#queueRows tr[data-skill="general"] td:nth-child(6)', { hasText: /^0$/ })
      .waitFor({ timeout: 10_000 });
    await call.ended;
    await page.close();
  });

  it('an operator edits the number plan from its page and finds the change in the audit; reports print', async () => {
    const page = await signIn('li', 'Pn8!config-2026');
    await page.locator('#nav a[data-view="config"]').click();
    await page.locator('details[data-res="lines"] summary').click();
    const row = page.locator('details[data-res="lines"] tr[data-key="12315"]');
    await row.waitFor({ timeout: 5000 });
    await row.locator('button', { hasText: '编辑' }).click();
    // The form comes from the route's own schema: the key is read-only, the name a text field.
    const form = page.locator('details[data-res="lines"] .schema-form');
    await form.waitFor({ timeout: 5000 });
    expect(await form.locator('input[name="number"]').getAttribute('readonly')).not.toBeNull();
    expect(await form.locator('select[name="mergeMode"] option').count()).toBe(4);
    await form.locator('input[name="name"]').fill('市场监管投诉举报热线');
    await page.locator('details[data-res="lines"] button[data-save="lines"]').click();
    await page
      .locator('details[data-res="lines"] .status-line', { hasText: '已保存' })
      .waitFor({ timeout: 5000 });
    const lines = (await stack.admin('/admin/lines')).body as Array<{ number: string; name: string }>;
    expect(lines.find((l) => l.number === '12315')?.name).toBe('市场监管投诉举报热线');
    // A new agent through its form; a bad extension is refused with the reason, nothing is written.
    await page.locator('details[data-res="agents"] summary').click();
    await page.locator('details[data-res="agents"] button[data-new="agents"]').click();
    const agentForm = page.locator('details[data-res="agents"] .schema-form');
    await agentForm.locator('input[name="id"]').fill('a9');
    await agentForm.locator('input[name="name"]').fill('赵敏');
    await agentForm.locator('input[name="extension"]').fill('12a');
    await page.locator('details[data-res="agents"] button[data-save="agents"]').click();
    await page.locator('details[data-res="agents"] .status-line.err').waitFor({ timeout: 5000 });
    expect(await page.locator('details[data-res="agents"] .status-line').innerText()).toContain('分机');
    expect(await stack.router.parts.acd.getAgent('a9')).toBeNull();
    await agentForm.locator('input[name="extension"]').fill('1009');
    await page.locator('details[data-res="agents"] button[data-save="agents"]').click();
    await page.locator('details[data-res="agents"] tr[data-key="a9"]').waitFor({ timeout: 5000 });
    expect((await stack.router.parts.acd.getAgent('a9'))?.extension).toBe('1009');
    await page.screenshot({ path: join(SHOTS, 'console-02-config.png'), fullPage: true });
    await expectCjkText(page, '#configView');

    // A supervisor may not: the server's reason shows.
    await page.locator('#nav a[data-view="audit"]').click();
    await page
      .locator('#auditRows tr', { hasText: 'PUT /admin/lines/:number' })
      .first()
      .waitFor({ timeout: 5000 });
    const entry = await page
      .locator('#auditRows tr', { hasText: 'PUT /admin/lines/:number' })
      .first()
      .innerText();
    expect(entry).toContain('li');
    expect(entry).toContain('市场监管投诉举报热线');

    await page.locator('#nav a[data-view="reports"]').click();
    await page.locator('#report tr[data-line="合计"]').waitFor({ timeout: 10_000 });
    const total = await page.locator('#report tr[data-line="合计"]').innerText();
    // The 20 records written above and the call of the first test; the page shows what the API reports.
    const api = (await stack.admin('/admin/reports/daily')).body as {
      lines: Array<{ line: string; offered: number; answered: number; answerRate: number }>;
    };
    const all = api.lines.find((l) => l.line === '合计')!;
    expect(all.offered).toBeGreaterThanOrEqual(20);
    expect(total.split('\t').slice(1, 4)).toEqual([
      String(all.offered),
      String(all.answered),
      `${(all.answerRate * 100).toFixed(1)}%`,
    ]);
    await waitFor(
      async () =>
        (await page.locator('#reportCsv').getAttribute('href'))?.startsWith('data:text/csv') ?? false,
      5000,
      'csv link',
    );
    await page.screenshot({ path: join(SHOTS, 'console-03-report.png'), fullPage: true });
    await expectCjkText(page, '#reportsView');
    await page.close();
  });

  it("a day's tidal plan is made, shown with its moves and seats, and approved and cancelled on its page", async () => {
    const tomorrow = localDate(Date.now() + 86_400_000);
    const plan = (p: Page) => p.locator('details[data-res="plan"]');
    const openPlan = async (p: Page) => {
      await p.locator('#nav a[data-view="config"]').click();
      await plan(p).locator('summary').click();
      await plan(p).locator('[data-plan="status"]').waitFor({ timeout: 5000 });
    };
    // The operator makes tomorrow's plan (the date the page proposes) and sees it at once.
    const ops = await signIn('li', 'Pn8!config-2026');
    await openPlan(ops);
    expect(await plan(ops).locator('input[data-plan="date"]').inputValue()).toBe(tomorrow);
    expect(await plan(ops).locator('[data-plan="status"]').getAttribute('data-status')).toBe('none');
    await plan(ops).locator('button[data-plan-act="make"]').click();
    await plan(ops).locator('[data-plan="status"][data-status="draft"]').waitFor({ timeout: 10_000 });
    const made = (await stack.admin(`/admin/tidal/plan?date=${tomorrow}`)).body as {
      version: number;
      moves: Array<{ id: string; agentId: string }>;
      moved: number[];
    };
    expect(made.moves.length).toBeGreaterThan(0);
    // Every move with its times; the seats moved per window and at most at once.
    expect(await plan(ops).locator('[data-plan="moves"] tr').count()).toBe(made.moves.length);
    const first = await plan(ops)
      .locator(`[data-plan="moves"] tr[data-move="${made.moves[0]!.id}"]`)
      .innerText();
    expect(first).toContain(made.moves[0]!.agentId);
    expect(first.match(/\d\d:\d\d/g)).toHaveLength(3);
    expect(await plan(ops).locator('[data-plan="seats"]').innerText()).toContain(
      `最多同时调入 ${Math.max(...made.moved)} 席`,
    );
    expect(await plan(ops).locator('[data-plan="windows"] li').first().innerText()).toMatch(
      /^\d\d:\d\d–\d\d:\d\d 调入 \d+ 席$/,
    );
    // Approving is a supervisor's: the operator is told why not.
    await plan(ops).locator('button[data-plan-act="approve"]').click();
    await plan(ops).locator('.status-line.err', { hasText: '批准失败' }).waitFor({ timeout: 5000 });
    expect(await plan(ops).locator('.status-line').innerText()).toContain('supervisor');
    await ops.close();

    // The supervisor approves it on the same page, then cancels it.
    const sup = await signIn('zhang', 'Qy6!floor-2026');
    await openPlan(sup);
    await plan(sup).locator('[data-plan="status"][data-status="draft"]').waitFor({ timeout: 5000 });
    await plan(sup).locator('button[data-plan-act="approve"]').click();
    await plan(sup).locator('[data-plan="status"][data-status="approved"]').waitFor({ timeout: 5000 });
    expect(await plan(sup).locator('[data-plan="status"]').innerText()).toContain('批准：zhang');
    expect((await stack.admin(`/admin/tidal/plan?date=${tomorrow}`)).body).toMatchObject({
      status: 'approved',
      approvedBy: 'zhang',
      version: made.version + 1,
    });
    mkdirSync(SHOTS, { recursive: true });
    await sup.screenshot({ path: join(SHOTS, 'console-04-tidal-plan.png'), fullPage: true });
    await expectCjkText(sup, 'details[data-res="plan"]');
    sup.once('dialog', (d) => void d.accept());
    await plan(sup).locator('button[data-plan-act="cancel"]').click();
    await plan(sup).locator('[data-plan="status"][data-status="cancelled"]').waitFor({ timeout: 5000 });
    expect((await stack.admin(`/admin/tidal/plan?date=${tomorrow}`)).body).toMatchObject({
      status: 'cancelled',
      cancelledBy: 'zhang',
    });
    await sup.close();
  });
});
