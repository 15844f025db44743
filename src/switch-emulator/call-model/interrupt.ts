// Cooperative interruption of a running application: the JS stand-in for FreeSWITCH checking
// switch_channel_ready() / CF_BREAK in its media loops.
export type StopReason = 'break' | 'hangup' | 'release';

interface TimedWaiter {
  resolve: (r: StopReason | 'done') => void;
  remainingMs: number;
  startedAt: number;
  timer?: NodeJS.Timeout;
}

export class Interrupt {
  private reason?: StopReason;
  private readonly waiters = new Set<(r: StopReason) => void>();
  private readonly timed = new Set<TimedWaiter>();
  private pausedAt?: number;
  private pausedTotal = 0;

  get stopped(): StopReason | undefined {
    return this.reason;
  }

  stop(reason: StopReason): void {
    if (this.reason) return;
    this.reason = reason;
    for (const w of [...this.waiters]) w(reason);
    this.waiters.clear();
    for (const t of [...this.timed]) {
      if (t.timer) clearTimeout(t.timer);
      t.resolve(reason);
    }
    this.timed.clear();
  }

  /**
   * The application's media loop is blocked (an application queued to the session runs nested inside it,
   * switch_ivr_parse_all_events): its timers stand still until resume().
   */
  pause(): void {
    if (this.pausedAt !== undefined || this.reason) return;
    this.pausedAt = Date.now();
    for (const t of this.timed) {
      if (!t.timer) continue;
      clearTimeout(t.timer);
      t.timer = undefined;
      t.remainingMs = Math.max(0, t.remainingMs - (this.pausedAt - t.startedAt));
    }
  }

  resume(): void {
    if (this.pausedAt === undefined) return;
    const now = Date.now();
    this.pausedTotal += now - this.pausedAt;
    this.pausedAt = undefined;
    for (const t of this.timed) this.arm(t, now);
  }

  /** Milliseconds spent paused so far (for how much of a file really played). */
  get pausedMs(): number {
    return this.pausedTotal + (this.pausedAt !== undefined ? Date.now() - this.pausedAt : 0);
  }

  private arm(t: TimedWaiter, now: number): void {
    t.startedAt = now;
    t.timer = setTimeout(() => {
      this.timed.delete(t);
      t.resolve('done');
    }, t.remainingMs);
  }

  /** Resolves with the stop reason, or 'done' after ms of unpaused time (ms < 0 waits forever). */
  wait(ms: number): Promise<StopReason | 'done'> {
    if (this.reason) return Promise.resolve(this.reason);
    if (ms < 0) {
      return new Promise((resolve) => {
        this.waiters.add(resolve);
      });
    }
    return new Promise((resolve) => {
      const t: TimedWaiter = { resolve, remainingMs: ms, startedAt: Date.now() };
      this.timed.add(t);
      if (this.pausedAt === undefined) this.arm(t, t.startedAt);
    });
  }

  /** Subscribe without a timer; returns an unsubscribe function. */
  on(fn: (r: StopReason) => void): () => void {
    if (this.reason) {
      fn(this.reason);
      return () => undefined;
    }
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }
}
