// pino logger whose every line passes through the personal-data mask, whatever the call site logs.
import { Writable } from 'node:stream';
import pino, { type DestinationStream, type Logger } from 'pino';
import { maskText } from './mask.ts';

export type { Logger } from 'pino';

/** Masks the serialised line, so that nothing logged (message, object, error, binding) escapes it. */
export function maskingStream(dest: DestinationStream | NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      (dest as NodeJS.WritableStream).write(maskText(chunk.toString()));
      cb();
    },
  });
}

export function createLogger(
  opts: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {},
): Logger {
  const dest = opts.destination ?? pino.destination({ dest: 1, sync: false });
  return pino(
    {
      level: opts.level ?? 'info',
      name: opts.name ?? 'hotline',
      base: { pid: process.pid },
      // ISO times: an epoch-millisecond number would look like a phone number to the mask.
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    maskingStream(dest),
  );
}
