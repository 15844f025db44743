// A real drachtio-server 0.9.10 (from ../shared/peers, extracted under /opt/peers by scripts/peers.sh) for the
// real-server tier: its own generated configuration in a temp dir, its own admin (control) and SIP ports on
// 127.0.0.1, a quiet log level, normal priority (it sets no real-time priority of its own; nothing here raises it).
//
// Why the log level matters: at `info` (its default) drachtio-server writes every SIP message it sends and
// receives, bodies included, to its log (sofia-sip's message trace is logged at info), and an application's wrong
// secret (at info; the right one at debug). At `warning` neither is written (its filter passes notice, error and
// warning), and sofia-loglevel 0 keeps the SIP stack's own chatter out. The secret is in the config file (mode
// 0600), never on the command line, where `ps` would show it.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freeSipPort, freeTcpPort } from './freeswitch.ts';

export const DRACHTIO_PREFIX = '/opt/peers/drachtio';
export const DRACHTIO_BIN = path.join(DRACHTIO_PREFIX, 'bin', 'drachtio');

/** Why the real drachtio-server cannot run here, or null when it can (installed, its libraries present). */
export function drachtioMissing(): string | null {
  if (!existsSync(DRACHTIO_BIN)) return `${DRACHTIO_BIN} not installed (scripts/peers.sh install)`;
  const ldd = spawnSync('ldd', [DRACHTIO_BIN], { encoding: 'utf8' });
  const missing = (ldd.stdout ?? '')
    .split('\n')
    .filter((l) => l.includes('not found'))
    .map((l) => l.trim().split(' ')[0]);
  if (missing.length)
    return `drachtio-server lacks ${missing.join(', ')} (Debian libboost-thread1.74.0 libboost-log1.74.0; scripts/peers.sh install)`;
  return null;
}

export const haveDrachtio = drachtioMissing() === null;

export type DrachtioLogLevel = 'notice' | 'error' | 'warning' | 'info' | 'debug';

export interface DrachtioOptions {
  /** Shared secret of the control link (default: random). */
  secret?: string;
  /** Default warning: no SIP messages, no secrets. */
  loglevel?: DrachtioLogLevel;
  /** sofia-sip's own log level, 0-9 (default 0). */
  sofiaLoglevel?: number;
  adminPort?: number;
  sipPort?: number;
}

/** drachtio.conf.xml for one server on 127.0.0.1 (the keys of drachtio-server's own drachtio.conf.xml). */
export function drachtioConfig(o: {
  adminPort: number;
  sipPort: number;
  secret: string;
  logFile: string;
  archiveDir: string;
  loglevel: DrachtioLogLevel;
  sofiaLoglevel: number;
}): string {
  const attr = (s: string) =>
    s.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  return `<drachtio>
  <!-- control link for drachtio-srf applications: port, shared secret, bind address -->
  <admin port="${o.adminPort}" secret="${attr(o.secret)}">127.0.0.1</admin>
  <sip>
    <contacts>
      <contact>sip:127.0.0.1:${o.sipPort};transport=udp,tcp</contact>
    </contacts>
  </sip>
  <cdrs>false</cdrs>
  <logging>
    <file>
      <name>${attr(o.logFile)}</name>
      <archive>${attr(o.archiveDir)}</archive>
      <size>10</size>
      <maxFiles>2</maxFiles>
      <auto-flush>true</auto-flush>
    </file>
    <!-- sofia-sip's own log, 0 (minimal) to 9; everything it writes is logged at info anyway -->
    <sofia-loglevel>${o.sofiaLoglevel}</sofia-loglevel>
    <!-- notice, error, warning, info, debug: info and debug write every SIP message (bodies too) and wrong secrets -->
    <loglevel>${o.loglevel}</loglevel>
  </logging>
</drachtio>
`;
}

export interface DrachtioExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

