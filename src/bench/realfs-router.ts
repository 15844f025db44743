// The router as a separate OS process for the realfs bench: `node --import tsx src/main.ts`, as in production and
// as test/helpers/router-process.ts starts it, but ready when /health says so (that helper waits for the
// "router started" info line, which HOTLINE_LOG_LEVEL=warn does not print).
import { appendFileSync } from 'node:fs';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/env.ts';
import { type ProcessTracker, stopChild } from './realfs-sipp.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface BenchRouter {
  child: ChildProcess;
  pid: number;
  httpPort: number;
  /** The last lines it wrote (warnings and errors at HOTLINE_LOG_LEVEL=warn). */
  logs: string[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies of several shapes, checked by the caller
  admin(p: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export async function startBenchRouter(
  env: Record<string, string>,
  tracker: ProcessTracker,
  timeoutMs = 30_000,
): Promise<BenchRouter> {
  const fullEnv = { ...process.env, ...env } as Record<string, string>;
  // The same configuration the child will load: its admin token (the development default unless set).
  const config = loadConfig(fullEnv);
  // REALFS_ROUTER_PROF=<dir>: a V8 CPU profile of the router process (written when it stops), to see where its
  // CPU per call goes; NODE_OPTIONS may not carry --cpu-prof.
  const prof = process.env.REALFS_ROUTER_PROF;
  const nodeArgs = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  // REALFS_ROUTER_NODE_ARGS: more node/V8 flags for the router (GC settings), which NODE_OPTIONS may not carry.
  nodeArgs.push(...(process.env.REALFS_ROUTER_NODE_ARGS ?? '').split(' ').filter(Boolean));
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/main.ts'], {
    cwd: repo,
    env: fullEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  tracker.add(child);
  const logs: string[] = [];
  // REALFS_ROUTER_LOG=<file>: the router's whole log, appended there (with REALFS_ROUTER_LOG_LEVEL, e.g. info).
  const logFile = process.env.REALFS_ROUTER_LOG;
  const keep = (d: Buffer) => {
    if (logFile) appendFileSync(logFile, d);
    for (const line of d.toString().split('\n')) if (line.trim()) logs.push(line);
    if (logs.length > 200) logs.splice(0, logs.length - 200);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const base = `http://127.0.0.1:${config.http.port}`;
  const admin: BenchRouter['admin'] = async (p, init = {}) => {
    const res = await fetch(base + p, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${config.adminToken}`,
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  };
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`router exited at start (${child.exitCode ?? child.signalCode}):\n${logs.join('\n')}`);
    if (Date.now() > end) {
      await stopChild(child);
      throw new Error(`router not healthy in ${timeoutMs / 1000} s:\n${logs.slice(-20).join('\n')}`);
    }
    try {
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
      const h = (await res.json()) as { status?: string };
      if (h.status === 'ok') break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    child,
    pid: child.pid!,
    httpPort: config.http.port,
    logs,
    admin,
    stop: () => stopChild(child, 5000),
  };
}
