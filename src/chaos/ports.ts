// Ports for servers the tests start (redis-server, FreeSWITCH, drachtio-server, routers) on 127.0.0.1.
import net from 'node:net';

// Ports handed out by this process, so two callers never get the same one before either binds it.
const handedOut = new Set<number>();

async function canListen(port: number): Promise<boolean> {
  const s = net.createServer();
  const ok = await new Promise<boolean>((r) => {
    s.once('error', () => r(false));
    s.listen(port, '127.0.0.1', () => r(true));
  });
  if (ok) await new Promise<void>((r) => s.close(() => r()));
  return ok;
}

/**
 * A free TCP port below the kernel's ephemeral range (32768-60999). A port the kernel gave for listen(0) comes
 * from that range, and between handing it out and the real server binding it, any outgoing connection (a Redis
 * client, FreeSWITCH dialling the router) could take it as its local port: that race once failed CI with
 * EADDRINUSE. Ports from 20000-32767 are only ever taken by someone binding them on purpose. The real FreeSWITCH's
 * RTP ports are kept below them (test/real/freeswitch.ts).
 */
export const HANDED_OUT_PORTS = { first: 20_000, last: 32_699 } as const;

export async function freeTcpPort(): Promise<number> {
  const { first, last } = HANDED_OUT_PORTS;
  for (let i = 0; i < 1000; i++) {
    const port = first + Math.floor(Math.random() * (last - first + 1));
    if (handedOut.has(port)) continue;
    if (!(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free TCP port in ${first}-${last}`);
}
