// IVR menus end to end: the switch emulator's caller presses keys on real ESL, the router runs the
// published menu from real Redis.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MenuDocument } from '../../src/ivr/types.ts';
import type { CallRecord } from '../../src/records/call-records.ts';
import type { CallerScript } from '../../src/switch-emulator/index.ts';
import { type Stack, startStack, waitFor } from '../helpers/stack.ts';
import { recentDays, recentRecords } from '../helpers/recent-records.ts';

// Who stack.admin() authenticates as: the shared admin token, recorded as token:<its name>.
const ACTOR = 'token:shared-admin-token';

let stack: Stack;
beforeEach(async () => {
  // Prompts play for 600 ms here, so that type-ahead and in-prompt key presses are visible.
  stack = await startStack({}, { fileDurationMs: () => 600 });
  await stack.addAgent('h1', '1001', { hrss: 1, general: 1, urban: 1, market: 1 });
  stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50 });
});
afterEach(async () => {
  await stack.stop();
});

let promptNo = 0;
const pr = (t: string) => ({ file: `ivr/test/prompt-${++promptNo}.wav`, text: t });
const deepMenu = (label: string): MenuDocument => ({
  line: '12333',
  mode: 'menu',
  human: { skill: 'hrss', label: '人工' },
  root: 'l1',
  nodes: {
    l1: { type: 'menu', label: `${label}一级`, prompt: pr('一级'), options: [{ digit: '1', next: 'l2' }] },
    l2: { type: 'menu', label: '二级', prompt: pr('二级'), options: [{ digit: '1', next: 'l3' }] },
    l3: { type: 'menu', label: '三级', prompt: pr('三级'), options: [{ digit: '1', next: 'q' }] },
    q: { type: 'queue', label: '人社专席', skill: 'hrss' },
  },
});

