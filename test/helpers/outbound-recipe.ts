// The router's own outbound-socket recipe (src/esl/guarded-connection.ts outboundConnection: `connect`, then at once
// `myevents json`, `nixevent ALL`, `event json <OUTBOUND_EVENTS>`, `linger`), run by a bare TCP server against the
// switch emulator (test/switch-emulator/real-freeswitch.test.ts) and the real FreeSWITCH
// (test/real/emulator-parity.test.ts), so that both say the same of it.
import net from 'node:net';
import type { Connection, Event as EslEvent } from 'modesl';
import { outboundConnection } from '../../src/esl/guarded-connection.ts';

/**
 * What the socket received in recipeScript on the real FreeSWITCH 1.10.12 (test/real/emulator-parity.test.ts), and
 * so what the emulator must send: the job, the playback's two events, the hangup and the socket application's end.
 * The socket application's own park at the start is usually not among them, but may be: the channel's thread fires
 * CHANNEL_PARK while the listener works through the handshake, and one fired after `myevents` and before `nixevent
 * ALL` is delivered (a clean-clone CI run saw it once). The router ignores it (it waits for no park on its socket
 * until an agent's conversation ends); see withoutStartPark.
 */
export const RECIPE_EVENTS = [
  'BACKGROUND_JOB',
  'CHANNEL_EXECUTE playback',
  'CHANNEL_EXECUTE_COMPLETE playback',
  'CHANNEL_HANGUP',
  'CHANNEL_EXECUTE_COMPLETE socket',
];

/** The events without the socket application's own CHANNEL_PARK at their start, which only timing lets through. */
export function withoutStartPark(events: readonly string[]): string[] {
  return events[0] === 'CHANNEL_PARK' ? events.slice(1) : [...events];
}

export interface RecipeRouter {
  port: number;
  close(): Promise<void>;
}

/** A TCP server whose connections are the router's outbound connections; `onCall` runs at the reply to connect. */
export async function startRecipeRouter(onCall: (conn: Connection) => Promise<void>): Promise<RecipeRouter> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const conn = outboundConnection(socket, () => undefined);
    conn.on('error', () => undefined);
    conn.once('esl::ready', () => void onCall(conn).catch(() => undefined));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export interface RecipeTrace {
  /** The reply to the bgapi without a Job-UUID header: its Reply-Text and the Job-UUID it names. */
  reply: string;
  job: string;
  /** The BACKGROUND_JOB's Job-UUID and body. */
  jobEventId: string;
  jobBody: string;
  /** Every event the socket received after the reply to connect: name and application. */
  events: string[];
}

/**
 * On the caller's socket: an agent's leg originated with a bare `bgapi` (FreeSWITCH names the job), killed once it
 * answered; a short playback; the hangup. Resolves with what the socket saw, once the socket is closed.
 */
export function recipeScript(conn: Connection, dial: string, leg: string): Promise<RecipeTrace> {
  const uuid = conn.getInfo().getHeader('Unique-ID') ?? '';
  const events: string[] = [];
  conn.on('esl::event::**', (e: EslEvent) => {
    const name = e.getHeader('Event-Name');
    if (!name || name === 'CHANNEL_DATA') return;
    events.push(`${name} ${e.getHeader('Application') ?? ''}`.trim());
  });
  return new Promise((resolve) => {
    const trace: RecipeTrace = { reply: '', job: '', jobEventId: '', jobBody: '', events };
    conn.socket?.once('close', () => resolve(trace));
    // With linger the socket stays after the hangup until the router says exit, as ChannelControl does.
    conn.once('esl::event::disconnect::notice', () => setTimeout(() => conn.send('exit'), 200));
    conn.sendRecv(`bgapi originate ${dial} &park()`, (reply: EslEvent) => {
      trace.reply = reply.getHeader('Reply-Text') ?? '';
      trace.job = reply.getHeader('Job-UUID') ?? '';
      // Registered in the reply's callback: the job's event may follow in the same read.
      conn.once(`esl::event::BACKGROUND_JOB::${trace.job}`, (job: EslEvent) => {
        trace.jobEventId = job.getHeader('Job-UUID') ?? '';
        trace.jobBody = job.getBody() ?? '';
        conn.api(`uuid_kill ${leg}`, () => {
          // The router subscribes the applications' events at the first one it tracks (ChannelControl).
          conn.sendRecv('event json CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE', () => undefined);
          conn.execute('playback', 'silence_stream://100', () => {
            conn.send(`sendmsg ${uuid}`, { 'call-command': 'hangup', 'hangup-cause': 'NORMAL_CLEARING' });
          });
        });
      });
    });
  });
}
