// The router's outbound event-socket server: FreeSWITCH's dialplan runs `socket <router>:8084 async
// full` for every call and connects here; each connection becomes a ChannelControl for the call flow.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Logger } from '../logging/logger.ts';
import { ChannelControl } from './channel-control.ts';
import { OutboundChannelLink } from './channel-link.ts';
import { outboundConnection } from './guarded-connection.ts';

export class OutboundSocketServer extends EventEmitter {
  protocolErrors = 0;
  /** Prompts FreeSWITCH could not play (missing or unreadable files), over all channels. */
  promptErrors = 0;
  sessions = 0;
  listening = false;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  /** Peers that connected but never completed the handshake (no reply to `connect` in time), since start. */
  handshakeTimeouts = 0;
  /** Peers that completed it, then stopped answering api commands (ChannelControl's reply timeout). */
  silentPeers = 0;

  constructor(
    private readonly log: Logger,
    /** FreeSWITCH answers `connect` within milliseconds; a peer that says nothing is not FreeSWITCH. */
    private readonly handshakeTimeoutMs = 5000,
    /** And it answers an api command within milliseconds too (see ChannelControlOptions.replyTimeoutMs). */
    private readonly replyTimeoutMs = 10_000,
  ) {
    super();
    this.server = net.createServer((socket) => this.onSocket(socket));
    this.server.on('error', (err) => this.log.error({ err: err.message }, 'outbound socket server error'));
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.listening = true;
        const addr = this.server.address() as net.AddressInfo;
        this.log.info({ host, port: addr.port }, 'ESL outbound socket server listening');
        resolve(addr.port);
      });
    });
  }

  close(): Promise<void> {
    this.listening = false;
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private onSocket(socket: net.Socket): void {
    const acceptedAt = performance.now();
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'outbound socket error'));
    const conn = outboundConnection(socket, (p) => {
      this.protocolErrors++;
      this.log.warn(
        { reason: p.reason, sample: p.sample, errors: this.protocolErrors },
        'ESL protocol error (outbound)',
      );
    });
    conn.on('error', (err: Error) => this.log.debug({ err: err.message }, 'outbound connection error'));
    // A silent peer would otherwise hold the socket (and a file descriptor) for as long as it likes.
    const handshake = setTimeout(() => {
      this.handshakeTimeouts++;
      this.protocolErrors++;
      this.log.warn(
        { peer: `${socket.remoteAddress}:${socket.remotePort}`, afterMs: this.handshakeTimeoutMs },
        'ESL peer did not answer connect; socket closed',
      );
      socket.destroy();
    }, this.handshakeTimeoutMs);
    handshake.unref();
    socket.once('close', () => clearTimeout(handshake));
    // `connect` and the subscription went out with the connection (outboundConnection); the call flow starts
    // at the reply to `connect`, and whatever it sends reaches FreeSWITCH behind them, handled in order.
    conn.once('esl::ready', () => {
      clearTimeout(handshake);
      // A peer whose connect reply carried no channel data is not FreeSWITCH: there is no call to run.
      if (!conn.getInfo()) {
        this.protocolErrors++;
        this.log.warn(
          { peer: `${socket.remoteAddress}:${socket.remotePort}` },
          'ESL peer sent no channel data; socket closed',
        );
        socket.destroy();
        return;
      }
      this.sessions++;
      const channel = new ChannelControl(new OutboundChannelLink(conn), {
        log: this.log,
        onPromptError: () => this.promptErrors++,
        replyTimeoutMs: this.replyTimeoutMs,
        onSilent: () => {
          this.silentPeers++;
          this.protocolErrors++;
        },
      });
      channel.connectMs = performance.now() - acceptedAt;
      channel.once('closed', () => {
        if (!socket.destroyed) socket.end();
      });
      this.emit('channel', channel);
    });
  }
}
