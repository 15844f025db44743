// The admin API refuses bad input with a 4xx and a reason, and stores nothing it refused (issue 11,
// finding 4); the care list is shown masked (finding 5); a day's records can be paged through
// (finding 8).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CallRecord, dayOf } from '../../src/records/call-records.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.stop();
});

const queue = {
  skill: 'general',
  name: '综合',
  overflowAfterS: 0,
  overflowTo: 'general',
  maxWaitS: 600,
  fallback: { kind: 'message' },
  wrapupS: 5,
  serviceLevelS: 15,
};
const settings = {
  classWeights: { care: 100, enterprise: 10, normal: 1 },
  ageingRates: { care: 1, enterprise: 1, normal: 1 },
  strategy: 'longest-idle',
  maxNoAnswer: 3,
  callbackOfferAboveS: 120,
  announceEveryS: 60,
};

async function raw(method: string, path: string, body: string) {
  const res = await fetch(stack.http + path, {
    method,
    headers: {
      authorization: `Bearer ${stack.router.parts.config.adminToken}`,
      'content-type': 'application/json',
    },
    body,
  });
  return { status: res.status, body: (await res.json()) as { error: string; message: string } };
}

describe('bad admin input is refused with a reason and stored nowhere', () => {
  it('refuses "Infinity" and 1e400 for queue and ACD settings numbers, leaving Redis as it was', async () => {
    expect((await stack.admin('/admin/queues/general', { method: 'PUT', body: queue })).status).toBe(200);
    expect((await stack.admin('/admin/acd/settings', { method: 'PUT', body: settings })).status).toBe(200);
    const { redis } = stack.router.parts;
    const queueBefore = await redis.hget(`${stack.prefix}queues`, 'general');
    const settingsBefore = await redis.get(`${stack.prefix}acd-settings`);

    for (const field of ['maxWaitS', 'wrapupS', 'overflowAfterS', 'serviceLevelS']) {
      for (const value of ['Infinity', '1e400', '-Infinity']) {
        const r = await stack.admin('/admin/queues/general', {
          method: 'PUT',
          body: { ...queue, [field]: value },
        });
        expect(r.status, `${field}=${value}`).toBe(400);
        expect(r.body.message).toMatch(new RegExp(field));
      }
    }
    for (const field of ['maxNoAnswer', 'callbackOfferAboveS', 'announceEveryS']) {
      const r = await stack.admin('/admin/acd/settings', {
        method: 'PUT',
        body: { ...settings, [field]: 'Infinity' },
      });
      expect(r.status, field).toBe(400);
      expect(r.body.message).toMatch(new RegExp(field));
    }
    // A JSON number beyond double range parses as Infinity.
    const big = await raw(
      'PUT',
      '/admin/acd/settings',
      JSON.stringify(settings).replace('"maxNoAnswer":3', '"maxNoAnswer":1e400'),
    );
    expect(big.status).toBe(400);
    expect(big.body.message).toMatch(/maxNoAnswer/);

    expect(await redis.hget(`${stack.prefix}queues`, 'general')).toBe(queueBefore);
    expect(await redis.get(`${stack.prefix}acd-settings`)).toBe(settingsBefore);
  });

  it('answers 400 with a reason, not 500, to a malformed menu publish', async () => {
    for (const body of [{}, { operator: '' }, { doc: {} }]) {
      const r = await stack.admin('/admin/ivr/12345/publish', { method: 'POST', body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.message).toEqual(expect.any(String));
    }
    const noBody = await fetch(`${stack.http}/admin/ivr/12345/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.router.parts.config.adminToken}` },
    });
    expect(noBody.status).toBe(400);
    // A menu with problems still lists them.
    const bad = await stack.admin('/admin/ivr/12345/publish', {
      method: 'POST',
      body: { operator: 'tester', doc: { line: '12345' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ valid: false, problems: expect.any(Array) });
  });

  it('refuses an infinite limit and impossible dates', async () => {
    const audit = await stack.admin('/admin/tidal/audit?limit=Infinity');
    expect(audit.status).toBe(400);
    expect(audit.body.message).toMatch(/limit/);
    expect((await stack.admin('/admin/tidal/audit?limit=5')).status).toBe(200);
    for (const path of [
      '/admin/records?date=2026-02-30',
      '/admin/stats?date=2026-02-30',
      '/admin/ivr/12345/funnel?date=2026-13-01',
      '/admin/tidal/plan?date=2026-04-31',
      '/admin/tidal/audit?date=2025-02-29',
    ]) {
      const r = await stack.admin(path);
      expect(r.status, path).toBe(400);
      expect(r.body.message, path).toMatch(/date/);
    }
    expect((await stack.admin('/admin/records?date=2024-02-29')).status).toBe(200);
  });

  it('refuses agents with unknown skills, and two agents on duty on one extension', async () => {
    const unknown = await stack.admin('/admin/agents/x1', {
      method: 'PUT',
      body: { name: '甲', extension: '2001', skills: { general: 1, genral: 2 } },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/genral/);
    expect((await stack.admin('/admin/agents')).body.map((a: { id: string }) => a.id)).not.toContain('x1');

    await stack.addAgent('x1', '2001', { general: 1 });
    const dup = await stack.admin('/admin/agents/x2', {
      method: 'PUT',
      body: { name: '乙', extension: '2001', skills: { general: 1 } },
    });
    expect(dup.status).toBe(409);
    expect(dup.body.message).toMatch(/2001.*x1/);
    expect((await stack.admin('/admin/agents')).body.map((a: { id: string }) => a.id)).not.toContain('x2');

    // Seats are shared across shifts: with x1 logged out, x2 may take 2001, and then x1 cannot log in.
    await stack.admin('/admin/agents/x1/state', { method: 'POST', body: { state: 'logged_out' } });
    await stack.addAgent('x2', '2001', { general: 1 });
    const login = await stack.admin('/admin/agents/x1/state', { method: 'POST', body: { state: 'ready' } });
    expect(login.status).toBe(409);
    expect(login.body.message).toMatch(/x2/);
    const x1 = (await stack.admin('/admin/agents')).body.find((a: { id: string }) => a.id === 'x1');
    expect(x1.state).toBe('logged_out');
    // A back-office skill of the tidal roster is a known skill.
    await stack.admin('/admin/tidal/roster/x3', {
      method: 'PUT',
      body: { homePool: 'back', frontSkills: { general: 1 }, backSkills: { workorder: 3 } },
    });
    const back = await stack.admin('/admin/agents/x3', {
      method: 'PUT',
      body: { name: '丙', extension: '2003', skills: { workorder: 3 } },
    });
    expect(back.status).toBe(200);
  });
});

describe('the care list', () => {
  it('is shown with numbers masked in the note, and names the actor, not the body’s operator', async () => {
    const put = await stack.admin('/admin/care-list/13900001111', {
      method: 'PUT',
      body: {
        kind: 'elderly',
        operator: '王13722223333',
        note: '女儿电话13811112222 身份证110101194001011234',
      },
    });
    expect(put.status).toBe(200);
    const list = await stack.admin('/admin/care-list');
    const text = JSON.stringify(list.body);
    for (const secret of ['13900001111', '13722223333', '13811112222', '110101194001011234'])
      expect(text).not.toContain(secret);
    // stack.admin() signs in with the shared admin token: the entry names it, and the body's name is not kept.
    expect(list.body).toEqual([
      expect.objectContaining({
        number: '139****1111',
        addedBy: 'token:shared-admin-token',
        note: '女儿电话138****2222 身份证110101********1234',
      }),
    ]);
  });
});

describe('call records', () => {
  it('pages through all of a day’s records, more than 1,000, without loss or repeats', async () => {
    const { records } = stack.router.parts;
    const day = dayOf(Date.now());
    const base = Date.parse(`${day}T01:00:00Z`);
    const n = 1005;
    const written: string[] = [];
    for (let i = 0; i < n; i++) {
      // Pairs share an arrival time: the cursor must still not skip or repeat one.
      const at = base + Math.floor(i / 2) * 1000;
      const rec: CallRecord = {
        id: `rec-${String(i).padStart(5, '0')}`,
        uuid: `u-${i}`,
        line: '12345',
        mergeMode: 'hub',
        skill: 'general',
        caller: '13800000000',
        dialled: '12345',
        priority: 'normal',
        ivrPath: [],
        arrivedAt: at,
        endedAt: at + 60_000,
        outcome: 'abandoned',
        hangupCause: 'NORMAL_CLEARING',
        noAnswerAgents: [],
        instance: 'test',
      };
      written.push(rec.id);
      await records.write(rec);
    }

    const first = await stack.admin(`/admin/records?date=${day}`);
    expect(first.status).toBe(200);
    expect(first.body.total).toBe(n);
    expect(first.body.records).toHaveLength(1000);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await stack.admin(
      `/admin/records?date=${day}&after=${encodeURIComponent(first.body.nextCursor)}`,
    );
    expect(second.body.records).toHaveLength(5);
    expect(second.body.nextCursor).toBeUndefined();

    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const r = await stack.admin(
        `/admin/records?date=${day}&limit=400${after ? `&after=${encodeURIComponent(after)}` : ''}`,
      );
      expect(r.status).toBe(200);
      seen.push(...r.body.records.map((x: { id: string }) => x.id));
      after = r.body.nextCursor;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(n);
    expect(new Set(seen)).toEqual(new Set(written));

    const unknown = await stack.admin(`/admin/records?date=${day}&after=no-such-record`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/after/);
    expect((await stack.admin(`/admin/records?date=${day}&limit=0`)).status).toBe(400);
    expect((await stack.admin(`/admin/records?date=${day}&limit=1001`)).status).toBe(400);
  });
});
