// Admission control for new calls. A router that takes calls faster than it can serve them falls behind on every
// call it holds (FreeSWITCH then gives up on its socket and callers leave with no record). Above its limits it
// passes new calls on instead: it closes their socket at once, FreeSWITCH's dialplan sends them to the backup
// router, then to the apology and the fallback group, and every such call is still recorded (by the router that
// takes it, or from FreeSWITCH's hangup event). The limits: calls in hand, and event-loop lag (the router's CPU)
// sustained over two windows in a row: one long pause (a garbage collection, a fork of the process, a burst of
// work when Redis comes back) is not overload, and passing callers on to the fallback for it loses them their
// router for nothing. The real-server tier caught it: a 1.2-1.7 s pause in one window while Redis restarted
// sent a caller to the fallback group.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface ShedDecision {
  shed: boolean;
  reason?: 'calls' | 'lag';
}

export class LoadShedder {
  shedCalls = 0;
  private readonly delay: IntervalHistogram;
  private timer: NodeJS.Timeout | null = null;
  /** Lag over the last window, ms (p99 of the event-loop delay). */
  lagMs = 0;
  /** Lag over the window before it, ms. */
  private previousLagMs = 0;

  constructor(private readonly limits: { maxCalls: number; lagMs: number }) {
    this.delay = monitorEventLoopDelay({ resolution: 10 });
  }

  start(): void {
    this.delay.enable();
    this.timer = setInterval(() => {
      this.observe(this.delay.percentile(99) / 1e6);
      this.delay.reset();
    }, 500);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.delay.disable();
  }

  /** One window's p99 event-loop delay, ms (the timer's; a test may feed windows itself). */
  observe(p99Ms: number): void {
    this.previousLagMs = this.lagMs;
    this.lagMs = p99Ms;
  }

  /** The lag both of the last two windows reached, ms. */
  get sustainedLagMs(): number {
    return Math.min(this.lagMs, this.previousLagMs);
  }

  /** Whether a new call should be passed on, given the calls this instance holds now. */
  admit(callsInHand: number): ShedDecision {
    let d: ShedDecision = { shed: false };
    if (callsInHand >= this.limits.maxCalls) d = { shed: true, reason: 'calls' };
    else if (this.sustainedLagMs >= this.limits.lagMs) d = { shed: true, reason: 'lag' };
    if (d.shed) this.shedCalls++;
    return d;
  }
}
