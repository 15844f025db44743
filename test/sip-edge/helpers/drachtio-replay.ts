// Replays a recorded drachtio-server session (../shared/fixtures/drachtio) against the emulator: the application's
// bytes go to the emulator's control port as recorded, the SIP peers (sipp, FreeSWITCH) send what the server's own
// log says it received, and every frame and datagram the emulator sends is compared with what the real server
// sent. Values the server chose (message and transaction ids, tags, branches, Call-IDs, CSeq bases, times, and
// the ports of this run) are learnt from the first frame that shows them and mapped both ways; everything else
// must match byte for byte.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { FrameDecoder, encodeFrame } from '../../../src/switch-emulator/drachtio/framing.ts';

export type ReplayEvent =
  | { kind: 'open'; at: number; conn: number }
  | { kind: 'app'; at: number; conn: number; frames: string[] }
  | { kind: 'server'; at: number; conn: number; frames: string[] }
  | { kind: 'app-close'; at: number; conn: number }
  | { kind: 'server-close'; at: number; conn: number }
  | { kind: 'peer-send'; at: number; port: number; bytes: Buffer }
  | { kind: 'expect-udp'; at: number; port: number; text: string };

const HEADER = /^##### (APP->SERVER|SERVER->APP) t=([\d.]+)s bytes=(\d+) conn=(\d+) #####$/;
const OPENED = /^##### CONNECTION (\d+) OPENED t=([\d.]+)s/;
const CLOSED = /^##### CONNECTION (\d+): (APP|SERVER) closed \(FIN\) t=([\d.]+)s/;

/** Transcript blocks, with frames cut out of each direction's byte stream (a block may end mid-frame). */
export function parseTranscript(file: string): ReplayEvent[] {
  const s = readFileSync(file).toString('latin1');
  const start = Date.parse(/started (\S+Z)/.exec(s)?.[1] ?? '');
  if (Number.isNaN(start)) throw new Error(`${file}: no relay start time`);
  const out: ReplayEvent[] = [];
  const decoders = new Map<string, FrameDecoder>();
  let pos = 0;
  while (pos < s.length) {
    const eol = s.indexOf('\n', pos);
    const line = s.slice(pos, eol < 0 ? undefined : eol);
    const next = eol < 0 ? s.length : eol + 1;
    const h = HEADER.exec(line);
    if (h) {
      const bytes = Buffer.from(s.slice(next, next + Number(h[3])), 'latin1');
      const dir = h[1] === 'APP->SERVER' ? 'app' : 'server';
      const conn = Number(h[4]);
      const key = `${dir}${conn}`;
      const dec = decoders.get(key) ?? new FrameDecoder();
      decoders.set(key, dec);
      const frames = dec.push(bytes);
      out.push({ kind: dir, at: start + Number(h[2]) * 1000, conn, frames });
      pos = s.indexOf('##### END', next + Number(h[3]));
      pos = s.indexOf('\n', pos) + 1;
      continue;
    }
    const o = OPENED.exec(line);
    if (o) out.push({ kind: 'open', at: start + Number(o[2]) * 1000, conn: Number(o[1]) });
    const c = CLOSED.exec(line);
    if (c)
      out.push({
        kind: c[2] === 'APP' ? 'app-close' : 'server-close',
        at: start + Number(c[3]) * 1000,
        conn: Number(c[1]),
      });
    pos = next;
  }
  return out;
}

const LOG_LINE = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d+) (.*)$/;

