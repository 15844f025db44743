// CPU time of a process and its descendants from /proc (utime + stime), for the realfs bench's CPU per call.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticks = 0;

/** Clock ticks per second (getconf CLK_TCK; 100 on Linux). */
export function clockTicks(): number {
  if (!ticks) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    ticks = Number(r.stdout?.trim()) || 100;
  }
  return ticks;
}

interface Stat {
  ppid: number;
  /** utime + stime, clock ticks. */
  cpu: number;
}

function stat(pid: number): Stat | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state ppid ... utime(14) stime(15).
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpu: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

/** CPU milliseconds used so far by pid and every live descendant (tsx's esbuild for the router). */
export function treeCpuMs(pid: number): number {
  const all = new Map<number, Stat>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const s = stat(Number(d));
    if (s) all.set(Number(d), s);
  }
  const inTree = new Set<number>([pid]);
  let grew = true;
  for (let round = 0; grew && round < 10; round++) {
    grew = false;
    for (const [p, s] of all) {
      if (!inTree.has(p) && inTree.has(s.ppid)) {
        inTree.add(p);
        grew = true;
      }
    }
  }
  let t = 0;
  for (const p of inTree) t += all.get(p)?.cpu ?? 0;
  return (t * 1000) / clockTicks();
}
