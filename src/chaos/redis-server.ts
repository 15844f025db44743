// A redis-server of the test's own (Debian's binary, the one scripts/setup.sh installs), on 127.0.0.1 with an
// append-only file in a temporary directory, so that a test can stop and restart it and find its data again,
// as a production Redis with `appendonly yes` (docker-compose.yml) would.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freeTcpPort } from './ports.ts';

export interface OwnRedis {
  url: string;
  /** Stops the server (SIGTERM: it finishes its append-only file) and starts it again after downMs. */
  restart(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freeTcpPort();
  const dir = mkdtempSync(path.join(tmpdir(), 'hotline-redis-'));
  let proc: ChildProcess | null = null;
  const launch = async () => {
    proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes'],
      { stdio: 'ignore' },
    );
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => undefined);
    for (let i = 0; ; i++) {
      try {
        await probe.connect();
        await probe.ping();
        break;
      } catch {
        if (i > 100) throw new Error('own redis-server did not start');
        probe.disconnect();
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    probe.disconnect();
  };
  const halt = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((r) => {
      p.once('exit', () => r());
      p.kill('SIGTERM');
    });
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}/0`,
    async restart(downMs) {
      await halt();
      await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