/** The server's own SIP log: what it received (peers' exact bytes) and what it sent. */
export function parseServerLog(file: string): ReplayEvent[] {
  const lines = readFileSync(file).toString('latin1').split('\n');
  const out: ReplayEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = LOG_LINE.exec(lines[i]!);
    if (!m) continue;
    const io = /^(recv|send) (\d+) bytes (?:from|to) udp\/\[[^\]]+\]:(\d+) at (\d\d:\d\d:\d\d)(\.\d+):/.exec(
      m[3]!,
    );
    if (!io) continue;
    let j = i + 1;
    const body: string[] = [];
    while (j < lines.length && !LOG_LINE.test(lines[j]!)) body.push(lines[j++]!);
    i = j - 1;
    let text = body.join('\n').replace(/ $/, '');
    const n = Number(io[2]);
    for (let k = 0; k < 2 && Buffer.byteLength(text, 'latin1') < n; k++) text += '\r\n';
    if (Buffer.byteLength(text, 'latin1') !== n)
      throw new Error(`${file}: cannot rebuild the ${n}-byte message at line ${i + 1}`);
    // The moment the stack sent or received it ("at ..."), to the microsecond.
    const at = Date.parse(`${m[1]}T${io[4]}Z`) + Number(io[5]) * 1000;
    if (io[1] === 'recv')
      out.push({ kind: 'peer-send', at, port: Number(io[3]), bytes: Buffer.from(text, 'latin1') });
    else out.push({ kind: 'expect-udp', at, port: Number(io[3]), text });
  }
  return out;
}

export function timeline(...lists: ReplayEvent[][]): ReplayEvent[] {
  return lists
    .flat()
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.at - b.e.at || a.i - b.i)
    .map((x) => x.e);
}

// ----------------------------------------------------------------------------------------------- values

type Kind = 'uuid' | 'tag' | 'branch' | 'cseq';
const PATTERNS: Array<[Kind, RegExp]> = [
  ['uuid', /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g],
  ['tag', /(?<=tag=)[A-Za-z0-9]{13}(?![A-Za-z0-9])/g],
  ['branch', /(?<=branch=)z9hG4bK[A-Za-z0-9]{13}(?![A-Za-z0-9-])/g],
  ['cseq', /(?<=CSeq: )\d{6,}(?= )/gi],
];

function tokens(text: string): Array<{ kind: Kind; value: string; index: number }> {
  const out: Array<{ kind: Kind; value: string; index: number }> = [];
  for (const [kind, re] of PATTERNS) {
    for (const m of text.matchAll(re)) out.push({ kind, value: m[0], index: m.index ?? 0 });
  }
  return out.sort((a, b) => a.index - b.index);
}

export class Mapper {
  /** Recorded value -> value in this run. */
  readonly fwd = new Map<string, string>();
  private cseqOffset: number | null = null;
  get hasCseq(): boolean {
    return this.cseqOffset !== null;
  }
  /** Recorded port -> live port. */
  readonly ports = new Map<number, number>();

