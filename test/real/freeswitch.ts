// A real FreeSWITCH 1.10.12 (from ../shared/peers, extracted under /opt/peers by scripts/peers.sh) for the
// real-server tier: its own conf dir filled from the stock vanilla set and the project's freeswitch-conf/install.sh,
// its own ports on 127.0.0.1, normal priority (-np: real-time threads starve everything else on 2 cores).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import dgram from 'node:dgram';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import esl, { type Connection, type Event } from 'modesl';
import { freeTcpPort, HANDED_OUT_PORTS } from '../helpers/ports.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FS_PREFIX = '/opt/peers/freeswitch';
const FS_BIN = path.join(FS_PREFIX, 'bin', 'freeswitch');

/** True when scripts/peers.sh has installed the real peers (the real tier runs only then). */
export const havePeers = existsSync(FS_BIN) && existsSync('/opt/peers/drachtio/bin/drachtio');

export const MODULES = [
  'mod_console',
  'mod_logfile',
  'mod_event_socket',
  'mod_sofia',
  'mod_loopback',
  'mod_commands',
  'mod_dptools',
  'mod_db',
  'mod_hash',
  'mod_callcenter',
  'mod_dialplan_xml',
  'mod_sndfile',
  'mod_native_file',
  'mod_local_stream',
  'mod_tone_stream',
];

export { freeTcpPort };

/** A port free for both UDP and TCP (SIP profiles bind both). */
export async function freeSipPort(): Promise<number> {
  for (;;) {
    const port = await freeTcpPort();
    const u = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      u.once('error', () => r(false));
      u.bind(port, '127.0.0.1', () => r(true));
    });
    await new Promise<void>((r) => u.close(() => r()));
    if (ok) return port;
  }
}

/**
 * A test FreeSWITCH's RTP ports: 1,000 even ports from 10000-19998, below the ports the harness hands out to sipp
 * phones, SIP profiles and servers. FreeSWITCH takes the next even port of its range without trying it first
 * (switch_rtp_request_port: SPF_EVEN, not SPF_ROBUST_UDP), and one that a sipp caller had bound for its SIP failed
 * that caller's media ("Bind Error", INCOMPATIBLE_DESTINATION, 488): about once in 800 bench calls.
 */
export function rtpPortRange(): [number, number] {
  const start = HANDED_OUT_PORTS.first - 10_000 + 2 * Math.floor(Math.random() * 4000);
  return [start, start + 1998];
}

export interface FreeSwitchOptions {
  /** The router's outbound-socket ports the dialplan connects to (primary, backup). */
  routerPort: number;
  backupPort?: number;
  /** Extra files written into the conf dir after install.sh (path relative to conf -> content). */
  extraConf?: Record<string, string>;
  env?: Record<string, string>;
}

export interface RealFreeSwitch {
  dir: string;
  conf: string;
  eslPort: number;
  carrierPort: number;
  agentsPort: number;
  /** The agents profile's SIP over WebSocket port (plain ws, 127.0.0.1), for the desktop's WebRTC softphone. */
  wsPort: number;
  domain: string;
  agentPassword: string;
  /** The FreeSWITCH process (for its CPU time in /proc; undefined if it could not be spawned). */
  pid?: number;
  api(command: string): Promise<string>;
  /** Lines of its log file (freeswitch.log) so far. */
  log(): string;
  stop(): Promise<void>;
}

