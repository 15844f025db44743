// Prometheus metrics of one router instance (prom-client): what the records say as they are written (calls by
// line, outcome and class; waits and handle times), decision-round time, and, read at each scrape, agents by
// state, queue depth, connection states, protocol errors and the SIP edge's rejected INVITEs. Labels carry lines,
// skills, classes, states and error sources only: never a number, a name or an id.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CallRecord } from '../records/call-records.ts';

export interface ScrapeSources {
  agentsByState: () => Promise<Record<string, number>>;
  /** Waiting calls per skill and class (the replica). */
  queueDepth: () => Array<{ skill: string; priority: string; waiting: number }>;
  connections: () => Array<{ peer: 'redis' | 'esl' | 'drachtio'; up: boolean }>;
  /** Round trips of the connections that are up, s (a peer that does not answer within a second is left out). */
  latencies: () => Promise<Array<{ peer: 'redis' | 'esl' | 'drachtio'; seconds: number }>>;
  /** Protocol errors per source since start (each count only grows). */
  protocolErrors: () => Array<{ source: string; count: number }>;
  /** INVITEs the SIP edge refused since start; null without an edge. */
  sipInvitesRejected?: () => number | null;
}

/**
 * A counter fed, at scrape time, from a count the source keeps itself: it adds what the count grew by since the
 * last scrape (a count seen lower, a source made anew, restarts from there).
 */
function followCount(): (key: string, count: number) => number {
  const seen = new Map<string, number>();
  return (key, count) => {
    const last = seen.get(key) ?? 0;
    seen.set(key, count);
    return count >= last ? count - last : count;
  };
}

const REFUSAL_REASONS = new Set([
  'call-not-waiting',
  'agent-not-ready',
  'agent-lacks-skill',
  'owner-gone',
  'not-first',
]);

export class RouterMetrics {
  readonly registry = new Registry();
  private readonly calls = new Counter({
    name: 'hotline_calls_total',
    help: 'Calls recorded by this instance, by line, outcome and priority class',
    labelNames: ['line', 'outcome', 'priority'] as const,
    registers: [this.registry],
  });
  private readonly wait = new Histogram({
    name: 'hotline_wait_seconds',
    help: 'Time from joining the queue to an answer (answered calls) or to hanging up (abandoned)',
    labelNames: ['line', 'priority', 'outcome'] as const,
    buckets: [1, 3, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600],
    registers: [this.registry],
  });
  private readonly handle = new Histogram({
    name: 'hotline_handle_seconds',
    help: 'Conversation time of answered calls',
    labelNames: ['line'] as const,
    buckets: [30, 60, 120, 180, 240, 300, 450, 600, 900, 1200, 1800],
    registers: [this.registry],
  });
  private readonly round = new Histogram({
    name: 'hotline_acd_round_seconds',
    help: 'ACD decision rounds, from start to offers made',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  /**
   * Reservations Redis refused, by what had changed since the decision: a few are the cost of deciding over a
   * replica; a steady stream of `not-first` means a router's replica lags behind the others'.
   */
  private readonly refused = new Counter({
    name: 'hotline_acd_reservations_refused_total',
    help: 'ACD reservations refused by Redis at apply time, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor(sources: ScrapeSources) {
    const r = this.registry;
    new Gauge({
      name: 'hotline_agents',
      help: 'Agents by state',
      labelNames: ['state'] as const,
      registers: [r],
      async collect() {
        this.reset();
        for (const [state, n] of Object.entries(await sources.agentsByState())) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'hotline_queue_waiting',
      help: 'Calls waiting for a human, by skill and priority class',
      labelNames: ['skill', 'priority'] as const,
      registers: [r],
      collect() {
        this.reset();
        for (const q of sources.queueDepth()) this.set({ skill: q.skill, priority: q.priority }, q.waiting);
      },
    });
    new Gauge({
      name: 'hotline_connection_up',
      help: 'Connections this instance depends on (1 up, 0 down)',
      labelNames: ['peer'] as const,
      registers: [r],
      collect() {
        for (const c of sources.connections()) this.set({ peer: c.peer }, c.up ? 1 : 0);
      },
    });
    new Gauge({
      name: 'hotline_connection_latency_seconds',
      help: 'Round trip to each peer: Redis PING and an ESL api command measured at scrape time; drachtio the last OPTIONS to the FreeSWITCH pool through it',
      labelNames: ['peer'] as const,
      registers: [r],
      async collect() {
        this.reset();
        for (const c of await sources.latencies()) this.set({ peer: c.peer }, c.seconds);
      },
    });
    // Counters, so that rate() and increase() work across scrapes; each source's series exists from the first
    // scrape on, at 0, so an alert on its increase sees the first error.
    const protocolGrowth = followCount();
    new Counter({
      name: 'hotline_protocol_errors_total',
      help: 'Protocol errors (malformed or unexpected frames, peers that break the handshake or go silent), by source',
      labelNames: ['source'] as const,
      registers: [r],
      collect() {
        for (const p of sources.protocolErrors())
          this.inc({ source: p.source }, protocolGrowth(p.source, p.count));
      },
    });
    const sipRejected = sources.sipInvitesRejected;
    if (sipRejected) {
      const growth = followCount();
      new Counter({
        name: 'hotline_sip_invites_rejected_total',
        help: 'INVITEs the SIP edge refused (bad requests, unknown numbers, agent legs from outside the pool)',
        registers: [r],
        collect() {
          const n = sipRejected();
          if (n !== null) this.inc(growth('edge', n));
        },
      });
    }
  }

  observeRecord(rec: CallRecord): void {
    const line = rec.line || 'unknown';
    const priority = rec.priority || 'normal';
    this.calls.inc({ line, outcome: rec.outcome, priority });
    if (rec.queuedAt) {
      const until = rec.answeredAt ?? (rec.outcome === 'abandoned' ? rec.endedAt : undefined);
      if (until !== undefined && until >= rec.queuedAt)
        this.wait.observe(
          { line, priority, outcome: rec.answeredAt ? 'answered' : 'abandoned' },
          (until - rec.queuedAt) / 1000,
        );
    }
    if (rec.answeredAt && rec.endedAt >= rec.answeredAt)
      this.handle.observe({ line }, (rec.endedAt - rec.answeredAt) / 1000);
  }

  observeRound(seconds: number): void {
    this.round.observe(seconds);
  }

  observeRefused(reason: string): void {
    // The scripts' reasons are a fixed set; anything else is a connection's error text, kept out of the labels.
    this.refused.inc({ reason: REFUSAL_REASONS.has(reason) ? reason : 'error' });
  }
}
