// mod_event_socket's `socket` application: connect out to the controlling server, wait for `connect`, park while
// the client drives the call. When the socket session ends (the client exits or goes away) with the channel still
// up, the application returns and the dialplan goes on with its next action, socket_resume or not (async mode:
// socket_function parks, runs what is still queued, returns; nothing in mod_event_socket hangs the channel up);
// with socket_resume the channel is reset first, which stops a playing application (mod_event_socket.c, CS_RESET).
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
  // The channel's thread sees the connect only at its next look (socket_function waits for LFLAG_CONNECTED with
  // switch_cond_next, a timer tick): commands the client sent right behind `connect` (the router's subscription)
  // are in place before the park's CHANNEL_PARK, which therefore reaches only a client subscribed to it by then.
  await new Promise((r) => setTimeout(r, 1));
  if (!ch.up) return;
  // socket_resume: CS_RESET stops the hold music or prompt the client left playing (see resetAfterSocketLoss), so
  // the dialplan's next action (the backup router's socket) gets the caller at once; without it, an application
  // running when the socket goes goes on, and the park loop returns after it.
  void link.finished.then(() => {
    if (ch.up && /^(true|yes|on|1)$/i.test(ch.vars.get('socket_resume') ?? ''))
      session.resetAfterSocketLoss();
  });
  await session.park(link.finished);
  // uuid_bridge took the channel (CS_HIBERNATE): the application returns and what is queued waits for the channel's
  // next turn (the park after the bridge).
  if (session.inUuidBridge) return;
  // switch_ivr_parse_all_events: what the client queued before it went still runs.
  await session.drainQueue();
};

export const socketApps: Record<string, AppFn> = { socket };
