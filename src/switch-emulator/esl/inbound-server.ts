// The 8021-style inbound event socket: every accepted client gets a Listener that starts with auth/request.
import net from 'node:net';
import type { Core } from '../call-model/core.ts';
import { Listener, type ListenerDeps } from './listener.ts';

export class InboundServer {
  private server?: net.Server;
  readonly listeners = new Set<Listener>();
  connections = 0;

  constructor(
    private readonly core: Core,
    private readonly deps: Omit<ListenerDeps, 'core'>,
  ) {}

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((sock) => {
        this.connections++;
        const l = new Listener(sock, { ...this.deps, core: this.core });
        this.listeners.add(l);
        sock.on('close', () => this.listeners.delete(l));
      });
      this.server = server;
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  dropAll(): void {
    for (const l of this.listeners) l.destroy();
  }

  inject(bytes: string): void {
    for (const l of this.listeners) l.inject(bytes);
  }

  async close(): Promise<void> {
    for (const l of this.listeners) l.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
