// A router as a separate OS process (`node --import tsx src/main.ts`), for multi-instance tests.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RouterProcess {
  child: ChildProcess;
  httpPort: number;
  eslPort: number;
  instanceId: string;
  logs: string[];
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function startRouterProcess(env: Record<string, string>): Promise<RouterProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: repo,
    env: {
      ...process.env,
      HOTLINE_HTTP_PORT: '0',
      HOTLINE_ESL_LISTEN_PORT: '0',
      HOTLINE_LOG_LEVEL: process.env.HOTLINE_CHAOS_LOG_LEVEL ?? 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      // Not started in time: it must not live on (holding ports, heartbeats and Redis keys) after the caller gave up.
      child.kill('SIGKILL');
      reject(new Error(`router did not start:\n${logs.join('')}`));
    }, 20_000);
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        logs.push(line);
        if (line.includes('"router started"')) {
          const j = JSON.parse(line) as { http: string; eslPort: number; instance: string };
          clearTimeout(t);
          resolve({
            child,
            httpPort: Number(j.http.split(':').pop()),
            eslPort: j.eslPort,
            instanceId: j.instance,
            logs,
            kill: (signal = 'SIGTERM') =>
              new Promise((r) => {
                if (child.exitCode !== null || child.signalCode !== null) return r();
                child.once('exit', () => r());
                child.kill(signal);
              }),
          });
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => logs.push(d.toString()));
    child.once('exit', (code) => reject(new Error(`router exited ${code}:\n${logs.join('')}`)));
  });
}
