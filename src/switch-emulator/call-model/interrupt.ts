// Cooperative interruption of a running application: the JS stand-in for FreeSWITCH checking
// switch_channel_ready() / CF_BREAK in its media loops.
export type StopReason = 'break' | 'hangup' | 'release';

export class Interrupt {
  private reason?: StopReason;
  private readonly waiters = new Set<(r: StopReason) => void>();

  get stopped(): StopReason | undefined {
    return this.reason;
  }

  stop(reason: StopReason): void {
    if (this.reason) return;
    this.reason = reason;
    for (const w of [...this.waiters]) w(reason);
    this.waiters.clear();
  }

  /** Resolves with the stop reason, or 'done' after ms (ms < 0 waits forever). */
  wait(ms: number): Promise<StopReason | 'done'> {
    if (this.reason) return Promise.resolve(this.reason);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const w = (r: StopReason): void => {
        if (timer) clearTimeout(timer);
        resolve(r);
      };
      this.waiters.add(w);
      if (ms >= 0) {
        timer = setTimeout(() => {
          this.waiters.delete(w);
          resolve('done');
        }, ms);
      }
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
