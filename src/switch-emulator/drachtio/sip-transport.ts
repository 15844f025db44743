// SIP over UDP and TCP on one address (RFC 3261 section 18): datagrams are one message each; a TCP stream is
// cut into messages by Content-Length. Anything that is not SIP is dropped silently, as sofia does; a request
// that parses but lacks a mandatory header is handed up as `malformed` so the stack can answer 400.
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { parseSip, SipParseError, type SipMessage } from './sip-message.ts';

export type Proto = 'udp' | 'tcp';

export interface Peer {
  proto: Proto;
  address: string;
  port: number;
  /** The TCP connection a message arrived on (responses go back on it). */
  conn?: net.Socket;
}

export interface Received {
  msg: SipMessage;
  peer: Peer;
  /** Bytes on the wire. */
  bytes: number;
  at: Date;
}

export interface SipTransportEvents {
  message: [Received];
  malformed: [SipMessage, Peer];
  garbage: [Buffer, Peer, string];
}

export class SipTransport extends EventEmitter<SipTransportEvents> {
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly conns = new Set<net.Socket>();
  private readonly outbound = new Map<string, net.Socket>();
  port = 0;

  constructor(
    readonly host: string,
    private readonly opts: { tcp?: boolean } = {},
  ) {
    super();
  }

  async listen(port: number): Promise<number> {
    const udp = dgram.createSocket('udp4');
    this.udp = udp;
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, this.host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    this.port = udp.address().port;
    udp.on('message', (buf, rinfo) =>
      this.onBytes(buf, { proto: 'udp', address: rinfo.address, port: rinfo.port }),
    );
    udp.on('error', () => undefined);
    if (this.opts.tcp !== false) {
      const tcp = net.createServer((sock) => this.adopt(sock));
      this.tcp = tcp;
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(this.port, this.host, () => {
          tcp.off('error', reject);
          resolve();
        });
      }).catch(() => {
        // The UDP port's twin is taken for TCP: carry on with UDP only.
        this.tcp = undefined;
      });
    }
    return this.port;
  }

  get hasTcp(): boolean {
    return this.tcp !== undefined;
  }

  private adopt(sock: net.Socket, key?: string): void {
    this.conns.add(sock);
    let buf: Buffer = Buffer.alloc(0);
    const peer: Peer = {
      proto: 'tcp',
      address: (sock.remoteAddress ?? '').replace(/^::ffff:/, ''),
      port: sock.remotePort ?? 0,
      conn: sock,
    };
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        // Keep-alive CRLFs between messages (RFC 5626 3.5.1).
        while (buf.length && (buf[0] === 0x0d || buf[0] === 0x0a)) buf = buf.subarray(1);
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('utf8');
        const m = /^(?:content-length|l)\s*:\s*(\d+)/im.exec(head);
        const total = end + 4 + (m ? Number(m[1]) : 0);
        if (buf.length < total) return;
        this.onBytes(buf.subarray(0, total), peer);
        buf = buf.subarray(total);
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.conns.delete(sock);
      if (key) this.outbound.delete(key);
    });
  }

  private onBytes(buf: Buffer, peer: Peer): void {
    const text = buf.toString('utf8');
    try {
      const msg = parseSip(text);
      this.emit('message', { msg, peer, bytes: buf.length, at: new Date() });
    } catch (err) {
      if (err instanceof SipParseError && err.partial?.isRequest && err.partial.has('via')) {
        this.emit('malformed', err.partial, peer);
      } else this.emit('garbage', buf, peer, (err as Error).message);
    }
  }

  send(text: string, to: Peer): void {
    const data = Buffer.from(text, 'utf8');
    if (to.proto === 'tcp') {
      const key = `${to.address}:${to.port}`;
      let sock = to.conn && !to.conn.destroyed ? to.conn : this.outbound.get(key);
      if (!sock || sock.destroyed) {
        sock = net.connect({ host: to.address, port: to.port });
        this.outbound.set(key, sock);
        this.adopt(sock, key);
      }
      sock.write(data);
      return;
    }
    this.udp?.send(data, to.port, to.address);
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    await new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r()));
    await new Promise<void>((r) => {
      if (!this.udp) return r();
      try {
        this.udp.close(() => r());
      } catch {
        r();
      }
    });
    this.udp = undefined;
  }
}
