// Runs Debian's sip-tester (sipp) scenarios against 127.0.0.1, each in its own temporary directory, on a port
// of its own, with a hard time limit. Tests that need sipp skip with a message when it is not installed
// (scripts/setup.sh --test installs it: HOTLINE_SETUP_SIP=1).
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SCENARIOS = path.resolve(here, '..', 'scenarios');
export const FIXTURE_SCENARIOS = path.resolve(here, '..', '..', '..', '..', 'shared', 'fixtures', 'sipp');

function findSipp(): string | null {
  const candidates = [process.env.SIPP, '/usr/bin/sipp', '/usr/local/bin/sipp'].filter(Boolean) as string[];
  for (const c of candidates) if (existsSync(c)) return c;
  const r = spawnSync('sh', ['-c', 'command -v sipp'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

export const SIPP = findSipp();
export const haveSipp = SIPP !== null;
if (!haveSipp)
  console.warn(
    'sip-edge: sipp (Debian package sip-tester) not found; SIP tests are skipped. Run scripts/setup.sh --test',
  );

/** A UDP port nobody holds right now (the OS picks it; released for sipp to take). */
export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface SippRun {
  code: number;
  stdout: string;
  stderr: string;
  /** sipp -trace_msg output: every message sent and received. */
  messages: string;
  errors: string;
  port: number;
}

export interface SippOptions {
  scenario: string;
  /** host:port to call or register with; omitted for a UAS. */
  target?: string;
  service?: string;
  port?: number;
  calls?: number;
  /** Extra [keyword] values: -key name value. */
  keys?: Record<string, string>;
  /** Pause of a <pause/> without milliseconds (sipp -d). */
  durationMs?: number;
  timeoutS?: number;
  extra?: string[];
}

export interface SippProcess {
  port: number;
  done: Promise<SippRun>;
  kill(): void;
}

export async function startSipp(o: SippOptions): Promise<SippProcess> {
  if (!SIPP) throw new Error('sipp not installed');
  const port = o.port ?? (await freeUdpPort());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sipp-'));
  const args = [
    '-sf',
    o.scenario.includes('/') ? o.scenario : path.join(SCENARIOS, o.scenario),
    '-i',
    '127.0.0.1',
    '-p',
    String(port),
    '-m',
    String(o.calls ?? 1),
    '-nostdin',
    '-timeout',
    `${o.timeoutS ?? 20}s`,
    '-timeout_error',
    '-trace_msg',
    '-message_file',
    path.join(dir, 'messages.log'),
    '-trace_err',
    '-error_file',
    path.join(dir, 'errors.log'),
    '-max_recv_loops',
    '100',
  ];
  if (o.service) args.push('-s', o.service);
  if (o.durationMs !== undefined) args.push('-d', String(o.durationMs));
  for (const [k, v] of Object.entries(o.keys ?? {})) args.push('-key', k, v);
  args.push(...(o.extra ?? []));
  if (o.target) args.push(o.target);
  const child = spawn(SIPP, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const hardLimit = setTimeout(() => child.kill('SIGKILL'), ((o.timeoutS ?? 20) + 10) * 1000);
  const done = new Promise<SippRun>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(hardLimit);
      const read = (f: string) => {
        try {
          return readFileSync(path.join(dir, f), 'utf8');
        } catch {
          return '';
        }
      };
      const run = {
        code: code ?? -1,
        stdout,
        stderr,
        messages: read('messages.log'),
        errors: read('errors.log'),
        port,
      };
      rmSync(dir, { recursive: true, force: true });
      resolve(run);
    });
  });
  // A UAS that has not bound its port yet loses the first INVITE (a fixed pause before sending one was a race on a
  // loaded machine: the INVITE went out, the CANCEL went before any provisional answer, and the call hung).
  await udpPortBound(port, () => child.exitCode !== null);
  return { port, done, kill: () => child.kill('SIGTERM') };
}

/** Resolves once a UDP socket is bound to 127.0.0.1:port (read from /proc/net/udp), or the process has exited. */
async function udpPortBound(port: number, exited: () => boolean, timeoutMs = 10_000): Promise<void> {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const end = Date.now() + timeoutMs;
  while (Date.now() < end && !exited()) {
    try {
      if (readFileSync('/proc/net/udp', 'utf8').includes(` ${local} `)) return;
    } catch {
      return; // no procfs: fall back to the callers' own pauses
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function runSipp(o: SippOptions): Promise<SippRun> {
  return (await startSipp(o)).done;
}

/** Waits until a sipp UAS has bound its port (it answers nothing before the first INVITE). */
export async function settle(ms = 300): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** The messages sipp received, each as text (from -trace_msg). */
export function received(run: SippRun): string[] {
  return run.messages
    .split(/-{20,} [^\n]*\n/)
    .filter((b) => /message received/.test(b))
    .map((b) => b.replace(/^.*message received[^\n]*\n\n/s, '').trim());
}
