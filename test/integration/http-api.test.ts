// The HTTP API: authentication, validation with clear 4xx reasons, OpenAPI docs, agent tokens, and the addresses
// people type (/, /admin, /admin/) landing on the console.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.stop();
});

describe('HTTP API', () => {
  it('requires the admin bearer token', async () => {
    const res = await fetch(`${stack.http}/admin/agents`);
    expect(res.status).toBe(401);
    const bad = await fetch(`${stack.http}/admin/agents`, { headers: { authorization: 'Bearer nope' } });
    expect(bad.status).toBe(401);
  });

  it('sends /, /admin and /admin/ to the console, and serves /metrics', async () => {
    for (const path of ['/', '/admin', '/admin/']) {
      const res = await fetch(`${stack.http}${path}`, { redirect: 'manual' });
      expect(res.status, path).toBe(302);
      expect(res.headers.get('location'), path).toBe('/console/');
    }
    const page = await fetch(`${stack.http}/admin/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('12345 热线管理控制台');
    const metrics = await fetch(`${stack.http}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('hotline_calls_total');
  });

  it('lists lines and agents', async () => {
    await stack.addAgent('a1', '1001', { general: 1, hrss: 2 });
    const lines = await stack.admin('/admin/lines');
    expect(lines.body.find((l: { number: string }) => l.number === '12333')).toMatchObject({
      mergeMode: 'dual',
      skill: 'hrss',
    });
    const agents = await stack.admin('/admin/agents');
    expect(agents.body).toEqual([
      expect.objectContaining({
        id: 'a1',
        extension: '1001',
        state: 'ready',
        skills: { general: 1, hrss: 2 },
        desktopConnected: false,
      }),
    ]);
  });

  it('rejects bad input with a reason and changes nothing', async () => {
    const r1 = await stack.admin('/admin/agents/a2', {
      method: 'PUT',
      body: { name: 'x', extension: 'abc', skills: {} },
    });
    expect(r1.status).toBe(400);
    expect(r1.body.message).toMatch(/extension/);
    const r2 = await stack.admin('/admin/lines/12399', {
      method: 'PUT',
      body: { number: '12399', name: '测试', nameEn: 't', mergeMode: 'subcenter', skill: 'test' },
    });
    expect(r2.status).toBe(400);
    expect(r2.body.message).toMatch(/subcenterUri/);
    const r3 = await stack.admin('/admin/agents/nobody/state', { method: 'POST', body: { state: 'ready' } });
    expect(r3.status).toBe(404);
    const agents = await stack.admin('/admin/agents');
    expect(agents.body.map((a: { id: string }) => a.id)).toEqual(['a1']);
  });

  it("a new line's skill gets a queue, and an operator's queue settings are kept", async () => {
    const put = (skill: string) =>
      stack.admin('/admin/lines/12398', {
        method: 'PUT',
        body: { number: '12398', name: '测试热线', nameEn: 'test', mergeMode: 'merged', skill },
      });
    expect((await put('testline')).status).toBe(200);
    const queues = (await stack.admin('/admin/queues')).body as Array<{ skill: string; maxWaitS: number }>;
    const q = queues.find((x) => x.skill === 'testline');
    expect(q).toMatchObject({ skill: 'testline', name: '测试热线' });
    const tuned = { ...q!, maxWaitS: q!.maxWaitS + 7 };
    expect((await stack.admin('/admin/queues/testline', { method: 'PUT', body: tuned })).status).toBe(200);
    expect((await put('testline')).status).toBe(200);
    const again = (await stack.admin('/admin/queues')).body as Array<{ skill: string; maxWaitS: number }>;
    expect(again.find((x) => x.skill === 'testline')!.maxWaitS).toBe(tuned.maxWaitS);
  });

  it('serves OpenAPI documentation generated from the route schemas', async () => {
    const spec = await fetch(`${stack.http}/docs/json`).then((r) => r.json());
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/health', '/admin/lines', '/admin/agents']),
    );
    expect((await fetch(`${stack.http}/docs`)).status).toBeLessThan(400);
  });

  it('refuses a desktop WebSocket with a bad token and rejects malformed messages without dropping it', async () => {
    const bad = new WebSocket(`ws://127.0.0.1:${stack.router.httpPort}/agent/ws?token=v1.x.y.z.w`);
    const code = await new Promise<number>((resolve) =>
      bad.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(code).toBe(401);
    const desk = await stack.connectDesktop('a1');
    await desk.next('hello');
    desk.send('this is not json');
    expect(await desk.next('error')).toMatchObject({ error: 'message is not JSON' });
    desk.send(JSON.stringify({ type: 'dance' }));
    expect(await desk.next('error')).toMatchObject({ error: 'unknown message type "dance"' });
    desk.send(JSON.stringify({ type: 'not_ready', reason: 'meal' }));
    expect(await desk.next('state')).toMatchObject({ state: 'not_ready', reason: 'meal' });
    const agents = await stack.admin('/admin/agents');
    expect(agents.body[0]).toMatchObject({ state: 'not_ready', reason: 'meal', desktopConnected: true });
  });
});
