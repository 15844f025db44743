// One chaos run: two router processes on one Redis (a redis-server of the run's own, append-only, so that it can be
// restarted) and the switch emulator, steady calls from the emulator's callers to scripted agents, and one fault
// injected in the middle. Afterwards every call is checked against its record and every agent against its state:
// the figures `npm run chaos` prints and test/chaos asserts.
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { CallRecord } from '../records/call-records.ts';
import {
  type CallSummary,
  type Dialplan,
  type EmulatedCall,
  hotlineCallDialplan,
  SwitchEmulator,
} from '../switch-emulator/index.ts';
import { DrachtioServerEmulator } from '../switch-emulator/drachtio/server.ts';
import { FreeSwitchSipEndpoint } from '../switch-emulator/drachtio/freeswitch-sip.ts';
import { type OwnRedis, startOwnRedis } from './redis-server.ts';
import { type RouterProcess, startRouterProcess } from './router-process.ts';

export type FaultName =
  'kill-router' | 'redis-restart' | 'esl-drop' | 'silent-peers' | 'drachtio-restart' | 'none';

export interface ChaosOptions {
  fault: FaultName;
  /** Calls placed per second while the run places calls. */
  rate: number;
  /** How long calls are placed, and when in it the fault strikes. */
  placeMs: number;
  faultAtMs: number;
  agents: number;
  /** Conversation length range (the caller hangs up after the bridge). */
  talkMs: [number, number];
  patienceMs: number;
}

export const DEFAULT_CHAOS: Omit<ChaosOptions, 'fault'> = {
  rate: 4,
  placeMs: 14_000,
  faultAtMs: 6000,
  agents: 8,
  talkMs: [1500, 2500],
  patienceMs: 30_000,
};

export interface ChaosFigures {
  fault: FaultName;
  placed: number;
  answered: number;
  abandoned: number;
  /** Neither answered nor recorded, or recorded with a different outcome than the switch saw. */
  lost: number;
  /** An agent's phone rang for a call while it already had one. */
  doubleOffers: number;
  /** Agents left reserved, ringing or talking once every call had ended. */
  agentsStuck: number;
  /**
   * Answered pairs of one skill and class where the later caller's first agent rang more than 1 s before the
   * earlier caller's (the agents' answer times are theirs, not the routers').
   */
  outOfOrder: number;
  /**
   * Kill: until every caller waiting on the dead router was held by the survivor; drachtio-restart: until both SIP
   * edges were connected again; otherwise until the next answer after the fault.
   */
  takeoverMs: number | null;
  /** What the fault met: calls queued and talking on the killed router, silent sockets closed, and so on. */
  detail: string;
  /** kill-router: the calls the killed router held, waiting and in conversation. */
  killedHeld?: { queued: number; talking: number };
  /** silent-peers: sockets the routers closed (of 20). */
  silentClosed?: number;
  /** drachtio-restart: until both routers' SIP edges were connected again. */
  edgeBackMs?: number;
  redisKeysBefore: number;
  redisKeysAfter: number;
  /** Waiting-queue entries and reservations left once every call had ended (should be 0). */
  leftovers: number;
}

const ADMIN = 'chaos-admin-token';

/**
 * The routers' log lines about the given calls, and their warnings between `from` and `to` (epoch ms), as
 * "instance +ms level message {fields}", oldest first, at most 60.
 */
