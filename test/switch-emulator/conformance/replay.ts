// Replays the client side of a recorded transcript against the emulator: each client block is sent once the
// emulator has produced as many messages as FreeSWITCH had produced before that block in the recording.
import type net from 'node:net';
import { learnIds, rewriteIds } from './compare.ts';
import { parseStream, readTranscript, syncPoints, type EslMessage } from './esl-stream.ts';

export interface Hook {
  /** Run before waiting for client block `beforeBlock`, once `afterMessages` messages have arrived. */
  beforeBlock: number;
  afterMessages: number;
  run: () => void | Promise<void>;
}

export class Replayer {
  private data = '';
  private closed = false;

  constructor(
    readonly sock: net.Socket,
    private readonly recorded: EslMessage[],
    private readonly ids: Map<string, string>,
  ) {
    sock.on('data', (d: Buffer) => {
      this.data += d.toString('latin1');
      this.learn();
    });
    sock.on('close', () => (this.closed = true));
    sock.on('error', () => undefined);
  }

  get messages(): EslMessage[] {
    return parseStream(this.data).messages;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private learn(): void {
    const got = this.messages;
    got.forEach((m, i) => {
      const r = this.recorded[i];
      if (r) learnIds(r, m, this.ids);
    });
  }

  async waitFor(count: number, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.messages.length < count && !this.closed) {
      if (Date.now() > until) {
        throw new Error(`timed out waiting for message #${count}; have ${this.messages.length}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Replay every client block of `transcriptPath`, then wait for the whole recorded stream (or close). */
  async run(transcriptPath: string, hooks: Hook[] = [], timeoutMs = 15_000): Promise<void> {
    const points = syncPoints(readTranscript(transcriptPath));
    for (let k = 0; k < points.length; k++) {
      const p = points[k] as { send: string; after: number };
      for (const h of hooks.filter((x) => x.beforeBlock === k)) {
        await this.waitFor(h.afterMessages, timeoutMs);
        await h.run();
      }
      await this.waitFor(p.after, timeoutMs);
      if (this.closed) return;
      this.sock.write(rewriteIds(p.send, this.ids));
    }
    await this.waitFor(this.recorded.length, timeoutMs).catch(() => undefined);
    const until = Date.now() + 2000;
    while (!this.closed && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  }
}

export function recordedMessages(rawPath: string, readFile: (p: string) => string): EslMessage[] {
  return parseStream(readFile(rawPath)).messages;
}
