// The realfs bench's "park" mode (`--modes=park`, asked for by name): the floor of a router that drives parked
// callers over inbound event sockets, with no socket per call. The dialplan sets the same variables as for 12345 and
// parks the caller; this process (no Redis, no call records, no failover: it measures what FreeSWITCH pays for the
// design, not a router) takes CHANNEL_PARK on its event link, rings the longest-idle free agent the way the router
// does (`bgapi originate ... &park()`), pre-answers the caller with China's ringback as early media, and joins them
// with `uuid_bridge` when the agent answers. Run by src/bench/realfs-run.ts as
// `node --import tsx src/bench/realfs-parkdrive.ts`, configured by environment: PARKDRIVE_FS_HOST, PARKDRIVE_FS_PORT,
// PARKDRIVE_FS_PASSWORD, PARKDRIVE_AGENTS (comma-separated extensions), PARKDRIVE_DOMAIN; PARKDRIVE_POOL (command
// sockets, 8), PARKDRIVE_RINGBACK=0 (no early media), PARKDRIVE_TRACE=1 (a timeline on stderr). It prints
// "parkdrive ready" once subscribed.
import { randomUUID } from 'node:crypto';
import type { Connection, Event } from 'modesl';
import { inboundConnection } from '../esl/guarded-connection.ts';
import { FreeSwitchLink } from '../esl/inbound-client.ts';
import { createLogger } from '../logging/logger.ts';

const env = (k: string): string => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};

const RINGBACK = 'tone_stream://%(1000,4000,450);loops=-1';
const log = createLogger({ level: 'warn' });
const link = new FreeSwitchLink(
  {
    host: env('PARKDRIVE_FS_HOST'),
    port: Number(env('PARKDRIVE_FS_PORT')),
    password: env('PARKDRIVE_FS_PASSWORD'),
    events: ['CHANNEL_PARK', 'CHANNEL_HANGUP_COMPLETE', 'BACKGROUND_JOB'],
    filters: [
      // Only this mode's callers: the router's are parked by their socket application too, and share the switch.
      ['variable_hotline_dialplan_extension', 'realfs_bench_park'],
      ['variable_parkdrive_leg', 'true'],
      ['Event-Name', 'BACKGROUND_JOB'],
    ],
  },
  log,
);
const domain = env('PARKDRIVE_DOMAIN');
/**
 * FreeSWITCH runs an inbound socket's api commands one after another in its listener thread, and some wait for
 * the channel (uuid_bridge waits for the caller's thread to leave its park: hundreds of ms on one shared socket
 * held every other call's commands up): a call's commands go through one of a pool of sockets, by its uuid.
 */
const POOL = Number(process.env.PARKDRIVE_POOL ?? 8);
const pool: Connection[] = [];
function poolApi(key: string, command: string): Promise<string> {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  const c = pool[h % pool.length]!;
  return new Promise((resolve) => c.api(command, (e: Event) => resolve(e.getBody() ?? '')));
}
/** BACKGROUND_JOB bodies by Job-UUID (they come on the event link, maybe before the pool socket's reply). */
const jobs = new Map<string, string>();
const jobWaiters = new Map<string, (body: string) => void>();
/**
 * A bgapi on a pool socket without modesl's Job-UUID header and its filter round trips (FreeSWITCH names the job
 * in its reply); the result comes as BACKGROUND_JOB on the event link.
 */
function poolBgapi(key: string, command: string): Promise<string> {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  const c = pool[h % pool.length]!;
  return new Promise((resolve) =>
    c.sendRecv(`bgapi ${command}`, (reply: Event) => {
      const job = reply.getHeader('Job-UUID') ?? '';
      const early = jobs.get(job);
      if (early !== undefined) {
        jobs.delete(job);
        return resolve(early);
      }
      jobWaiters.set(job, resolve);
    }),
  );
}
async function openPool(): Promise<void> {
  for (let i = 0; i < POOL; i++) {
    const c = inboundConnection(
      env('PARKDRIVE_FS_HOST'),
      Number(env('PARKDRIVE_FS_PORT')),
      env('PARKDRIVE_FS_PASSWORD'),
      () => undefined,
    );
    await new Promise<void>((r) => c.once('esl::ready', () => r()));
    // modesl subscribes every connection to CHANNEL_EXECUTE_COMPLETE: this one takes no events.
    await new Promise<void>((r) => c.sendRecv('noevents', () => r()));
    pool.push(c);
  }
}
/** Longest idle first. */
const free: string[] = env('PARKDRIVE_AGENTS').split(',');
const waiting: string[] = [];
/** Agent leg uuid -> extension, until the leg is gone. */
const legs = new Map<string, string>();
/** Callers whose channel is gone. */
const gone = new Set<string>();
const callerIds = new Map<string, string>();

