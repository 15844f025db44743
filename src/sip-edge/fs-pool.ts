// The pool of FreeSWITCH servers the edge hands calls to. Health comes from SIP OPTIONS pings sent through
// drachtio (as in ../shared/fixtures/drachtio/uac_options_ping.transcript.txt): a member that leaves
// `failuresToDown` pings in a row unanswered (or answers 5xx) is out of the pool until it answers again. A call
// goes to the healthy member with the fewest calls this edge has up on it (ties: round robin); a member that
// fails an INVITE is skipped for that call and the next one tried.
import { EventEmitter } from 'node:events';
import type { PoolMember } from './config.ts';

export interface MemberState extends PoolMember {
  address: string;
  healthy: boolean;
  consecutiveFailures: number;
  activeCalls: number;
  totalCalls: number;
  lastPingAt: number;
  lastOkAt: number;
  lastStatus: number | 'timeout' | 'error' | null;
  /** The last answered OPTIONS' round trip through drachtio, ms (the metrics' drachtio latency). */
  lastRttMs?: number;
}

/** Sends one OPTIONS and resolves with the final status, 'timeout' or 'error'. */
export type Pinger = (member: PoolMember, timeoutMs: number) => Promise<number | 'timeout' | 'error'>;

export interface PoolEvents {
  down: [MemberState];
  up: [MemberState];
}

export class FreeSwitchPool extends EventEmitter<PoolEvents> {
  readonly members: MemberState[];
  private timer: NodeJS.Timeout | null = null;
  private rr = 0;
  private pinging = false;

  constructor(
    members: PoolMember[],
    private readonly opts: {
      intervalMs: number;
      timeoutMs: number;
      failuresToDown: number;
      canPing?: () => boolean;
    },
    private readonly ping: Pinger,
  ) {
    super();
    // Members start healthy: the first failed pings take a dead one out before it gets many calls.
    this.members = members.map((m) => ({
      ...m,
      address: `${m.host}:${m.port}`,
      healthy: true,
      consecutiveFailures: 0,
      activeCalls: 0,
      totalCalls: 0,
      lastPingAt: 0,
      lastOkAt: 0,
      lastStatus: null,
    }));
  }

  start(): void {
    if (this.timer) return;
    const tick = () => {
      void this.pingAll().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.opts.intervalMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  async pingAll(): Promise<void> {
    if (this.pinging || this.opts.canPing?.() === false) return;
    this.pinging = true;
    try {
      await Promise.all(this.members.map((m) => this.pingOne(m)));
    } finally {
      this.pinging = false;
    }
  }

  private async pingOne(m: MemberState): Promise<void> {
    m.lastPingAt = Date.now();
    let status: number | 'timeout' | 'error';
    try {
      status = await this.ping(m, this.opts.timeoutMs);
    } catch {
      status = 'error';
    }
    m.lastStatus = status;
    if (typeof status === 'number') m.lastRttMs = Date.now() - m.lastPingAt;
    // Any SIP answer below 500 means the stack is alive (a 404/405 to OPTIONS included).
    if (typeof status === 'number' && status < 500) this.markUp(m);
    else this.markFailure(m);
  }

  markUp(m: MemberState): void {
    m.consecutiveFailures = 0;
    m.lastOkAt = Date.now();
    if (!m.healthy) {
      m.healthy = true;
      this.emit('up', m);
    }
  }

  markFailure(m: MemberState, immediate = false): void {
    m.consecutiveFailures++;
    if (m.healthy && (immediate || m.consecutiveFailures >= this.opts.failuresToDown)) {
      m.healthy = false;
      this.emit('down', m);
    }
  }

  get healthy(): MemberState[] {
    return this.members.filter((m) => m.healthy);
  }

  /** The member for the next call, skipping `exclude`; null when no healthy member is left. */
  pick(exclude: ReadonlySet<string> = new Set()): MemberState | null {
    const candidates = this.members.filter((m) => m.healthy && !exclude.has(m.address));
    if (!candidates.length) return null;
    const least = Math.min(...candidates.map((m) => m.activeCalls));
    const best = candidates.filter((m) => m.activeCalls === least);
    const chosen = best[this.rr++ % best.length]!;
    return chosen;
  }

  /** Whether a SIP source address is one of the pool's FreeSWITCH servers (healthy or not). */
  isMember(address: string, port?: number): boolean {
    return this.members.some((m) => m.host === address && (port === undefined || m.port === port));
  }

  snapshot(): Array<Omit<MemberState, 'host' | 'port'>> {
    return this.members.map(({ host: _h, port: _p, ...rest }) => ({ ...rest }));
  }
}
