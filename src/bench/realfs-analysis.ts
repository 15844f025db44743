// The realfs bench's figures from the two sides' sipp logs (pure: tested in test/unit/realfs-analysis.test.ts).
// Calls are correlated by caller id: every call of a run has its own, and FreeSWITCH passes it on to the agent's
// INVITE in every mode (bridge, mod_callcenter's originate, the router's origination_caller_id_number).
// Both sipps stamp messages with gettimeofday on the same machine, a sent one just after sendto returns: when the
// caller's sipp is descheduled right then, a sample reads a few ms short (even below zero on a busy machine).
import { percentile } from './types.ts';
import type { SipMessage } from './realfs-sipp.ts';

export interface CallerSide {
  callerId: string;
  /** The caller's first INVITE (retransmissions ignored). */
  inviteAt: number;
  /** FreeSWITCH hung up (the agent's BYE was passed on): the normal end of every call. */
  gotBye: boolean;
  /** The caller gave up waiting and hung up itself. */
  gaveUp: boolean;
  /** When it sent that BYE (Infinity if it did not). */
  gaveUpAt: number;
  /** A final error response to the INVITE (4xx-6xx), 0 if none. */
  failStatus: number;
}

export interface AgentSide {
  callerId: string;
  extension: string;
  /** The agent's phone took the (first) INVITE for this caller. */
  inviteAt: number;
  answered: boolean;
  /** When the phone sent its 200 OK (Infinity if it did not). */
  answeredAt: number;
}

export function callerSide(msgs: readonly SipMessage[]): Map<string, CallerSide> {
  const byCallId = new Map<string, CallerSide>();
  for (const m of msgs) {
    let c = byCallId.get(m.callId);
    if (!c) {
      if (!(m.dir === 'sent' && m.method === 'INVITE')) continue;
      c = {
        callerId: m.fromUser,
        inviteAt: m.t,
        gotBye: false,
        gaveUp: false,
        gaveUpAt: Infinity,
        failStatus: 0,
      };
      byCallId.set(m.callId, c);
      continue;
    }
    if (m.dir === 'recv' && m.method === 'BYE') c.gotBye = true;
    else if (m.dir === 'sent' && m.method === 'BYE') {
      c.gaveUp = true;
      c.gaveUpAt = Math.min(c.gaveUpAt, m.t);
    } else if (m.dir === 'recv' && m.status >= 300 && m.cseqMethod === 'INVITE') c.failStatus ||= m.status;
  }
  const out = new Map<string, CallerSide>();
  for (const c of byCallId.values()) if (!out.has(c.callerId)) out.set(c.callerId, c);
  return out;
}

/** Every INVITE the phones took, by Call-ID (a caller offered to two agents has two). */
export function agentSide(msgs: readonly SipMessage[]): AgentSide[] {
  const byCallId = new Map<string, AgentSide>();
  for (const m of msgs) {
    const a = byCallId.get(m.callId);
    if (!a) {
      if (m.dir === 'recv' && m.method === 'INVITE')
        byCallId.set(m.callId, {
          callerId: m.fromUser,
          extension: m.ruser,
          inviteAt: m.t,
          answered: false,
          answeredAt: Infinity,
        });
      continue;
    }
    if (m.dir === 'sent' && m.status === 200 && m.cseqMethod === 'INVITE' && !a.answered) {
      a.answered = true;
      a.answeredAt = m.t;
    }
  }
  return [...byCallId.values()];
}

export interface RunFigures {
  placed: number;
  /** An agent's phone answered while the caller was still on the line. */
  bridged: number;
  /** Did not reach an agent, or did not end normally (error response, the caller gave up). */
  failed: number;
  /** Callers no agent was rung for while they were on the line. */
  neverRung: number;
  /** Caller-side failures: an error response, or gave up waiting. */
  errorResponses: number;
  gaveUp: number;
  /** Callers rung at an agent only after they had hung up (not latency samples: counted as failed). */
  rungAfterLeft: number;
  /** Callers whose agent answered after they had hung up. */
  answeredAfterLeft: number;
  /** Agents' INVITEs beyond the first for callers of this run (re-offers). */
  reoffers: number;
  /**
   * Callers whose agent answered in time but who, by the router's own record, were never put through to anyone (the
   * agent hung up in the silence before the join): failed, not bridged. 0 where nothing says (no records).
   */
  notJoined: number;
  /** Latency samples: agent's first INVITE minus the caller's INVITE, ms, in caller order (callers rung while there). */
  latencies: number[];
  p50: number;
  p95: number;
  p99: number;
  max: number;
  min: number;
  mean: number;
  /** Pairs (earlier caller, later caller) where the later one's agent was rung first. */
  outOfOrder: number;
  /**
   * Of those, pairs where the later one was rung more than one media frame (20 ms) before the earlier: an
   * application FreeSWITCH queues to a channel starts at the channel's next frame, so calls set up in order
   * can reach their agents up to a frame apart in either order; beyond that, the order itself was lost.
   */
  outOfOrderBeyondFrame: number;
  /** Distinct agents rung. */
  agentsUsed: number;
}