/** Prepares a conf dir exactly as freeswitch-conf/README.md says an operator does, then starts FreeSWITCH. */
export async function startFreeSwitch(o: FreeSwitchOptions): Promise<RealFreeSwitch> {
  if (!havePeers) throw new Error('real FreeSWITCH not installed (scripts/peers.sh install)');
  mkdirSync(path.join(repo, '.cache', 'realfs'), { recursive: true });
  const dir = mkdtempSync(path.join(repo, '.cache', 'realfs', 'fs-'));
  const conf = path.join(dir, 'conf');
  for (const d of ['conf', 'log', 'db', 'run', 'sounds', 'recordings', 'storage', 'cache'])
    mkdirSync(path.join(dir, d), { recursive: true });
  const install = spawnSync(
    'sh',
    [
      path.join(repo, 'freeswitch-conf', 'install.sh'),
      '--from-vanilla',
      path.join(FS_PREFIX, 'share', 'freeswitch', 'conf', 'vanilla'),
      conf,
    ],
    { encoding: 'utf8' },
  );
  if (install.status !== 0) throw new Error(`install.sh failed: ${install.stderr}${install.stdout}`);
  // The trimmed build has only these modules; the stock list names many it does not have.
  writeFileSync(
    path.join(conf, 'autoload_configs', 'modules.conf.xml'),
    `<configuration name="modules.conf" description="Modules">\n  <modules>\n${MODULES.map(
      (m) => `    <load module="${m}"/>`,
    ).join('\n')}\n  </modules>\n</configuration>\n`,
  );
  for (const [rel, content] of Object.entries(o.extraConf ?? {})) {
    mkdirSync(path.dirname(path.join(conf, rel)), { recursive: true });
    writeFileSync(path.join(conf, rel), content);
  }
  const eslPort = await freeTcpPort();
  const carrierPort = await freeSipPort();
  const agentsPort = await freeSipPort();
  // SIP over WebSocket (ws, and wss with FreeSWITCH's own self-signed wss.pem): TCP only.
  const wsPort = await freeTcpPort();
  const wssPort = await freeTcpPort();
  const [rtpStart, rtpEnd] = rtpPortRange();
  const env: Record<string, string> = {
    FS_HOTLINE_LOCAL_IP: '127.0.0.1',
    FS_HOTLINE_EXTERNAL_SIP_IP: '127.0.0.1',
    FS_HOTLINE_EXTERNAL_RTP_IP: '127.0.0.1',
    FS_HOTLINE_ESL_LISTEN_PORT: String(eslPort),
    FS_HOTLINE_CARRIER_SIP_PORT: String(carrierPort),
    FS_HOTLINE_AGENTS_SIP_PORT: String(agentsPort),
    FS_HOTLINE_AGENTS_WS_PORT: String(wsPort),
    FS_HOTLINE_AGENTS_WSS_PORT: String(wssPort),
    FS_HOTLINE_ROUTER_HOST: '127.0.0.1',
    FS_HOTLINE_ROUTER_ESL_PORT: String(o.routerPort),
    FS_HOTLINE_ROUTER_BACKUP_HOST: '127.0.0.1',
    FS_HOTLINE_ROUTER_BACKUP_PORT: String(o.backupPort ?? (await freeTcpPort())),
    FS_HOTLINE_RTP_START_PORT: String(rtpStart),
    FS_HOTLINE_RTP_END_PORT: String(rtpEnd),
    FS_HOTLINE_FALLBACK_TIMEOUT: '5',
    ...o.env,
  };
  const child = spawn(
    FS_BIN,
    [
      '-nc',
      '-nf',
      '-nonat',
      '-np',
      ...['conf', 'log', 'db', 'run', 'sounds', 'recordings', 'storage', 'cache'].flatMap((d) => [
        `-${d}`,
        path.join(dir, d),
      ]),
    ],
    { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const fs = makeHandle(child, dir, conf, eslPort, carrierPort, { agentsPort, wsPort }, env);
  try {
    await waitReady(fs, child, () => stderr);
  } catch (err) {
    await fs.stop();
    throw err;
  }
  return fs;
}

function makeHandle(
  child: ChildProcess,
  dir: string,
  conf: string,
  eslPort: number,
  carrierPort: number,
  { agentsPort, wsPort }: { agentsPort: number; wsPort: number },
  env: Record<string, string>,
): RealFreeSwitch {
  let conn: Connection | null = null;
  const connect = () =>
    new Promise<Connection>((resolve, reject) => {
      const c = new esl.Connection('127.0.0.1', eslPort, 'ClueCon', () => resolve(c));
      c.on('error', reject);
    });
  const vars = readFileSync(path.join(repo, 'freeswitch-conf', 'hotline_vars.xml'), 'utf8');
  const varOf = (name: string) => new RegExp(`data="${name}=([^"]*)"`).exec(vars)?.[1] ?? '';
  return {
    dir,
    conf,
    eslPort,
    carrierPort,
    agentsPort,
    wsPort,
    domain: env.FS_HOTLINE_AGENTS_DOMAIN ?? varOf('hotline_agents_domain'),
    agentPassword: env.FS_HOTLINE_AGENT_PASSWORD ?? varOf('hotline_agent_password'),
    pid: child.pid,
    async api(command) {
      conn ??= await connect();
      const c = conn;
      return new Promise((resolve) => c.api(command, (e: Event) => resolve(e.getBody() ?? '')));
    },
    log() {
      try {
        return readFileSync(path.join(dir, 'log', 'freeswitch.log'), 'utf8');
      } catch {
        return '';
      }
    },
    async stop() {
      try {
        conn?.socket?.destroy();
      } catch {
        // already gone
      }
      conn = null;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      if (!process.env.HOTLINE_KEEP_REALFS) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitReady(fs: RealFreeSwitch, child: ChildProcess, stderr: () => string): Promise<void> {
  const end = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`FreeSWITCH exited at start (${child.exitCode ?? child.signalCode}):\n${stderr()}`);
    if (Date.now() > end) throw new Error(`FreeSWITCH not ready in 30 s:\n${fs.log().slice(-3000)}`);
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(fs.eslPort, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) {
      const status = await fs.api('sofia status');
      if ((status.match(/RUNNING/g) ?? []).length >= 2) return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
