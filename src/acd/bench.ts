// ACD benchmark: full routing decisions (read the waiting calls and ready agents, run the policy,
// reserve atomically) against the same Redis as a trivial EVAL baseline, with 2,000 agents and
// 10,000 waiting calls. Prints rows acd.decisions_per_s (with baseline and ratio),
// acd.decision_p50_ms and acd.decision_p99_ms.
import { Redis } from 'ioredis';
import { Keys } from '../redis/keys.ts';
import { assign } from './policy.ts';
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
  opts: { agents?: number; calls?: number; ready?: number; seconds?: number } = {},
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
    await redis.set(keys.instanceAlive('bench'), '1', 'EX', 600);
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
      if (ready) pipe.zadd(keys.ready(), i, id);
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
        owner: 'bench',
        tried: '[]',
        agent: '',
      });
      pipe.zadd(keys.queue(skill, cls), queuedAt, id);
    }
    await pipe.exec();

    // Baseline: the throughput of a trivial EVAL on this Redis, one at a time.
    let evals = 0;
    const bEnd = performance.now() + seconds * 500;
    const bStart = performance.now();
    while (performance.now() < bEnd) {
      await redis.eval('return 1', 0);
      evals++;
    }
    const evalPerS = evals / ((performance.now() - bStart) / 1000);

    // Decisions: read, decide, reserve; then (not timed) give the pair back to keep the load steady.
    const lat: number[] = [];
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      const s = performance.now();
      const { calls, agents } = await acd.snapshot(SKILLS);
      const pick = assign(calls, agents, Date.now(), queues, DEFAULT_SETTINGS)[0];
      if (!pick) throw new Error('bench: no assignment possible');
      const r = await acd.reserve(pick.callId, pick.agentId, pick.via, 30);
      lat.push(performance.now() - s);
      if (!r.ok) throw new Error(`bench: reservation refused: ${r.reason}`);
      await acd.release(pick.callId, pick.agentId);
    }
    lat.sort((a, b) => a - b);
    const perS = lat.length / (lat.reduce((a, b) => a + b, 0) / 1000);
    return [
      {
        name: 'acd.decisions_per_s',
        value: Math.round(perS),
        unit: 'decisions/s',
        baseline: Math.round(evalPerS),
        ratio: Math.round((perS / evalPerS) * 1000) / 1000,
      },
      { name: 'acd.decision_p50_ms', value: Math.round(quantile(lat, 0.5) * 100) / 100, unit: 'ms' },
      { name: 'acd.decision_p99_ms', value: Math.round(quantile(lat, 0.99) * 100) / 100, unit: 'ms' },
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
