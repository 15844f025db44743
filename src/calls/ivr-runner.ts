// Carries out the IVR engine's instructions on a caller's channel until the engine hands the caller
// to a queue, a transfer or a hangup. The engine decides; this only plays, collects and reports.
import type { ChannelControl } from '../esl/channel-control.ts';
import type { IvrRun } from '../ivr/engine.ts';
import type { Instruction, IvrInput } from '../ivr/runtime.ts';
import type { Logger } from '../logging/logger.ts';

export type IvrOutcome =
  | { kind: 'queue'; instruction: Extract<Instruction, { kind: 'queue' }> }
  | { kind: 'transferred' }
  | { kind: 'hangup' }
  | { kind: 'caller-left' };

export interface IvrRunnerDeps {
  channel: ChannelControl;
  log: Logger;
  /** Bridges to a SIP address; resolves true when the far end answered. */
  transfer(uri: string): Promise<boolean>;
  /** Called before each prompt the caller hears (the first one ends the call's turn among arrivals). */
  onPrompt?: () => void;
}

/** Every key is collected and handed to the engine, which decides what is valid. */
const ANY_KEY = '0-9*#';

/** Prompts of another language live under lang/<code>/ beside the Chinese ones. */
export function localized(file: string, language: string): string {
  if (language === 'zh' || /^[a-z_]+:\/\//.test(file)) return file;
  return `lang/${language}/${file}`;
}

export async function runIvr(run: IvrRun, deps: IvrRunnerDeps): Promise<IvrOutcome> {
  const { channel, log } = deps;
  let ins = run.start();
  for (;;) {
    if (channel.hungUp) return { kind: 'caller-left' };
    let input: IvrInput;
    switch (ins.kind) {
      case 'collect': {
        deps.onPrompt?.();
        log.debug({ node: ins.nodeId, prompt: ins.prompt.text }, 'IVR prompt');
        const digits = await channel.collectDigits({
          prompt: localized(ins.prompt.file, run.language),
          timeoutMs: ins.timeoutMs,
          validDigits: ANY_KEY,
        });
        if (channel.hungUp) return { kind: 'caller-left' };
        input = digits ? { kind: 'digit', digit: digits[0]! } : { kind: 'no-input' };
        break;
      }
      case 'play':
        deps.onPrompt?.();
        await channel.playback(localized(ins.prompt.file, run.language));
        input = { kind: 'done' };
        break;
      case 'queue':
        if (ins.prompt) await channel.playback(ins.prompt.file);
        return { kind: 'queue', instruction: ins };
      case 'transfer': {
        if (ins.prompt) await channel.playback(ins.prompt.file);
        if (await deps.transfer(ins.uri)) return { kind: 'transferred' };
        if (channel.hungUp) return { kind: 'caller-left' };
        input = { kind: 'transfer-failed' };
        break;
      }
      case 'hangup':
        if (ins.prompt) await channel.playback(ins.prompt.file);
        channel.hangup('NORMAL_CLEARING');
        return { kind: 'hangup' };
    }
    ins = run.next(input);
  }
}
