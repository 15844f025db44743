// mod_event_socket's `socket` application: connect out to the controlling server, wait for `connect`, park while
// the client drives the call. When the socket session ends (the client exits or goes away) with the channel still
// up, the application returns and the dialplan goes on with its next action, socket_resume or not (async mode:
// socket_function parks, runs what is still queued, returns; nothing in mod_event_socket hangs the channel up).
import type { AppFn } from '../session.ts';
import { splitArgs } from './playback.ts';

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
  // An application running when the socket goes (a bridge) goes on: the park loop returns after it.
  await session.park(link.finished);
  // switch_ivr_parse_all_events: what the client queued before it went still runs.
  await session.drainQueue();
};

export const socketApps: Record<string, AppFn> = { socket };
