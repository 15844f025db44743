// ACD benchmark: full routing decisions (the policy over the router's replica of waiting calls and ready
// agents, then the atomic check-and-reserve in Redis, whose changes the replica applies) against the same
// Redis as a trivial EVAL baseline, measured in the same run. Sizes: 2,000 agents / 10,000 waiting calls and
// 20,000 / 100,000. Prints rows acd[.<size>].decisions_per_s (with baseline and ratio), decision_p50_ms and
// decision_p99_ms, and the replica's load time.
import { Redis } from 'ioredis';
import { Keys } from '../redis/keys.ts';
import { createLogger } from '../logging/logger.ts';
import { assignQueues } from './policy.ts';
import { AcdReplica } from './replica.ts';
import { AcdStore } from './store.ts';
import { DEFAULT_SETTINGS, defaultQueue, PRIORITY_CLASSES, type QueueConfig } from './types.ts';

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
}

const SKILLS = ['general', 'hrss', 'market', 'environment', 'urban', 'social', 'legal', 'medical', 'housing'];

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function benchAcd(
  opts: { agents?: number; calls?: number; ready?: number; seconds?: number; label?: string } = {},
): Promise<BenchRow[]> {
  const agentsN = opts.agents ?? 2000;
  const callsN = opts.calls ?? 10_000;
  const readyN = opts.ready ?? 100;
  const seconds = opts.seconds ?? 4;
  const redis = new Redis(process.env.HOTLINE_REDIS_URL ?? 'redis://127.0.0.1:6379/0');
  const keys = new Keys(`bench-acd-${process.pid}:`);
  const acd = new AcdStore(redis, keys);
  const queues = new Map<string, QueueConfig>(SKILLS.map((s) => [s, defaultQueue(s)]));
  try {
    // Two live routers own the calls: the deciding one ('bench') and a peer, whose calls need the liveness read.
    await redis.set(keys.instanceAlive('bench'), '1', 'EX', 600);
    await redis.set(keys.instanceAlive('peer'), '1', 'EX', 600);
    // 2,000 agents: each on the general pool and one specialist desk; most are busy.
    let pipe = redis.pipeline();
    for (let i = 0; i < agentsN; i++) {
      const id = `a${i}`;
      const ready = i < readyN;
      pipe.hset(keys.agent(id), {
        id,
        name: id,
        extension: String(10000 + i),
        skills: JSON.stringify({ general: 1, [SKILLS[1 + (i % (SKILLS.length - 1))]!]: 1 + (i % 5) }),
        state: ready ? 'ready' : 'talking',
        idleSince: i,
        callsToday: i % 40,
      });
      pipe.sadd(keys.agents(), id);
    }
    await pipe.exec();
    // 10,000 waiting calls over the skills and classes.
    pipe = redis.pipeline();
    const t0 = Date.now() - 60_000;
    for (let i = 0; i < callsN; i++) {
      const id = `c${i}`;
      const skill = SKILLS[i % SKILLS.length]!;
      const cls = PRIORITY_CLASSES[i % 13 === 0 ? 0 : i % 7 === 0 ? 1 : 2]!;
      const queuedAt = t0 + i;
      pipe.hset(keys.call(id), {
        id,
        skill,
        priority: cls,
        queuedAt,
        state: 'queued',
        owner: i % 2 ? 'peer' : 'bench',
        tried: '[]',
        agent: '',
      });
      pipe.zadd(keys.queue(skill, cls), queuedAt, id);
    }
    await pipe.exec();

    // The router's replica: one atomic load, then every script's changes.
    const replica = new AcdReplica(acd, keys, async () => SKILLS, createLogger({ level: 'silent' }));
    const l0 = performance.now();
    await replica.start();
    const loadMs = performance.now() - l0;
    if (replica.state.waitingCount !== callsN)
      throw new Error(`bench: replica holds ${replica.state.waitingCount} calls`);

    // Decisions (decide over the replica, reserve in Redis; then, not timed, give the pair back to keep the load
    // steady) and the baseline (a trivial EVAL, one at a time) in alternating slices of 50, so that both see the
    // same machine: on a shared VM, a baseline measured a few seconds apart differed by 3x.
    const lat: number[] = [];
    const evalLat: number[] = [];
    let evals = 0;
    let evalMs = 0;
    const end = performance.now() + seconds * 1000;
    try {
      while (performance.now() < end) {
        const e0 = performance.now();
        for (let i = 0; i < 50; i++) {
          const t = performance.now();
          await redis.eval('return 1', 0);
          evalLat.push(performance.now() - t);
        }
        evalMs += performance.now() - e0;
        evals += 50;
        for (let i = 0; i < 50; i++) {
          const s = performance.now();
          const pick = assignQueues(
            replica.state.queueLists(),
            [], // the index gives the policy its agents, as in Dispatcher.round
            Date.now(),
            queues,
            DEFAULT_SETTINGS,
            { skip: (c) => replica.ownerGone(c), limit: 1, index: replica.index(DEFAULT_SETTINGS.strategy) },
          )[0];
          if (!pick) throw new Error('bench: no assignment possible');
          const r = await acd.reserve(pick.callId, pick.agentId, pick.via, 30, 'bench');
          lat.push(performance.now() - s);
          if (!r.ok) throw new Error(`bench: reservation refused: ${r.reason}`);
          await acd.release(pick.callId, pick.agentId);
        }
      }
    } finally {
      replica.stop();
    }
    const evalPerS = evals / (evalMs / 1000);
    lat.sort((a, b) => a - b);
    const perS = lat.length / (lat.reduce((a, b) => a + b, 0) / 1000);
    const n = opts.label ? `acd.${opts.label}` : 'acd';
    return [
      {
        name: `${n}.decisions_per_s`,
        value: Math.round(perS),
        unit: 'decisions/s',
        baseline: Math.round(evalPerS),
        ratio: Math.round((perS / evalPerS) * 1000) / 1000,
      },
      { name: `${n}.decision_p50_ms`, value: Math.round(quantile(lat, 0.5) * 1000) / 1000, unit: 'ms' },
      { name: `${n}.decision_p99_ms`, value: Math.round(quantile(lat, 0.99) * 1000) / 1000, unit: 'ms' },
      {
        name: `${n}.eval_p99_ms`,
        value:
          Math.round(
            quantile(
              evalLat.sort((a, b) => a - b),
              0.99,
            ) * 1000,
          ) / 1000,
        unit: 'ms',
      },
      { name: `${n}.replica_load_ms`, value: Math.round(loadMs), unit: 'ms' },
    ];
  } finally {
    let cursor = '0';
    do {
      const [next, ks] = await redis.scan(cursor, 'MATCH', `${keys.prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (ks.length) await redis.del(...ks);
    } while (cursor !== '0');
    redis.disconnect();
  }
}