  learn(recorded: string, live: string): string | null {
    const a = tokens(recorded);
    const b = tokens(this.portsToRecorded(live));
    if (a.length !== b.length) return `expected ${a.length} generated values, got ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!;
      const y = b[i]!;
      if (x.kind !== y.kind) return `value ${i}: expected a ${x.kind}, got a ${y.kind}`;
      if (x.kind === 'cseq') {
        const off = Number(y.value) - Number(x.value);
        if (this.cseqOffset === null) this.cseqOffset = off;
        else if (this.cseqOffset !== off) return `CSeq ${y.value} does not follow ${x.value} like the others`;
        continue;
      }
      const known = this.fwd.get(x.value);
      if (known !== undefined && known !== y.value)
        return `${x.kind} ${x.value} was ${known} earlier, now ${y.value}`;
      this.fwd.set(x.value, y.value);
    }
    return null;
  }

  /** Recorded text -> what to send in this run. */
  toLive(recorded: string): string {
    let t = recorded;
    for (const [kind, re] of PATTERNS) {
      t = t.replace(re, (v) => {
        if (kind === 'cseq') return this.cseqOffset === null ? v : String(Number(v) + this.cseqOffset);
        return this.fwd.get(v) ?? v;
      });
    }
    for (const [rec, live] of this.ports) {
      if (rec !== live) t = t.replace(new RegExp(`(?<=[:=|/])${rec}(?!\\d)`, 'g'), String(live));
    }
    return t;
  }

  portsToRecorded(live: string): string {
    let t = live;
    for (const [rec, l] of this.ports) {
      if (rec !== l) t = t.replace(new RegExp(`(?<=[:=|/])${l}(?!\\d)`, 'g'), String(rec));
    }
    return t;
  }

  get samePorts(): boolean {
    return [...this.ports].every(([a, b]) => a === b);
  }
}

/** Values the server chose replaced by their kind, times blanked, length tokens blanked unless ports match. */
export function normalize(text: string, keepLengths: boolean): string {
  let t = text;
  for (const [kind, re] of PATTERNS) t = t.replace(re, `<${kind}>`);
  t = t.replace(/\b\d\d:\d\d:\d\d\.\d{6}\b/g, '<time>');
  if (!keepLengths) {
    t = t.replace(/^([^|\r\n]*\|sip\|(?:network|application)\|)\d+/, '$1<len>');
    t = t.replace(/^([^|\r\n]*\|response\|[^|]*\|OK\|application\|)\d+/, '$1<len>');
  }
  return t;
}

// ----------------------------------------------------------------------------------------------- runner

export interface ReplayTarget {
  controlPort: number;
  sipPort: number;
  recordedSipPort: number;
}

export interface ReplayResult {
  mismatches: string[];
  compared: { frames: number; datagrams: number };
}

interface Conn {
  sock: net.Socket;
  frames: string[];
  waiters: Array<() => void>;
  closed: boolean;
}

export class Replayer {
  readonly mapper = new Mapper();
  private readonly peers = new Map<number, dgram.Socket>();
  private readonly inbox = new Map<number, string[]>();
  private readonly udpWaiters: Array<() => void> = [];
  private readonly conns = new Map<number, Conn>();
  private readonly sent: Buffer[] = [];
  readonly mismatches: string[] = [];
  readonly compared = { frames: 0, datagrams: 0 };

  constructor(
    private readonly target: ReplayTarget,
    private readonly timeoutMs = 4000,
  ) {
    this.mapper.ports.set(target.recordedSipPort, target.sipPort);
  }

  /** Binds a UDP socket for each recorded peer port (the same number when free). */
  async bindPeers(ports: number[]): Promise<void> {
    for (const port of new Set(ports)) {
      const sock = dgram.createSocket('udp4');
      const bound = await new Promise<number>((resolve) => {
        sock.once('error', () => {
          sock.removeAllListeners('error');
          sock.bind(0, '127.0.0.1', () => resolve(sock.address().port));
        });
        sock.bind(port, '127.0.0.1', () => resolve(sock.address().port));
      });
      this.mapper.ports.set(port, bound);
      this.peers.set(port, sock);
      this.inbox.set(port, []);
      sock.on('message', (buf) => {
        this.inbox.get(port)!.push(buf.toString('latin1'));
        for (const w of this.udpWaiters.splice(0)) w();
      });
    }
  }

  private fail(what: string): void {
    this.mismatches.push(what);
  }

  private async waitUntil(check: () => boolean, waiters: Array<() => void>): Promise<boolean> {
    const end = Date.now() + this.timeoutMs;
    while (!check()) {
      const left = end - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 100));
        waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return true;
  }

  /**
   * Events run in recorded order, except that an expectation (a frame or datagram from the server) is awaited
   * lazily: before an input that needs a value the server has yet to show (a transaction id, a tag ...), or once
   * the input is clearly later than it. The two clocks of a recording (relay and server log) differ by a
   * fraction of a millisecond, so a strict time order could await an answer before sending its question.
   */
  async run(events: ReplayEvent[]): Promise<ReplayResult> {
    // A value is the server's (a transaction id, a tag, a branch ...) when the server showed it before any input
    // did. The relay and the server log keep separate clocks, so "before" is judged on the clock of the first
    // input that carries the value, against the server's output on that same clock when there is one.
    const onLog = (x: ReplayEvent) => x.kind === 'peer-send' || x.kind === 'expect-udp';
    const textOf = (e: ReplayEvent): string =>
      e.kind === 'app' || e.kind === 'server'
        ? e.frames.join('\n')
        : e.kind === 'peer-send'
          ? e.bytes.toString('latin1')
          : e.kind === 'expect-udp'
            ? e.text
            : '';
    const first = new Map<string, ReplayEvent>();
    for (const e of events) {
      const role = e.kind === 'app' || e.kind === 'peer-send' ? 'in' : 'out';
      for (const t of tokens(textOf(e))) {
        const k = `${role}|${onLog(e) ? 'log' : 'relay'}|${t.value}`;
        if (!first.has(k)) first.set(k, e);
      }
    }
    const serverValues = new Set<string>();
    for (const e of events) {
      for (const t of tokens(textOf(e))) {
        const at = (role: string, clock: string) => first.get(`${role}|${clock}|${t.value}`)?.at;
        const ins = (['log', 'relay'] as const)
          .map((c) => ({ c, at: at('in', c) }))
          .filter((x) => x.at !== undefined)
          .sort((a, b) => a.at! - b.at!);
        const firstInput = ins[0];
        if (!firstInput) {
          serverValues.add(t.value);
          continue;
        }
        const same = at('out', firstInput.c);
        const other = at('out', firstInput.c === 'log' ? 'relay' : 'log');
        if (same !== undefined ? same < firstInput.at! : other !== undefined && other < firstInput.at! - 1)
          serverValues.add(t.value);
      }
    }
    const pending: ReplayEvent[] = [];
    const flushOne = async () => {
      const e = pending.shift();
      if (e) await this.expect(e);
    };
    for (const e of events) {
      if (this.mismatches.length) break;
      if (e.kind === 'server' || e.kind === 'expect-udp' || e.kind === 'server-close') {
        pending.push(e);
        continue;
      }
      // Same clock: recorded order is causal order. Across clocks: only what is clearly earlier.
      const due = (p: ReplayEvent) => (onLog(p) === onLog(e) ? p.at <= e.at : p.at < e.at - 3);
      while (pending.length && due(pending[0]!)) await flushOne();
      const needs = () =>
        tokens(textOf(e)).some(
          (t) =>
            serverValues.has(t.value) &&
            (t.kind === 'cseq' ? !this.mapper.hasCseq : !this.mapper.fwd.has(t.value)),
        );
      while (pending.length && needs()) await flushOne();
      await this.input(e);
    }
    while (pending.length && !this.mismatches.length) await flushOne();
    // Nothing more may come: no stray frame, no datagram the real server did not send.
    await new Promise((r) => setTimeout(r, 300));
    for (const [id, c] of this.conns) {
      for (const f of c.frames) this.fail(`conn ${id}: unexpected frame ${f.split('\r\n')[0]}`);
    }
    for (const [port, box] of this.inbox) {
      for (const d of box) this.fail(`udp ${port}: unexpected datagram ${d.split('\r\n')[0]}`);
    }
    return { mismatches: this.mismatches, compared: this.compared };
  }

  private async input(e: ReplayEvent): Promise<void> {
    switch (e.kind) {
      case 'open': {
        const sock = net.connect(this.target.controlPort, '127.0.0.1');
        const conn: Conn = { sock, frames: [], waiters: [], closed: false };
        const dec = new FrameDecoder();
        sock.on('data', (b) => {
          conn.frames.push(...dec.push(b));
          for (const w of conn.waiters.splice(0)) w();
        });
        sock.on('close', () => {
          conn.closed = true;
          for (const w of conn.waiters.splice(0)) w();
        });
        await new Promise<void>((r) => sock.once('connect', () => r()));
        this.conns.set(e.conn, conn);
        return;
      }
      case 'app': {
        const conn = this.conns.get(e.conn)!;
        const bytes = Buffer.concat(e.frames.map((f) => encodeFrame(this.mapper.toLive(f))));
        if (bytes.length) conn.sock.write(bytes);
        return;
      }
      case 'app-close':
        this.conns.get(e.conn)?.sock.end();
        return;
      case 'peer-send': {
        const sock = this.peers.get(e.port)!;
        const live = Buffer.from(this.mapper.toLive(e.bytes.toString('latin1')), 'latin1');
        this.sent.push(live);
        await new Promise<void>((r) => sock.send(live, this.target.sipPort, '127.0.0.1', () => r()));
        return;
      }
    }
  }

  private async expect(e: ReplayEvent): Promise<void> {
    switch (e.kind) {
      case 'server': {
        const conn = this.conns.get(e.conn)!;
        for (const expected of e.frames) {
          const ok = await this.waitUntil(() => conn.frames.length > 0, conn.waiters);
          if (!ok) {
            this.fail(`conn ${e.conn}: no frame; expected ${expected.split('\r\n')[0]}`);
            return;
          }
          this.compareFrame(e.conn, expected, conn.frames.shift()!);
        }
        return;
      }
      case 'server-close': {
        const conn = this.conns.get(e.conn)!;
        if (!(await this.waitUntil(() => conn.closed, conn.waiters)))
          this.fail(`conn ${e.conn}: the server did not close the connection`);
        return;
      }
      case 'expect-udp': {
        const box = this.inbox.get(e.port)!;
        if (!(await this.waitUntil(() => box.length > 0, this.udpWaiters))) {
          this.fail(`udp ${e.port}: nothing sent; expected ${e.text.split('\r\n')[0]}`);
          return;
        }
        this.compareDatagram(e.port, e.text, box.shift()!);
        return;
      }
    }
  }

  private compareFrame(conn: number, expected: string, live: string): void {
    this.compared.frames++;
    const why = this.mapper.learn(expected, live);
    if (why) return this.fail(`conn ${conn}: ${why}\n  expected: ${expected}\n  got:      ${live}`);
    this.checkLengths(live);
    const keep = this.mapper.samePorts;
    const a = normalize(expected, keep);
    const b = normalize(this.mapper.portsToRecorded(live), keep);
    if (a !== b) this.fail(`conn ${conn}: frame differs\n${diff(a, b)}`);
  }

  private compareDatagram(port: number, expected: string, live: string): void {
    this.compared.datagrams++;
    const why = this.mapper.learn(expected, live);
    if (why) return this.fail(`udp ${port}: ${why}\n  expected: ${expected}\n  got:      ${live}`);
    const a = normalize(expected, true);
    const b = normalize(this.mapper.portsToRecorded(live), true);
    if (a !== b) this.fail(`udp ${port}: datagram differs\n${diff(a, b)}`);
  }

  /** Length tokens must tell the truth in this run, whatever the ports did to them. */
  private checkLengths(live: string): void {
    const crlf = live.indexOf('\r\n');
    if (crlf < 0) return;
    const t = live.slice(0, crlf).split('|');
    const body = live.slice(crlf + 2);
    if (t[1] === 'response' && t[3] === 'OK' && t[4] === 'application') {
      if (Number(t[5]) !== Buffer.byteLength(body))
        this.fail(`length token ${t[5]} != ${Buffer.byteLength(body)}`);
    }
    if (t[1] === 'sip' && t[2] === 'network') {
      const n = Number(t[3]);
      const first = body.split('\r\n')[0];
      const cseq = /\r\nCSeq:[^\r]*/i.exec(body)?.[0];
      const match = this.sent.find((b) => {
        const s = b.toString('latin1');
        return s.split('\r\n')[0] === first && (!cseq || s.includes(cseq));
      });
      if (match && match.length !== n) this.fail(`wire length token ${n} != ${match.length} bytes sent`);
    }
  }

  async close(): Promise<void> {
    for (const c of this.conns.values()) c.sock.destroy();
    for (const s of this.peers.values()) await new Promise<void>((r) => s.close(() => r()));
  }
}

function diff(a: string, b: string): string {
  const x = a.split('\r\n');
  const y = b.split('\r\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i])
      out.push(`  line ${i}: expected ${JSON.stringify(x[i])}\n          got      ${JSON.stringify(y[i])}`);
  }
  return out.join('\n');
}
