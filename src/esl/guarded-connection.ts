// modesl Connections whose input passes through EslFrameGuard first, for both directions of the
// event socket: inbound (we connect to FreeSWITCH) and outbound (FreeSWITCH connects to us).
import type { Socket } from 'node:net';
import esl, { type Connection } from 'modesl';
import { EslFrameGuard, type FrameProblem } from './frame-guard.ts';

export type ProblemHandler = (p: FrameProblem) => void;

/**
 * Reroutes the socket's data through a guard into modesl's parser. Must run before the first
 * 'data' event, i.e. synchronously after modesl attached its parser.
 */
function guard(conn: Connection, onProblem: ProblemHandler): void {
  const socket = conn.socket;
  const parser = (conn as unknown as { parser?: { _onData(b: Buffer): void } }).parser;
  if (!socket || !parser) throw new Error('modesl connection has no parser yet');
  socket.removeAllListeners('data');
  const g = new EslFrameGuard();
  socket.on('data', (chunk: Buffer) => {
    const { frames, problems } = g.push(chunk);
    for (const p of problems) onProblem(p);
    for (const f of frames) {
      try {
        parser._onData(f);
      } catch (err) {
        onProblem({
          reason: `parser threw: ${(err as Error).message}`,
          sample: f.subarray(0, 120).toString(),
        });
      }
    }
  });
}

export function inboundConnection(
  host: string,
  port: number,
  password: string,
  onProblem: ProblemHandler,
): Connection {
  const conn = new esl.Connection(host, port, password);
  // 'esl::connect' is emitted synchronously right after modesl creates its parser.
  conn.once('esl::connect', () => guard(conn, onProblem));
  return conn;
}

export function outboundConnection(socket: Socket, onProblem: ProblemHandler): Connection {
  const conn = new esl.Connection(socket);
  guard(conn, onProblem);
  return conn;
}
