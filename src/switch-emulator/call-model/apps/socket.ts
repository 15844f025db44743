// mod_event_socket's `socket` application: connect out to the controlling server, wait for `connect`,
// park while the client drives the call, then resume the dialplan only when asked to (socket_resume).
import type { AppFn } from '../session.ts';
import { splitArgs } from './playback.ts';

const truthy = (v: string | undefined): boolean => !!v && /^(true|yes|on|1)$/i.test(v);

const socket: AppFn = async (ctx, data) => {
  const { core, session, channel: ch } = ctx;
  const argv = splitArgs(data);
  const hostPort = argv[0];
  if (!hostPort || !core.socketConnector) return;
  let link = null;
  for (const candidate of hostPort.split('|')) {
    const idx = candidate.lastIndexOf(':');
    const host = idx > 0 ? candidate.slice(0, idx) : candidate;
    const port = idx > 0 ? Number(candidate.slice(idx + 1)) : 8084;
    ch.vars.set('socket_host', host);
    link = await core.socketConnector(session, host, port, argv.slice(1));
    if (link) break;
  }
  // Connection refused: "Socket Error!" and the app returns, so the dialplan carries on (socket_function).
  if (!link) return;
  session.link = link;
  const connected = await Promise.race([link.connected, session.hangupInterrupt.wait(-1).then(() => false)]);
  if (!connected || !ch.up) return;
  await session.park(link.finished);
  if (ch.up && !(link.resume || truthy(ch.vars.get('socket_resume')))) {
    // The controlling socket went away without asking to resume: the call ends with it.
    session.stopDialplan = true;
    core.hangup(ch, 'NORMAL_CLEARING', 'router');
  }
};

export const socketApps: Record<string, AppFn> = { socket };