export interface RealDrachtio {
  dir: string;
  conf: string;
  adminPort: number;
  sipPort: number;
  secret: string;
  /** host:port SIP peers send to. */
  sip: string;
  /** The environment that points the router's SIP edge at this server. */
  env: { HOTLINE_DRACHTIO_HOST: string; HOTLINE_DRACHTIO_PORT: string; HOTLINE_DRACHTIO_SECRET: string };
  pid(): number | undefined;
  running(): boolean;
  /** Every exit of a server process this handle started that was not asked for by stop()/restart(). */
  crashes: DrachtioExit[];
  /** Resolves at the next unrequested exit of the current process. */
  nextCrash(): Promise<DrachtioExit>;
  /** The log file so far (all rotations of this run are in the same dir; only the current file is read). */
  log(): string;
  /** stdout and stderr of every process this handle started. */
  output(): string;
  /** Starts the server again with the same configuration (after a crash, or stopping it first if it runs). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      r(true);
    });
    s.on('error', () => r(false));
  });
}

/** Whether some process holds the UDP port (drachtio binds its SIP transports a little after its admin port). */
async function udpTaken(port: number): Promise<boolean> {
  const u = dgram.createSocket('udp4');
  const free = await new Promise<boolean>((r) => {
    u.once('error', () => r(false));
    u.bind(port, '127.0.0.1', () => r(true));
  });
  await new Promise<void>((r) => u.close(() => r()));
  return !free;
}

export async function startDrachtio(o: DrachtioOptions = {}): Promise<RealDrachtio> {
  const why = drachtioMissing();
  if (why) throw new Error(why);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'realdrachtio-'));
  mkdirSync(path.join(dir, 'log', 'archive'), { recursive: true });
  const adminPort = o.adminPort ?? (await freeTcpPort());
  const sipPort = o.sipPort ?? (await freeSipPort());
  const secret = o.secret ?? randomBytes(12).toString('hex');
  const conf = path.join(dir, 'drachtio.conf.xml');
  const logFile = path.join(dir, 'log', 'drachtio.log');
  writeFileSync(
    conf,
    drachtioConfig({
      adminPort,
      sipPort,
      secret,
      logFile,
      archiveDir: path.join(dir, 'log', 'archive'),
      loglevel: o.loglevel ?? 'warning',
      sofiaLoglevel: o.sofiaLoglevel ?? 0,
    }),
    { mode: 0o600 },
  );
  chmodSync(conf, 0o600);

  let child: ChildProcess | null = null;
  let out = '';
  const crashes: DrachtioExit[] = [];
  let crashWaiters: Array<(e: DrachtioExit) => void> = [];
  const expected = new WeakSet<ChildProcess>();

  const spawnOne = () => {
    // No DRACHTIO_* variables from our environment: they would override the file (DRACHTIO_SECRET, _LOGLEVEL...).
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DRACHTIO_')));
    const c = spawn(DRACHTIO_BIN, ['-f', conf], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    c.on('exit', (code, signal) => {
      if (expected.has(c)) return;
      const e = { code, signal, at: Date.now() };
      crashes.push(e);
      for (const w of crashWaiters.splice(0)) w(e);
    });
    child = c;
    return c;
  };

  const waitReady = async (c: ChildProcess) => {
    const end = Date.now() + 15_000;
    for (;;) {
      if (c.exitCode !== null || c.signalCode !== null)
        throw new Error(
          `drachtio-server exited at start (${c.exitCode ?? c.signalCode}):\n${out.slice(-2000)}\n${readLog().slice(-2000)}`,
        );
      if (Date.now() > end) throw new Error(`drachtio-server not ready in 15 s:\n${readLog().slice(-2000)}`);
      if ((await accepts(adminPort)) && (await udpTaken(sipPort))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    expected.add(c);
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };

  const readLog = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };

  const start = async () => {
    const c = spawnOne();
    try {
      await waitReady(c);
    } catch (err) {
      await kill();
      throw err;
    }
  };

  const handle: RealDrachtio = {
    dir,
    conf,
    adminPort,
    sipPort,
    secret,
    sip: `127.0.0.1:${sipPort}`,
    env: {
      HOTLINE_DRACHTIO_HOST: '127.0.0.1',
      HOTLINE_DRACHTIO_PORT: String(adminPort),
      HOTLINE_DRACHTIO_SECRET: secret,
    },
    pid: () => child?.pid,
    running: () => child !== null && child.exitCode === null && child.signalCode === null,
    crashes,
    nextCrash: () => new Promise((r) => crashWaiters.push(r)),
    log: readLog,
    output: () => out,
    async restart() {
      await kill();
      await start();
    },
    async stop() {
      crashWaiters = [];
      await kill();
      child = null;
      if (!process.env.HOTLINE_KEEP_REALFS) rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return handle;
}
