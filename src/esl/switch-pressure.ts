// Admission control for FreeSWITCH's own overload. When FreeSWITCH runs short of CPU, every caller it holds costs it
// more (longer waits: more hold music, more listener turns) and commands on every socket are read more slowly, so
// above its capacity router mode does not slow down in proportion but collapses (src/esl/README.md). The earliest
// cheap sign is how long FreeSWITCH takes to answer a new socket's `connect` (about 4-15 ms when it keeps up; tens
// of ms as it falls behind; seconds once collapsed: `npm run bench -- realfs`). While that time stays high, a share
// of new callers is told that the line is busy and let go (recorded, and called back by the missed-call callback),
// a few seconds of early media instead of a call that would have waited in vain and dragged the others down.
// Pure: times come from the caller, so tests and a simulator drive it on their own clock.

export interface SwitchPressureOptions {
  /** A window whose mean connect time reaches this sheds more; 0 turns the control off. */
  highMs: number;
  /** Windows of this length, ms. */
  windowMs: number;
  /** A window with fewer sockets says nothing (a few calls on a busy test machine are not an overload). */
  minSamples: number;
  /** Share of new callers added to the shed share per window over highMs, and taken off per window under half. */
  stepUp: number;
  stepDown: number;
  /** Never more than this share is shed: some callers keep getting through, and their sockets keep measuring. */
  maxShare: number;
  /**
   * Windows in a row at or over highMs before the share grows (1: every such window). A single slow window (a
   * burst the switch absorbs, what an earlier load left behind) then turns nobody away.
   */
  sustainWindows?: number;
}

export const DEFAULT_SWITCH_PRESSURE: SwitchPressureOptions = {
  highMs: 30,
  windowMs: 500,
  minSamples: 5,
  stepUp: 0.2,
  stepDown: 0.05,
  maxShare: 0.8,
};

export class SwitchPressure {
  /** The share of new callers turned away now, 0..maxShare. */
  share = 0;
  /** Callers turned away since start. */
  turnedAway = 0;
  /** Mean connect time of the last window that had enough sockets, ms (NaN before the first). */
  lastMeanMs = Number.NaN;
  private windowStart = Number.NaN;
  private sum = 0;
  private count = 0;
  /** Error diffusion: shares become an even pattern (every 5th caller at 0.2), not runs of bad luck. */
  private owed = 0;
  /** Windows in a row, up to the last, whose mean reached highMs. */
  private highRun = 0;

  constructor(private readonly opts: SwitchPressureOptions = DEFAULT_SWITCH_PRESSURE) {}

  /** A new socket's connect time, ms, at `now` (epoch ms). */
  observe(connectMs: number, now: number): void {
    if (!this.opts.highMs) return;
    this.roll(now);
    if (!Number.isFinite(connectMs) || connectMs < 0) return;
    this.sum += connectMs;
    this.count++;
  }

  /** Whether the next new caller is to be turned away. */
  turnAway(now: number): boolean {
    return SwitchPressure.turnAwayAny([this], now);
  }

  /** The share to turn away at `now` (closes the windows that ended by then). */
  shareAt(now: number): number {
    if (!this.opts.highMs) return 0;
    this.roll(now);
    return this.share;
  }

  /**
   * One decision for several controls (a caller's arrival and the joins): the largest share, spread evenly by one
   * diffuser, so that together they never turn away more than any one of them would (never above maxShare), and each
   * caller turned away is counted once, by the control that asked for the most.
   */
  static turnAwayAny(controls: readonly SwitchPressure[], now: number): boolean {
    const [first, ...rest] = controls;
    if (!first) return false;
    let top = first;
    let share = first.shareAt(now);
    for (const c of rest) {
      const s = c.shareAt(now);
      if (s > share) [top, share] = [c, s];
    }
    // Error diffusion on the first control's counter.
    if (share <= 0) {
      first.owed = 0;
      return false;
    }
    first.owed += share;
    if (first.owed < 1) return false;
    first.owed -= 1;
    top.turnedAway++;
    return true;
  }

  /** Closes the windows that ended by `now`; a window with too few sockets counts as a quiet one. */
  private roll(now: number): void {
    if (Number.isNaN(this.windowStart)) this.windowStart = now;
    const ended = Math.floor((now - this.windowStart) / this.opts.windowMs);
    if (ended >= 1) {
      const enough = this.count >= this.opts.minSamples;
      const mean = enough ? this.sum / this.count : 0;
      if (enough) this.lastMeanMs = mean;
      let share = this.share;
      const high = enough && mean >= this.opts.highMs;
      this.highRun = high && ended === 1 ? this.highRun + 1 : high ? 1 : 0;
      if (high && this.highRun >= (this.opts.sustainWindows ?? 1))
        share = Math.min(this.opts.maxShare, share + this.opts.stepUp);
      else if (!high && mean < this.opts.highMs / 2) share -= this.opts.stepDown;
      // The windows after it had no socket at all are quiet ones.
      share -= (ended - 1) * this.opts.stepDown;
      this.share = Math.max(0, Math.round(share * 1000) / 1000);
      this.sum = 0;
      this.count = 0;
      this.windowStart += ended * this.opts.windowMs;
    }
  }
}
