// The client side of the `socket` application: connect to the controlling server and hand the session a
// ControlLink. A refused or unreachable target yields null so the dialplan moves on (socket_function).
import net from 'node:net';
import type { Core } from '../call-model/core.ts';
import type { ControlLink, Session } from '../call-model/session.ts';
import { Listener, type ListenerDeps } from './listener.ts';

export class OutboundConnector {
  readonly bySession = new Map<string, Listener>();

  constructor(
    private readonly core: Core,
    private readonly deps: Omit<ListenerDeps, 'core'>,
    private readonly connectTimeoutMs = 5000,
  ) {}

  connect = (session: Session, host: string, port: number, args: string[]): Promise<ControlLink | null> =>
    new Promise((resolve) => {
      const sock = net.connect({ host, port });
      const timer = setTimeout(() => {
        sock.destroy();
        resolve(null);
      }, this.connectTimeoutMs);
      sock.once('error', () => {
        clearTimeout(timer);
        resolve(null);
      });
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.setKeepAlive(true);
        const flags = {
          outbound: true,
          async: args.some((a) => a.toLowerCase() === 'async'),
          full: args.some((a) => a.toLowerCase() === 'full'),
        };
        const l = new Listener(sock, { ...this.deps, core: this.core }, session, flags);
        const uuid = session.channel.uuid;
        this.bySession.set(uuid, l);
        void l.finished.then(() => {
          if (this.bySession.get(uuid) === l) this.bySession.delete(uuid);
        });
        resolve(l.asLink());
      });
    });

  closeAll(): void {
    for (const l of this.bySession.values()) l.destroy();
  }
}
