import type { Channel } from '../channel.ts';
import type { Core } from '../core.ts';
import type { Interrupt, StopReason } from '../interrupt.ts';

/** A queue of digits the running app consumes, fed by the core's DTMF pump (switch_channel_dequeue_dtmf). */
export class DigitFeed {
  private readonly got: string[] = [];
  private wake?: () => void;

  constructor(
    private readonly core: Core,
    private readonly ch: Channel,
  ) {}

  start(): void {
    this.core.setDtmfHandler(this.ch, (d) => {
      this.got.push(d);
      const w = this.wake;
      this.wake = undefined;
      w?.();
    });
  }

  stop(): void {
    this.core.setDtmfHandler(this.ch, undefined);
  }

  take(): string | undefined {
    return this.got.shift();
  }

  /** Next digit, or why none came: timeout ('done'), break or hangup. ms < 0 waits forever. */
  async next(interrupt: Interrupt, ms: number): Promise<string | StopReason | 'done'> {
    const ready = this.take();
    if (ready !== undefined) return ready;
    const digit = new Promise<'digit'>((resolve) => {
      this.wake = () => resolve('digit');
    });
    const r = await Promise.race([digit, interrupt.wait(ms)]);
    this.wake = undefined;
    if (r === 'digit') return this.take() ?? 'done';
    return r;
  }

  /** Resolves when a digit is available (without taking it), or on interrupt/timeout. */
  async arrival(interrupt: Interrupt, ms: number): Promise<'digit' | StopReason | 'done'> {
    if (this.got.length) return 'digit';
    const digit = new Promise<'digit'>((resolve) => {
      this.wake = () => resolve('digit');
    });
    const r = await Promise.race([digit, interrupt.wait(ms)]);
    this.wake = undefined;
    return r;
  }
}