export function figures(
  callers: Map<string, CallerSide>,
  legs: readonly AgentSide[],
  /** Whether the caller was put through to an agent, where something beyond the sipp logs says (router records). */
  joined: (callerId: string) => boolean = () => true,
): RunFigures {
  const legsOf = new Map<string, AgentSide[]>();
  for (const l of legs) {
    if (!callers.has(l.callerId)) continue; // not this run's call (should not happen)
    const list = legsOf.get(l.callerId) ?? [];
    list.push(l);
    legsOf.set(l.callerId, list);
  }
  const ordered = [...callers.values()].sort((a, b) => a.inviteAt - b.inviteAt);
  const reached: Array<{ sent: number; rung: number }> = [];
  let bridged = 0;
  let failed = 0;
  let errorResponses = 0;
  let gaveUp = 0;
  let rungAfterLeft = 0;
  let answeredAfterLeft = 0;
  let reoffers = 0;
  let notJoined = 0;
  for (const c of ordered) {
    const mine = (legsOf.get(c.callerId) ?? []).sort((a, b) => a.inviteAt - b.inviteAt);
    reoffers += Math.max(0, mine.length - 1);
    const inTime = mine.filter((l) => l.inviteAt < c.gaveUpAt);
    const answeredInTime = inTime.some((l) => l.answeredAt < c.gaveUpAt);
    const served = answeredInTime && joined(c.callerId);
    if (answeredInTime && !served) notJoined++;
    if (served) bridged++;
    if (mine.some((l) => l.answeredAt >= c.gaveUpAt && l.answered)) answeredAfterLeft++;
    if (!inTime.length && mine.length) rungAfterLeft++;
    if (!(served && c.gotBye && !c.gaveUp && !c.failStatus)) failed++;
    if (c.failStatus) errorResponses++;
    if (c.gaveUp) gaveUp++;
  }
  const firstRing = firstRings(callers, legs);
  for (const c of ordered) {
    const rung = firstRing.get(c.callerId);
    if (rung !== undefined) reached.push({ sent: c.inviteAt, rung });
  }
  const latencies = reached.map((r) => r.rung - r.sent);
  const agentsUsed = new Set(legs.filter((l) => callers.has(l.callerId)).map((l) => l.extension)).size;
  return {
    placed: callers.size,
    bridged,
    failed,
    neverRung: callers.size - reached.length,
    errorResponses,
    gaveUp,
    rungAfterLeft,
    answeredAfterLeft,
    reoffers,
    notJoined,
    latencies,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies.length ? Math.max(...latencies) : NaN,
    min: latencies.length ? Math.min(...latencies) : NaN,
    mean: latencies.length ? latencies.reduce((s, v) => s + v, 0) / latencies.length : NaN,
    outOfOrder: inversions(reached),
    outOfOrderBeyondFrame: inversions(reached, 20),
    agentsUsed,
  };
}

/** Each caller's first agent INVITE while the caller was still on the line (callers never rung in time absent). */
export function firstRings(
  callers: ReadonlyMap<string, CallerSide>,
  legs: readonly AgentSide[],
): Map<string, number> {
  const first = new Map<string, number>();
  for (const l of legs) {
    const c = callers.get(l.callerId);
    if (!c || l.inviteAt >= c.gaveUpAt) continue;
    const t = first.get(l.callerId);
    if (t === undefined || l.inviteAt < t) first.set(l.callerId, l.inviteAt);
  }
  return first;
}

/** Pairs i < j (by the caller's INVITE) where j's agent was rung more than `byMs` before i's (strictly before by default). */
export function inversions(calls: ReadonlyArray<{ sent: number; rung: number }>, byMs = 0): number {
  const s = [...calls].sort((a, b) => a.sent - b.sent);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    for (let j = i + 1; j < s.length; j++) if (s[j]!.rung + byMs < s[i]!.rung && s[j]!.sent > s[i]!.sent) n++;
  }
  return n;
}

/**
 * The router's part of a run's order and latency, from its call records' first-offer times (`offeredAt`, the
 * router's clock; the sipps run in UTC on the same machine, so their times compare), over the callers rung while
 * still on the line:
 * - offeredOutOfOrder: pairs where the router offered the later caller first (its own decisions, whatever order
 *   the phones then rang in);
 * - reorderedAfterOffer: pairs the router offered in order whose agents' phones were rung in the other order
 *   (FreeSWITCH's originate, between the router's command and the agent's INVITE). The pairs rung out of order
 *   are these and those of offeredOutOfOrder that FreeSWITCH did not put back in order;
 * - arrival to offer and offer to the agent's INVITE, p50 / p95 ms.
 */
export interface OfferFigures {
  /** Callers rung while there whose record has a first-offer time. */
  samples: number;
  offeredOutOfOrder: number;
  reorderedAfterOffer: number;
  toOfferP50: number;
  toOfferP95: number;
  offerToRingP50: number;
  offerToRingP95: number;
}

export function offerFigures(
  callers: ReadonlyMap<string, CallerSide>,
  legs: readonly AgentSide[],
  offeredAt: ReadonlyMap<string, number>,
): OfferFigures {
  const firstRing = firstRings(callers, legs);
  const rows: Array<{ sent: number; offered: number; rung: number }> = [];
  for (const c of callers.values()) {
    const rung = firstRing.get(c.callerId);
    const offered = offeredAt.get(c.callerId);
    if (rung !== undefined && offered !== undefined) rows.push({ sent: c.inviteAt, offered, rung });
  }
  rows.sort((a, b) => a.sent - b.sent);
  let reorderedAfterOffer = 0;
  for (let i = 0; i < rows.length; i++)
    for (let j = i + 1; j < rows.length; j++) {
      const a = rows[i]!;
      const b = rows[j]!;
      if (b.sent > a.sent && b.rung < a.rung && a.offered <= b.offered) reorderedAfterOffer++;
    }
  const toOffer = rows.map((r) => r.offered - r.sent);
  const toRing = rows.map((r) => r.rung - r.offered);
  return {
    samples: rows.length,
    offeredOutOfOrder: inversions(rows.map((r) => ({ sent: r.sent, rung: r.offered }))),
    reorderedAfterOffer,
    toOfferP50: percentile(toOffer, 50),
    toOfferP95: percentile(toOffer, 95),
    offerToRingP50: percentile(toRing, 50),
    offerToRingP95: percentile(toRing, 95),
  };
}