const TRACE = process.env.PARKDRIVE_TRACE === '1';
const t0 = performance.now();
function trace(uuid: string, what: string): void {
  if (TRACE) process.stderr.write(`${(performance.now() - t0).toFixed(1)} ${uuid.slice(0, 8)} ${what}\n`);
}

function dispatch(): void {
  while (waiting.length && free.length) {
    const caller = waiting.shift()!;
    if (gone.has(caller)) continue;
    offer(caller, free.shift()!);
  }
}

function offer(caller: string, ext: string): void {
  const leg = randomUUID();
  legs.set(leg, ext);
  const cid = callerIds.get(caller) ?? '';
  trace(caller, 'offer');
  poolBgapi(
    caller,
    `originate {origination_uuid=${leg},origination_caller_id_number=${cid},originate_timeout=15,ignore_early_media=true,parkdrive_leg=true,park_timeout=10}user/${ext}@${domain} &park()`,
  )
    .then((r) => {
      trace(caller, `originate ${r.slice(0, 20)}`);
      if (!r.startsWith('+OK')) {
        // The agent's leg failed: its hangup frees the agent; the caller goes back to the front.
        if (!gone.has(caller)) waiting.unshift(caller);
        return;
      }
      void poolApi(caller, `uuid_break ${caller} all`);
      void poolApi(caller, `uuid_bridge ${caller} ${leg}`).then(() => trace(caller, 'uuid_bridge done'));
    })
    .catch(() => undefined);
  // After the originate, which would otherwise wait behind them on the same socket (uuid_pre_answer holds
  // FreeSWITCH's listener some 45 ms).
  if (process.env.PARKDRIVE_RINGBACK !== '0') {
    void poolApi(caller, `uuid_pre_answer ${caller}`).then(() => trace(caller, 'pre_answer done'));
    void poolApi(caller, `uuid_broadcast ${caller} ${RINGBACK} aleg`);
  }
}

link.on('event', (e: Event) => {
  const name = e.getHeader('Event-Name');
  const uuid = e.getHeader('Unique-ID') ?? '';
  if (name === 'CHANNEL_PARK' && e.getHeader('variable_hotline_dialplan_extension') === 'realfs_bench_park') {
    // Parked by the dialplan, which set hangup_after_bridge: the caller is never parked again.
    const cid = e.getHeader('Caller-Caller-ID-Number') ?? '';
    if (/^\+?\d{1,20}$/.test(cid)) callerIds.set(uuid, cid);
    trace(uuid, `park (fired ${Date.now() - Number(e.getHeader('Event-Date-Timestamp')) / 1000} ms ago)`);
    waiting.push(uuid);
    dispatch();
  } else if (name === 'BACKGROUND_JOB') {
    const job = e.getHeader('Job-UUID') ?? '';
    const w = jobWaiters.get(job);
    if (w) {
      jobWaiters.delete(job);
      w(e.getBody() ?? '');
    } else jobs.set(job, e.getBody() ?? '');
  } else if (name === 'CHANNEL_HANGUP_COMPLETE') {
    const ext = legs.get(uuid);
    if (ext !== undefined) {
      legs.delete(uuid);
      free.push(ext);
      dispatch();
    } else {
      callerIds.delete(uuid);
      gone.add(uuid);
      if (gone.size > 100_000) gone.clear();
    }
  }
});
link.on('connected', () => process.stdout.write('parkdrive ready\n'));
void openPool().then(() => link.start());
process.on('SIGTERM', () => {
  link.stop();
  process.exit(0);
});