async function publish(doc: MenuDocument): Promise<number> {
  const r = await stack.admin(`/admin/ivr/${doc.line}/publish`, {
    method: 'POST',
    body: { doc },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.version;
}

async function callAndRecord(script: CallerScript): Promise<CallRecord> {
  const call = stack.emulator.placeCall({ hangupAfterBridgeMs: 100, ...script });
  await call.ended;
  return waitFor(
    async () => (await recentRecords(stack.admin)).find((r) => r.uuid === call.uuid),
    8000,
    'record',
  );
}

const keys = (...ds: Array<[number, string]>) =>
  ds.map(([afterAnswerMs, digits]) => ({ afterAnswerMs, digits }));

describe('0 reaches a human from every level with one key', () => {
  it.each([
    ['the root', keys([900, '0']), ['测试一级(按0)', '人工']],
    ['level 2', keys([900, '1'], [1800, '0']), ['测试一级(按1)', '二级(按0)', '人工']],
    [
      'level 3',
      keys([900, '1'], [1800, '1'], [2700, '0']),
      ['测试一级(按1)', '二级(按1)', '三级(按0)', '人工'],
    ],
  ])('at %s', async (_where, dtmf, path) => {
    await publish(deepMenu('测试'));
    const rec = await callAndRecord({ destination: '12333', callerIdNumber: '13800001111', dtmf });
    expect(rec.ivrPath).toEqual(path);
    expect(rec).toMatchObject({ outcome: 'answered', priorityReason: 'zero', skill: 'hrss' });
  });
});

describe('care fast path', () => {
  it('a care-list caller hears no menu and is queued with care priority', async () => {
    const put = await stack.admin('/admin/care-list/13800002222', {
      method: 'PUT',
      body: { kind: 'elderly' },
    });
    expect(put.status).toBe(200);
    const listed = await stack.admin('/admin/care-list');
    expect(JSON.stringify(listed.body)).not.toContain('13800002222');
    const rec = await callAndRecord({ destination: '12333', callerIdNumber: '+8613800002222' });
    expect(rec).toMatchObject({
      priority: 'care',
      priorityReason: 'care-list',
      ivrPath: ['关爱名单', '转人工服务'],
    });
    expect(rec.ivrSteps?.some((s) => s.node === 'main')).toBe(false);
  });

  it('two no-inputs in a row lead to a human with care priority', async () => {
    const rec = await callAndRecord({ destination: '12315', callerIdNumber: '13800003333' });
    expect(rec).toMatchObject({ priority: 'care', priorityReason: 'no-input', outcome: 'answered' });
    expect(rec.ivrSteps?.filter((s) => s.node === 'main').map((s) => s.exit)).toEqual([
      'no-input',
      'no-input',
    ]);
  });
});

describe('the audit names the authenticated actor, not a name in the body', () => {
  it('publish and care-list add record the actor even when the body names someone else', async () => {
    const pub = await stack.admin('/admin/ivr/12333/publish', {
      method: 'POST',
      body: { operator: '值班长王', doc: deepMenu('冒名') },
    });
    expect(pub.status, JSON.stringify(pub.body)).toBe(200);
    const audit = (await stack.admin('/admin/ivr/audit')).body;
    expect(audit[0]).toMatchObject({ action: 'publish', version: pub.body.version, operator: ACTOR });
    expect(JSON.stringify(audit)).not.toContain('值班长王');

    const put = await stack.admin('/admin/care-list/13800009999', {
      method: 'PUT',
      body: { kind: 'disabled', operator: '值班长王', note: '听障' },
    });
    expect(put.status).toBe(200);
    const listed = (await stack.admin('/admin/care-list')).body;
    expect(listed).toContainEqual(
      expect.objectContaining({ number: '138****9999', kind: 'disabled', addedBy: ACTOR, note: '听障' }),
    );
    expect(JSON.stringify(listed)).not.toContain('值班长王');
  });
});

describe('menus at work', () => {
  it('type-ahead: a key pressed during a prompt stops it and counts', async () => {
    const rec = await callAndRecord({
      destination: '12315',
      callerIdNumber: '13800004444',
      dtmf: keys([150, '1']),
    });
    const main = rec.ivrSteps!.find((s) => s.node === 'main')!;
    expect(main.exit).toBe('digit:1');
    expect(main.leftAt! - main.enteredAt).toBeLessThan(500); // the prompt lasts 600 ms
    expect(rec.ivrPath[0]).toBe('12315主菜单(按1)');
  });

  it('a publish during a call does not change that call’s menu', async () => {
    const v1 = await publish(deepMenu('旧版'));
    const call = stack.emulator.placeCall({
      destination: '12333',
      callerIdNumber: '13800005555',
      hangupAfterBridgeMs: 100,
      dtmf: keys([1500, '0']),
    });
    await new Promise((r) => setTimeout(r, 400));
    const v2 = await publish(deepMenu('新版'));
    expect(v2).toBe(v1 + 1);
    await call.ended;
    const rec = await waitFor(
      async () => (await recentRecords(stack.admin)).find((r) => r.uuid === call.uuid),
      8000,
    );
    expect(rec.menuVersion).toBe(v1);
    expect(rec.ivrPath[0]).toBe('旧版一级(按0)');
    // The next call gets the new version; a rollback brings the old one back, and both are audited.
    expect(
      (await callAndRecord({ destination: '12333', callerIdNumber: '13800005556', dtmf: keys([900, '0']) }))
        .menuVersion,
    ).toBe(v2);
    expect(
      (
        await stack.admin('/admin/ivr/12333/rollback', {
          method: 'POST',
          body: { version: v1 },
        })
      ).status,
    ).toBe(200);
    expect((await stack.admin('/admin/ivr/12333')).body.version).toBe(v1);
    // Audited under the authenticated actor: the helper signs in with the shared admin token.
    const audit = (await stack.admin('/admin/ivr/audit')).body;
    expect(audit.slice(0, 3)).toEqual([
      expect.objectContaining({ action: 'rollback', version: v1, operator: ACTOR }),
      expect.objectContaining({ action: 'publish', version: v2, operator: ACTOR }),
      expect.objectContaining({ action: 'publish', version: v1, operator: ACTOR }),
    ]);
  });

  it('rejects an invalid menu at publish with the node named, and keeps the current one', async () => {
    const before = (await stack.admin('/admin/ivr/12333')).body.version;
    const bad = deepMenu('坏');
    bad.nodes!.l3 = {
      type: 'menu',
      label: '三级',
      prompt: pr('三级'),
      options: [{ digit: '1', next: 'gone' }],
    };
    const r = await stack.admin('/admin/ivr/12333/publish', {
      method: 'POST',
      body: { doc: bad },
    });
    expect(r.status).toBe(400);
    expect(r.body.problems).toContainEqual({
      node: 'l3',
      message: expect.stringMatching(/"gone", which does not exist/),
    });
    expect((await stack.admin('/admin/ivr/12333')).body.version).toBe(before);
  });

  it('stores the survey ratings when the agent hangs up first', async () => {
    stack.emulator.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50, talkMs: 200 });
    const desk = await stack.connectDesktop('h1');
    const call = stack.emulator.placeCall({ destination: '12345', callerIdNumber: '13800006666' });
    await desk.next('answered');
    await new Promise((r) => setTimeout(r, 400)); // the agent hangs up after 200 ms; the survey starts
    for (const d of ['5', '4', '5']) {
      call.sendDtmf(d);
      await new Promise((r) => setTimeout(r, 800));
    }
    await call.ended;
    const rec = await waitFor(
      async () => (await recentRecords(stack.admin)).find((r) => r.uuid === call.uuid),
      8000,
    );
    expect(rec.survey).toEqual({ speed: 5, resolution: 4, attitude: 5 });
  });

  it('plays an incident announcement within its window only, and counts the key press', async () => {
    const now = Date.now();
    const inc = await stack.admin('/admin/incidents', {
      method: 'POST',
      body: {
        lines: ['12319'],
        prompt: {
          file: 'ivr/incidents/water-cut-jianghan.wav',
          text: '江汉区今日9时至17时计划停水，因此事来电请按1',
        },
        startsAt: new Date(now - 60_000).toISOString(),
        endsAt: new Date(now + 60_000).toISOString(),
      },
    });
    expect(inc.status).toBe(200);
    expect(inc.body.createdBy).toBe(ACTOR);
    await stack.admin('/admin/incidents', {
      method: 'POST',
      body: {
        lines: ['12319'],
        prompt: { file: 'ivr/incidents/old.wav', text: '已结束的公告' },
        startsAt: new Date(now - 7200_000).toISOString(),
        endsAt: new Date(now - 3600_000).toISOString(),
      },
    });
    const rec = await callAndRecord({
      destination: '12319',
      callerIdNumber: '13800007777',
      dtmf: keys([200, '1'], [1100, '1']),
    });
    expect(rec.ivrPath.slice(0, 2)).toEqual(['突发事件公告(按1)', '12319主菜单(按1)']);
    const list = (await stack.admin('/admin/incidents')).body as Array<{
      id: string;
      acks: number;
      active: boolean;
    }>;
    expect(list.find((i) => i.id === inc.body.id)).toMatchObject({ acks: 1, active: true });
    expect(list.filter((i) => !i.active)).toHaveLength(1);
    // Other lines do not hear it.
    const other = await callAndRecord({
      destination: '12315',
      callerIdNumber: '13800008888',
      dtmf: keys([200, '1']),
    });
    expect(other.ivrPath[0]).toBe('12315主菜单(按1)');
    // The funnel is counted per day (China Standard Time): read every day the calls can fall on.
    const nodes = [];
    for (const day of recentDays())
      nodes.push(...(await stack.admin(`/admin/ivr/12319/funnel?date=${day}`)).body.nodes);
    expect(nodes).toContainEqual({
      node: `incident:${inc.body.id}`,
      counts: expect.objectContaining({ enter: 1, 'digit:1': 1 }),
    });
  });
});