export function routerTrail(
  routers: readonly Pick<RouterProcess, 'instanceId' | 'logs'>[],
  callIds: readonly string[],
  from: number,
  to: number,
  start: number,
): string[] {
  const out: Array<[number, string]> = [];
  for (const rt of routers)
    for (const line of rt.logs) {
      if (!line.startsWith('{')) continue;
      let j: Record<string, unknown>;
      try {
        j = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      // pino writes the time as an ISO string here (logging/logger.ts), as epoch ms by default.
      const t = typeof j.time === 'number' ? j.time : Date.parse(String(j.time));
      const mine = typeof j.callId === 'string' && callIds.includes(j.callId);
      const warning = Number(j.level) >= 40 && t >= from - 1000 && t <= to;
      if (!mine && !warning) continue;
      const { time: _t, level, msg, pid: _p, hostname: _h, name: _n, instance: _i, ...rest } = j;
      out.push([t, `${rt.instanceId} +${t - start} ${String(level)} ${String(msg)} ${JSON.stringify(rest)}`]);
    }
  return out
    .sort((a, b) => a[0] - b[0])
    .slice(0, 60)
    .map(([, l]) => l);
}

function rnd(lo: number, hi: number): number {
  return Math.round(lo + Math.random() * (hi - lo));
}

/**
 * Like a FreeSWITCH pool's dialplan with a primary and a backup router (dialplans/hotline_inbound.xml): calls
 * alternate between the two routers' sockets (`ports`, filled once they listen), and socket_resume hands a caller
 * to the other router if theirs dies.
 */
export function alternatingRouters(ports: readonly number[]): Dialplan {
  let order = 0;
  return (call) => {
    const [a, b] = order++ % 2 ? [ports[1]!, ports[0]!] : [ports[0]!, ports[1]!];
    const actions = hotlineCallDialplan(`127.0.0.1:${a}`, `127.0.0.1:${b}`)(call);
    return call.destination === 'hotline_router_gone'
      ? actions
      : [{ app: 'set', data: 'socket_resume=true' }, ...actions];
  };
}

export async function runChaos(
  fault: FaultName,
  o: Omit<ChaosOptions, 'fault'> = DEFAULT_CHAOS,
  log: (line: string) => void = () => undefined,
): Promise<ChaosFigures> {
  const prefix = `chaos-${Math.random().toString(16).slice(2, 8)}:`;
  const redis: OwnRedis = await startOwnRedis();
  const ports: number[] = [];
  const emu = new SwitchEmulator({
    dialplan: alternatingRouters(ports),
    fileDurationMs: () => 150,
  });
  await emu.start();
  // drachtio-restart: both routers run their SIP edge against a drachtio-server (the emulator) and one
  // FreeSWITCH SIP endpoint, which the fault restarts under them.
  let drachtio: DrachtioServerEmulator | null = null;
  let fsSip: FreeSwitchSipEndpoint | null = null;
  const edgeEnv: Record<string, string> = {};
  if (fault === 'drachtio-restart') {
    drachtio = new DrachtioServerEmulator({ secret: 'chaos-drachtio-secret' });
    await drachtio.start();
    fsSip = new FreeSwitchSipEndpoint(emu);
    await fsSip.start();
    Object.assign(edgeEnv, {
      HOTLINE_DRACHTIO_HOST: '127.0.0.1',
      HOTLINE_DRACHTIO_PORT: String(drachtio.controlPort),
      HOTLINE_DRACHTIO_SECRET: 'chaos-drachtio-secret',
      HOTLINE_SIP_FS_POOL: fsSip.address,
      HOTLINE_SIP_AGENT_REGISTRAR: 'freeswitch',
    });
  }
  const env = {
    ...edgeEnv,
    HOTLINE_FS_PORT: String(emu.eslPort),
    HOTLINE_REDIS_URL: redis.url,
    HOTLINE_REDIS_PREFIX: prefix,
    HOTLINE_ADMIN_TOKEN: ADMIN,
    HOTLINE_RING_TIMEOUT_S: '5',
    HOTLINE_RESERVATION_TTL_S: '5',
    HOTLINE_WRAPUP_S: '0',
    // A post-mortem may want the decisions too (HOTLINE_CHAOS_LOG_LEVEL=debug, with HOTLINE_CHAOS_DUMP).
    ...(process.env.HOTLINE_CHAOS_LOG_LEVEL
      ? { HOTLINE_LOG_LEVEL: process.env.HOTLINE_CHAOS_LOG_LEVEL }
      : {}),
  };
  const routers: RouterProcess[] = await Promise.all([
    startRouterProcess({ ...env, HOTLINE_INSTANCE_ID: 'chaos-a' }),
    startRouterProcess({ ...env, HOTLINE_INSTANCE_ID: 'chaos-b' }),
  ]);
  ports.push(routers[0]!.eslPort, routers[1]!.eslPort);
  const [a, b] = routers as [RouterProcess, RouterProcess];
  const r = new Redis(redis.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
  r.on('error', () => undefined);
  const admin = async (path: string, method = 'GET', body?: unknown) => {
    for (const rt of [b, a]) {
      try {
        const res = await fetch(`http://127.0.0.1:${rt.httpPort}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${ADMIN}`,
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          body: body ? JSON.stringify(body) : undefined,
        });
        return (await res.json()) as unknown;
      } catch {
        // That router is the one killed: ask the other.
      }
    }
    throw new Error('no router answers');
  };

  // Double offers: a phone rings while it holds another live leg.
  let doubleOffers = 0;
  const legs = new Map<string, string[]>();
  // When each call first rang an agent's phone: the order the routers served callers in, as the bench reads it
  // (the agent's INVITE), without the agents' own answer times.
  const firstRingAt = new Map<string, number>();
  emu.on('agent:ringing', (endpoint: string, uuid: string) => {
    const channels = emu.channels();
    const callId = channels.find((c) => c.uuid === uuid)?.variables.hotline_call_id;
    if (callId && !firstRingAt.has(callId)) firstRingAt.set(callId, Date.now());
    const live = new Set(channels.map((c) => c.uuid));
    const mine = (legs.get(endpoint) ?? []).filter((u) => live.has(u));
    if (mine.length) doubleOffers++;
    legs.set(endpoint, [...mine, uuid]);
  });

  try {
    for (let i = 0; i < o.agents; i++) {
      const id = `ag${i}`;
      const ext = String(2001 + i);
      await admin(`/admin/agents/${id}`, 'PUT', { name: `坐席${i}`, extension: ext, skills: { general: 1 } });
      emu.setAgent(ext, { behaviour: 'answer', answerAfterMs: rnd(200, 500) });
      await admin(`/admin/agents/${id}/state`, 'POST', { state: 'ready' });
    }
    const keysBefore = await r.dbsize();

    const calls: EmulatedCall[] = [];
    const summaries: Promise<CallSummary>[] = [];
    let faultAt = 0;
    let detail = '';
    let takeoverMs: number | null = null;
    let killedHeld: ChaosFigures['killedHeld'];
    let silentClosed: number | undefined;
    let edgeBackMs: number | undefined;
    let firstAnswerAfterFault = 0;
    emu.on('agent:answered', () => {
      if (faultAt && !firstAnswerAfterFault) firstAnswerAfterFault = Date.now();
    });
    const silent: net.Socket[] = [];
    let faultDone: Promise<void> = Promise.resolve();

    const start = Date.now();
    const gap = 1000 / o.rate;
    for (let i = 0; Date.now() - start < o.placeMs; i++) {
      if (!faultAt && Date.now() - start >= o.faultAtMs) {
        faultAt = Date.now();
        faultDone = inject();
      }
      const c = emu.placeCall({
        destination: '12345',
        callerIdNumber: `1390000${String(i).padStart(4, '0')}`,
        hangupAfterBridgeMs: rnd(o.talkMs[0], o.talkMs[1]),
        patienceMs: o.patienceMs,
      });
      calls.push(c);
      summaries.push(c.ended);
      await new Promise((res) => setTimeout(res, gap));
    }
    await faultDone;
    const ended = await Promise.all(summaries);
    log(`${fault}: ${ended.length} calls ended`);

    async function inject(): Promise<void> {
      log(`${fault}: injecting at ${Date.now() - start} ms`);
      if (fault === 'kill-router') {
        const owned = await callsOwnedBy('chaos-a');
        killedHeld = { queued: owned.queued, talking: owned.talking };
        detail = `killed router held ${owned.queued} queued, ${owned.talking} talking`;
        await a.kill('SIGKILL');
        const t0 = Date.now();
        for (;;) {
          const left = await callsOwnedBy('chaos-a');
          // A caller already ringing an agent stays in that bridge on the switch (it is served there): not waiting.
          if (takeoverMs === null && left.queued === 0) takeoverMs = Date.now() - t0;
          if (left.queued + left.talking + left.offering === 0) break;
          if (Date.now() - t0 > 60_000) break;
          await new Promise((res) => setTimeout(res, 50));
        }
        detail += `; the survivor held every waiting caller after ${takeoverMs} ms and had closed every call of the dead router (conversations ended, records written) after ${Date.now() - t0} ms`;
      } else if (fault === 'redis-restart') {
        await redis.restart(3000);
        detail = 'redis-server down 3 s (append-only file kept)';
      } else if (fault === 'esl-drop') {
        emu.dropInboundConnections();
        detail = "the switch dropped both routers' inbound event sockets";
      } else if (fault === 'drachtio-restart') {
        const t0 = Date.now();
        drachtio!.dropClients();
        // Both edges see the loss, drop what was up on them, and reconnect on their own.
        await new Promise((res) => setTimeout(res, 100));
        for (;;) {
          const states = await Promise.all(
            [a, b].map(async (rt) => {
              const h = (await (await fetch(`http://127.0.0.1:${rt.httpPort}/health`)).json()) as {
                sipEdge?: { state: string };
              };
              return h.sipEdge?.state;
            }),
          );
          if (states.every((x) => x === 'connected') && drachtio!.connectedClients === 2) break;
          if (Date.now() - t0 > 30_000) break;
          await new Promise((res) => setTimeout(res, 50));
        }
        edgeBackMs = Date.now() - t0;
        takeoverMs = edgeBackMs;
        detail = `drachtio-server dropped both routers' SIP edges; both were connected again after ${edgeBackMs} ms`;
      } else if (fault === 'silent-peers') {
        const t0 = Date.now();
        const closedAt: number[] = [];
        for (let k = 0; k < 20; k++) {
          const s = net.connect(k % 2 ? b.eslPort : a.eslPort, '127.0.0.1');
          s.on('error', () => undefined);
          s.on('close', () => closedAt.push(Date.now() - t0));
          s.resume();
          silent.push(s);
        }
        await new Promise((res) => setTimeout(res, 12_000));
        silentClosed = closedAt.length;
        detail = `20 sockets that never answer connect on the routers' ESL ports: ${closedAt.length} closed by the routers, the last after ${(Math.max(0, ...closedAt) / 1000).toFixed(1)} s`;
        for (const s of silent) s.destroy();
      }
    }

    async function callsOwnedBy(
      owner: string,
    ): Promise<{ queued: number; talking: number; offering: number }> {
      const out = { queued: 0, talking: 0, offering: 0 };
      for (const c of calls) {
        const id = await r.get(`${prefix}calluuid:${c.uuid}`);
        if (!id) continue;
        const [o2, st] = await r.hmget(`${prefix}call:${id}`, 'owner', 'state');
        if (o2 !== owner) continue;
        if (st === 'queued') out.queued++;
        else if (st === 'talking') out.talking++;
        else if (st === 'offering') out.offering++;
      }
      return out;
    }

    // Settle: records written, agents back, sweeps run.
    const byUuid = new Map<string, CallRecord>();
    const settleEnd = Date.now() + 20_000;
    while (Date.now() < settleEnd) {
      const ids = await r.keys(`${prefix}record:*`);
      const vals = ids.length ? await r.mget(ids) : [];
      for (const v of vals)
        if (v) byUuid.set((JSON.parse(v) as CallRecord).uuid, JSON.parse(v) as CallRecord);
      if (ended.every((s) => byUuid.has(s.uuid))) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    let lost = 0;
    for (const s of ended) {
      const rec = byUuid.get(s.uuid);
      if (!rec || !!s.bridgedTo !== (rec.outcome === 'answered')) {
        lost++;
        const id = await r.get(`${prefix}calluuid:${s.uuid}`);
        const h = id ? await r.hgetall(`${prefix}call:${id}`) : {};
        log(
          `lost: ${s.uuid} switch bridged=${!!s.bridgedTo} by=${s.hangupBy} after ${s.durationMs} ms; record ${rec ? `${rec.outcome} by ${rec.instance}` : 'none'}; call ${JSON.stringify({ state: h.state, owner: h.owner, agent: h.agent })}`,
        );
      }
    }
    // Agents: every one should be ready again once the calls are over (wrap-up 0, agents always answer).
    let agentsStuck = 0;
    const settleAgents = Date.now() + 10_000;
    for (;;) {
      const agents = (await admin('/admin/agents')) as Array<{ id: string; state: string }>;
      agentsStuck = agents.filter(
        (x) => x.state === 'reserved' || x.state === 'ringing' || x.state === 'talking',
      ).length;
      if (!agentsStuck || Date.now() > settleAgents) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    const recs = [...byUuid.values()].filter((x) => x.outcome === 'answered' && x.answeredAt);
    log(`${fault}: ${firstRingAt.size} of ${ended.length} calls rang an agent`);
    const rang = (r: CallRecord) => firstRingAt.get(r.id) ?? r.answeredAt!;
    let outOfOrder = 0;
    for (const x of recs)
      for (const y of recs)
        if (
          x.skill === y.skill &&
          x.priority === y.priority &&
          (x.queuedAt ?? 0) < (y.queuedAt ?? 0) &&
          rang(x) > rang(y) + 1000
        ) {
          outOfOrder++;
          const at = (r: CallRecord) =>
            `${r.uuid} arrived ${r.arrivedAt - start} queued ${r.queuedAt! - start} rang ${rang(r) - start} answered ${r.answeredAt! - start} by ${r.instance} agent ${r.agent} missed by [${r.noAnswerAgents.join(',')}]`;
          log(`out of order: ${at(x)}; ${at(y)} (ms from start; fault at ${faultAt - start})`);
          // Where the time went, for a run that cannot be repeated: what each router said about the two calls, and
          // every warning either router logged meanwhile. The first few pairs only: each reads both routers' logs.
          if (outOfOrder <= 3)
            for (const line of routerTrail(routers, [x.id, y.id], y.queuedAt!, x.answeredAt!, start))
              log(`  ${line}`);
        }
    // For a post-mortem: HOTLINE_CHAOS_DUMP=<dir> keeps both routers' logs of a run that went wrong
    // (HOTLINE_CHAOS_LOG_LEVEL=debug adds each refused reservation and its reason).
    const dump = process.env.HOTLINE_CHAOS_DUMP;
    if (dump && (outOfOrder || lost)) {
      mkdirSync(dump, { recursive: true });
      for (const rt of routers)
        writeFileSync(path.join(dump, `${fault}-${rt.instanceId}-${start}.log`), rt.logs.join('\n'));
    }
    let leftovers = 0;
    for (const k of await r.keys(`${prefix}queue:*`)) leftovers += await r.zcard(k);
    // Agents still held for a call (reserved or ringing) when every call has ended.
    for (const k of await r.keys(`${prefix}agent:*`)) {
      const st = await r.hget(k, 'state');
      if (st === 'reserved' || st === 'ringing') leftovers++;
    }
    if (fault !== 'kill-router' && fault !== 'drachtio-restart' && fault !== 'none' && firstAnswerAfterFault)
      takeoverMs = Math.max(0, firstAnswerAfterFault - faultAt);
    return {
      fault,
      placed: ended.length,
      answered: ended.filter((s) => s.bridgedTo).length,
      abandoned: ended.filter((s) => !s.bridgedTo).length,
      lost,
      doubleOffers,
      agentsStuck,
      outOfOrder,
      takeoverMs,
      detail,
      ...(killedHeld ? { killedHeld } : {}),
      ...(silentClosed !== undefined ? { silentClosed } : {}),
      ...(edgeBackMs !== undefined ? { edgeBackMs } : {}),
      redisKeysBefore: keysBefore,
      redisKeysAfter: await r.dbsize(),
      leftovers,
    };
  } finally {
    await Promise.all(routers.map((x) => x.kill('SIGKILL')));
    await emu.stop();
    await fsSip?.stop();
    await drachtio?.stop();
    r.disconnect();
    await redis.stop();
  }
}
