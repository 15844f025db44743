// A peer on the router's event-socket port that never answers `connect` (it is not FreeSWITCH, or it hung) is
// cut off after the handshake timeout instead of holding the socket; FreeSWITCH's own sessions are untouched.
import net from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboundSocketServer } from '../../src/esl/outbound-server.ts';
import { createLogger } from '../../src/logging/logger.ts';

describe('outbound event socket: silent peers', () => {
  let server: OutboundSocketServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('closes a peer that never answers connect, counts it, and starts no call', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _e, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    server = new OutboundSocketServer(createLogger({ level: 'info', destination }), 300);
    let channels = 0;
    server.on('channel', () => channels++);
    const port = await server.listen('127.0.0.1', 0);
    const peer = net.connect(port, '127.0.0.1');
    let received = '';
    peer.on('data', (d: Buffer) => (received += d.toString()));
    const startedAt = Date.now();
    const closedAfter = await new Promise<number>((resolve) => {
      peer.on('close', () => resolve(Date.now() - startedAt));
      peer.on('error', () => undefined);
    });
    // The router spoke first (modesl's connect), the peer never replied, and was cut off after the timeout.
    expect(received).toMatch(/^connect/);
    expect(closedAfter).toBeGreaterThanOrEqual(250);
    expect(closedAfter).toBeLessThan(5000);
    expect(server.handshakeTimeouts).toBe(1);
    expect(server.protocolErrors).toBe(1);
    expect(server.sessions).toBe(0);
    expect(channels).toBe(0);
    expect(lines.join('')).toContain('ESL peer did not answer connect');
  });
});
