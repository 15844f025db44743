// Bench group "eslbytes": what a byte sent to FreeSWITCH's event socket costs FreeSWITCH. mod_event_socket reads a
// command one byte per recv() and yields the CPU after each (read_packet), so the router's command bytes are part of
// FreeSWITCH's CPU per call. One real FreeSWITCH 1.10.12 (the test tier's harness), inbound sockets sending
// `api global_getvar <name>` (a lookup that does nothing else) one after another, with names padded to 21, 220 and
// 1020 bytes per command; FreeSWITCH's utime+stime over the commands. Baseline: the 21-byte command in the same run.
// Then the parked-call event socket's nudge (a bare newline that wakes the listener's poll: parked-calls.ts): one
// socket subscribed to an event, a newline every ms for 5 s against 5 s without, FreeSWITCH's CPU and this
// process's per nudge. Asked for by name: `npm run bench -- eslbytes` (or BENCH_ESLBYTES=1 in a full run); needs /opt/peers/freeswitch.
import net from 'node:net';
import { existsSync } from 'node:fs';
import { type BenchContext, type BenchGroup, type BenchRow, row } from './types.ts';
import { treeCpuMs } from './realfs-cpu.ts';

const FS_BIN = '/opt/peers/freeswitch/bin/freeswitch';
const SIZES = [21, 220, 1020] as const;

/** `api global_getvar xxx...` padded to `bytes` in all, with the blank line that ends it. */
function command(bytes: number): string {
  const fixed = 'api global_getvar \n\n'.length;
  return `api global_getvar ${'x'.repeat(Math.max(1, bytes - fixed))}\n\n`;
}

/** An authenticated event socket and a wait for its next whole frame (a reply, or the auth request). */
interface EslConn {
  socket: net.Socket;
  next(): Promise<void>;
}

async function openEsl(eslPort: number): Promise<EslConn> {
  const socket = net.connect(eslPort, '127.0.0.1');
  socket.setNoDelay(true);
  let buf = '';
  let wake: (() => void) | null = null;
  const next = () => new Promise<void>((r) => (wake = r));
  // A frame is complete at its body's end (Content-Length) or, without one, at its blank line.
  socket.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    for (;;) {
      const head = buf.indexOf('\n\n');
      if (head < 0) return;
      const len = /Content-Length: (\d+)/.exec(buf.slice(0, head));
      const end = head + 2 + (len ? Number(len[1]) : 0);
      if (buf.length < end) return;
      buf = buf.slice(end);
      const w = wake;
      wake = null;
      w?.();
    }
  });
  await next(); // auth/request
  socket.write('auth ClueCon\n\n');
  await next();
  return { socket, next };
}

/** Sends `n` commands over `sockets` connections, each waiting for its reply; FreeSWITCH's CPU ms for them. */
async function measure(
  eslPort: number,
  cmd: string,
  n: number,
  sockets: number,
  pid: number,
): Promise<number> {
  const conns: EslConn[] = [];
  for (let i = 0; i < sockets; i++) conns.push(await openEsl(eslPort));
  await new Promise((r) => setTimeout(r, 300));
  const before = treeCpuMs(pid);
  await Promise.all(
    conns.map(async (c) => {
      for (let i = 0; i < n / sockets; i++) {
        const got = c.next();
        c.socket.write(cmd);
        await got;
      }
    }),
  );
  const cpu = treeCpuMs(pid) - before;
  for (const c of conns) c.socket.destroy();
  return cpu;
}

/**
 * A nudge's cost: an event socket with an event subscribed and nothing queued sleeps in poll (20 ms); a newline wakes
 * it. FreeSWITCH's and this process's CPU ms over `spanMs` with a nudge every ms, and over as long without.
 */
async function measureNudges(
  eslPort: number,
  pid: number,
  spanMs: number,
): Promise<{ nudges: number; fsMs: number; fsIdleMs: number; selfMs: number; selfIdleMs: number }> {
  const { socket: s, next } = await openEsl(eslPort);
  const subscribed = next();
  s.write('event plain CHANNEL_PARK\n\n');
  await subscribed;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await sleep(300);
  const span = async (nudge: boolean) => {
    const fs0 = treeCpuMs(pid);
    const me0 = process.cpuUsage();
    let n = 0;
    const t = nudge
      ? setInterval(() => {
          s.write('\n');
          n++;
        }, 1)
      : null;
    await sleep(spanMs);
    if (t) clearInterval(t);
    const me = process.cpuUsage(me0);
    return { n, fs: treeCpuMs(pid) - fs0, self: (me.user + me.system) / 1000 };
  };
  const idle = await span(false);
  const on = await span(true);
  s.destroy();
  return { nudges: on.n, fsMs: on.fs, fsIdleMs: idle.fs, selfMs: on.self, selfIdleMs: idle.self };
}

