import net from 'node:net';
import esl from 'modesl';
import type { Connection, Event as EslEvent } from 'modesl';
import { SwitchEmulator, type SwitchEmulatorOptions } from '../../src/switch-emulator/index.ts';

/** A modesl outbound server (what the router runs) on an ephemeral port. */
export async function startRouter(
  onCall: (conn: Connection) => void,
  myevents = true,
): Promise<{ port: number; close: () => Promise<void> }> {
  // modesl's Server takes `port: 0` for its default 8022; give it a server already listening on a free port.
  const tcp = net.createServer();
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve()));
  const server = await new Promise<InstanceType<typeof esl.Server>>((resolve) => {
    const s: InstanceType<typeof esl.Server> = new esl.Server({ server: tcp, myevents }, () => resolve(s));
  });
  server.on('connection::ready', (conn: Connection) => onCall(conn));
  const port = (server.server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of Object.values(server.connections)) c.socket?.destroy();
        server.close(() => resolve());
      }),
  };
}

export async function startEmulator(opts: SwitchEmulatorOptions = {}): Promise<SwitchEmulator> {
  const emu = new SwitchEmulator(opts);
  await emu.start();
  return emu;
}

/** Promise wrappers around modesl's callback API. */
export const exec = (conn: Connection, app: string, arg = ''): Promise<EslEvent> =>
  new Promise((resolve) => conn.execute(app, arg, (e: EslEvent) => resolve(e)));

export const api = (conn: Connection, cmd: string, args = ''): Promise<EslEvent> =>
  new Promise((resolve) => conn.api(cmd, args, (e: EslEvent) => resolve(e)));

export const bgapi = (conn: Connection, cmd: string, args = ''): Promise<EslEvent> =>
  new Promise((resolve) => conn.bgapi(cmd, args, (e: EslEvent) => resolve(e)));

export function inboundClient(port: number, password = 'ClueCon'): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const c: Connection = new esl.Connection('127.0.0.1', port, password, () => resolve(c));
    c.on('error', reject);
  });
}

/** Collect Event-Names a connection sees. */
export function recordEvents(conn: Connection): Array<{ name: string; e: EslEvent }> {
  const seen: Array<{ name: string; e: EslEvent }> = [];
  conn.on('esl::event::**', (e: EslEvent) => {
    const name = e.getHeader('Event-Name');
    if (name) seen.push({ name, e });
  });
  return seen;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Raw TCP client for byte-level tests. */
export async function rawClient(
  port: number,
): Promise<{ sock: net.Socket; data: () => string; waitFor: (re: RegExp, ms?: number) => Promise<string> }> {
  const sock = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((r) => sock.once('connect', () => r()));
  let buf = '';
  sock.on('data', (d) => (buf += d.toString('latin1')));
  sock.on('error', () => undefined);
  const waitFor = async (re: RegExp, ms = 3000): Promise<string> => {
    const until = Date.now() + ms;
    while (!re.test(buf)) {
      if (Date.now() > until)
        throw new Error(`timeout waiting for ${re}; got ${JSON.stringify(buf.slice(-500))}`);
      await sleep(5);
    }
    return buf;
  };
  return { sock, data: () => buf, waitFor };
}
