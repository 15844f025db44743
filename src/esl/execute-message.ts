// The `sendmsg` that runs an application on a channel, in as few header bytes as FreeSWITCH will take: its
// listener reads a command's header lines one byte per system call (2.7-3.4 us of its CPU per byte, `npm run bench
// -- eslbytes`), but a body (Content-Length) in one read. So a long argument goes as the body (`content-type:
// text/plain`, which FreeSWITCH takes as the argument when there is no execute-app-arg), and the Event-UUID that
// tracks an application is a short token, not a 36-character uuid: FreeSWITCH only echoes it as Application-UUID.
import { randomBytes } from 'node:crypto';
import type { Connection, Event } from 'modesl';

/** Longer than this (bytes), an argument goes as the body: 44 bytes of headers (content-type, content-length) for the
 * execute-app-arg line they replace, well below the prompts of a menu (about 150 bytes). */
export const ARG_IN_BODY_BYTES = 64;

// Unique across router processes (a caller adopted from a dead router may still complete the dead router's
// applications): a random prefix per process, then a counter.
const PREFIX = randomBytes(4).readUInt32BE(0).toString(36);
let counter = 0;

/** A token for an application's Event-UUID, unique across processes. */
export function appToken(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${PREFIX}.${counter.toString(36)}`;
}

/** The headers and body of an execute message. */
export function executeMessage(
  app: string,
  arg: string,
  extra: Record<string, string> = {},
): { headers: Record<string, string>; body: string | null } {
  const headers: Record<string, string> = { 'call-command': 'execute', 'execute-app-name': app, ...extra };
  if (!arg) return { headers, body: null };
  const bytes = Buffer.byteLength(arg);
  if (bytes <= ARG_IN_BODY_BYTES) return { headers: { ...headers, 'execute-app-arg': arg }, body: null };
  return {
    headers: { ...headers, 'content-type': 'text/plain', 'content-length': String(bytes) },
    body: arg,
  };
}

/**
 * Writes `command` with its headers, then the body right behind the blank line (one tick: the connection's
 * writes are corked until the next, guarded-connection.ts), taking the command's reply with `onReply`.
 */
export function sendWithBody(
  conn: Connection,
  command: string,
  message: { headers: Record<string, string>; body: string | null },
  onReply: (reply: Event) => void = () => undefined,
): void {
  conn.sendRecv(command, message.headers, onReply);
  if (message.body !== null) conn.socket?.write(message.body);
}