async function runEslBytes(ctx: BenchContext): Promise<BenchRow[]> {
  const argv = process.argv.slice(2);
  const named = argv.filter((a) => !a.startsWith('--')).some((f) => 'eslbytes'.includes(f));
  if (!named && process.env.BENCH_ESLBYTES !== '1') {
    ctx.log('eslbytes: skipped (starts a real FreeSWITCH): run `npm run bench -- eslbytes`');
    return [];
  }
  if (!existsSync(FS_BIN)) {
    ctx.log('eslbytes: SKIPPED: no FreeSWITCH at /opt/peers/freeswitch (scripts/peers.sh install)');
    return [];
  }
  // The test tier's harness, loaded only now (images without the tests do not carry it).
  const { startFreeSwitch, freeTcpPort } = await import('../../test/real/freeswitch.ts');
  const fs = await startFreeSwitch({ routerPort: await freeTcpPort() });
  const rows: BenchRow[] = [];
  try {
    if (!fs.pid) throw new Error('FreeSWITCH has no pid');
    const note =
      "eslbytes: FreeSWITCH 1.10.12's utime+stime per `api global_getvar <padded name>` on an inbound event socket, each sent after the previous reply; baseline = the 21-byte command on as many sockets";
    for (const sockets of [1, 4]) {
      const perCmd = new Map<number, number>();
      for (const bytes of SIZES) {
        const n = bytes > 500 ? 1000 : 2000;
        await measure(fs.eslPort, command(bytes), 200, sockets, fs.pid); // warm-up
        const cpu = await measure(fs.eslPort, command(bytes), n, sockets, fs.pid);
        perCmd.set(bytes, (cpu * 1000) / n);
        ctx.log(
          `eslbytes: ${sockets} socket(s), ${bytes} B commands: ${((cpu * 1000) / n).toFixed(0)} us each`,
        );
      }
      const base = perCmd.get(SIZES[0])!;
      for (const bytes of SIZES)
        rows.push(
          row(
            `eslbytes.${sockets}sock.${bytes}B_us_per_cmd`,
            perCmd.get(bytes)!,
            'us',
            bytes === SIZES[0] ? undefined : base,
            note,
          ),
        );
      const slope = ((perCmd.get(1020)! - base) * 1000) / (1020 - 21);
      rows.push(
        row(
          `eslbytes.${sockets}sock.ns_per_byte`,
          slope,
          'ns',
          undefined,
          'eslbytes: (cost of a 1020-byte command - cost of a 21-byte one) / 999 bytes',
        ),
      );
    }
    const k = await measureNudges(fs.eslPort, fs.pid, 5000);
    const fsUs = ((k.fsMs - k.fsIdleMs) * 1000) / k.nudges;
    const selfUs = ((k.selfMs - k.selfIdleMs) * 1000) / k.nudges;
    ctx.log(
      `eslbytes: ${k.nudges} nudges in 5 s: FreeSWITCH ${k.fsMs} ms (${k.fsIdleMs} ms without), this process ${k.selfMs.toFixed(0)} ms (${k.selfIdleMs.toFixed(0)} without)`,
    );
    const nudgeNote =
      'eslbytes nudge: a bare newline every ms to an event socket whose listener sleeps in poll, 5 s against 5 s without; CPU per nudge over the idle span';
    rows.push(row('eslbytes.nudge.freeswitch_us', fsUs, 'us', undefined, nudgeNote));
    rows.push(row('eslbytes.nudge.sender_us', selfUs, 'us', undefined, nudgeNote));
  } finally {
    await fs.stop();
  }
  return rows;
}

export const eslBytesGroup: BenchGroup = {
  name: 'eslbytes',
  description:
    "what FreeSWITCH's CPU pays per byte of a command on its event socket (real FreeSWITCH 1.10.12)",
  run: runEslBytes,
};
