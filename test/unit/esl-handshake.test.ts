// A peer on the router's event-socket port that never answers `connect` (it is not FreeSWITCH, or it hung) is
// cut off after the handshake timeout instead of holding the socket; FreeSWITCH's own sessions are untouched.
// One that answers the handshake and then nothing is cut off when an api command gets no reply.
import net from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelControl } from '../../src/esl/channel-control.ts';
import { OutboundSocketServer } from '../../src/esl/outbound-server.ts';
import { createLogger } from '../../src/logging/logger.ts';

/**
 * A peer that answers like FreeSWITCH up to the subscription (`connectReply` for connect, +OK for `event json`),
 * then says nothing more.
 */
function handshakingPeer(port: number, connectReply: string) {
  const peer = net.connect(port, '127.0.0.1');
  peer.on('error', () => undefined);
  let received = '';
  let step = 0;
  peer.on('data', (d: Buffer) => {
    received += d.toString();
    if (step === 0 && received.includes('connect\n\n')) {
      step = 1;
      peer.write(connectReply);
    }
    if (step === 1 && received.includes('event json')) {
      step = 2;
      peer.write('Content-Type: command/reply\nReply-Text: +OK event listener enabled json\n\n');
    }
  });
  const closed = new Promise<void>((r) => peer.on('close', () => r()));
  return { received: () => received, closed };
}

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

  it('closes a peer that answers the handshake, then no command: the call does not hang on it', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _e, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    server = new OutboundSocketServer(createLogger({ level: 'info', destination }), 5000, 300);
    const answered = new Promise<string>((resolve) =>
      server!.on('channel', (ch: ChannelControl) => {
        const t = Date.now();
        void ch.answerNow().then(() => resolve(`${Date.now() - t}`));
      }),
    );
    const port = await server.listen('127.0.0.1', 0);
    const peer = handshakingPeer(
      port,
      'Content-Type: command/reply\nReply-Text: +OK\nEvent-Name: CHANNEL_DATA\nUnique-ID: 7f0c-silent\nChannel-Name: sofia/x\n\n',
    );
    // answerNow settles (the channel is gone) once the silent socket is closed.
    expect(Number(await answered)).toBeGreaterThanOrEqual(250);
    await peer.closed;
    expect(peer.received()).toContain('uuid_answer 7f0c-silent');
    expect(server.silentPeers).toBe(1);
    expect(server.protocolErrors).toBe(1);
    expect(lines.join('')).toContain('ESL peer went silent');
  });

  it('closes a peer whose connect reply carries no channel data: no call, no socket held', async () => {
    server = new OutboundSocketServer(createLogger({ level: 'silent' }), 5000, 300);
    let channels = 0;
    server.on('channel', () => channels++);
    const port = await server.listen('127.0.0.1', 0);
    const peer = handshakingPeer(port, 'Content-Type: command/reply\nReply-Text: +OK\n\n');
    await peer.closed;
    expect(channels).toBe(0);
    expect(server.sessions).toBe(0);
    expect(server.protocolErrors).toBe(1);
  });
});
