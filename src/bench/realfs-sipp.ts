// sipp for the realfs bench (src/bench/realfs.ts): the scenarios (one REGISTER run for every agent, one UAS that
// plays all agents' phones, one UAC that places a whole run of calls at a fixed rate with a unique caller id per
// call from an injection file), a tracked sipp process, and the parser of sipp's -trace_msg log that the latency
// figures come from.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const SIPP = '/usr/bin/sipp';

const xml = (body: string, name: string) =>
  `<?xml version="1.0" encoding="ISO-8859-1" ?>\n<!DOCTYPE scenario SYSTEM "sipp.dtd">\n<scenario name="${name}">\n${body}\n</scenario>\n`;

const SDP = `v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8 0 101
      a=rtpmap:8 PCMA/8000
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15`;

/**
 * Digest REGISTER of one extension per call: field0 is the extension, field1 sipp's authentication keyword
 * (`[authentication username=1001 password=...]`). Run it from the port the phones' UAS will listen on, so that
 * the Contact, the Via and the packet's source port are all the same: FreeSWITCH has nothing to rewrite.
 */
export function registerScenario(expiresS: number): string {
  const req = (cseq: number, auth: string) => `  <send retrans="500">
    <![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field0]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: ${cseq} REGISTER
      Contact: <sip:[field0]@[local_ip]:[local_port];transport=[transport]>
      Expires: ${expiresS}
      Max-Forwards: 70
      User-Agent: sipp-realfs-agent
${auth}      Content-Length: 0
    ]]>
  </send>`;
  return xml(
    `${req(1, '')}
  <recv response="401" auth="true"/>
${req(2, '      [field1]\n')}
  <recv response="200"/>`,
    'realfs agents register',
  );
}

/** Every agent's phone: 180 at once, 200 OK after ringMs, the agent hangs up after talkMs (or takes a BYE). */
export function phoneScenario(ringMs: number, talkMs: number): string {
  return xml(
    `  <recv request="INVITE">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" check_it="true" assign_to="remote_from"/>
      <ereg regexp="&lt;(sip:[^&gt;]*)&gt;" search_in="hdr" header="Contact:" check_it="true" assign_to="dummy,remote_contact"/>
      <ereg regexp="sip:([0-9]+)@" search_in="msg" check_it="true" assign_to="dummy2,ruser"/>
    </action>
  </recv>
  <Reference variables="dummy,dummy2"/>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[$ruser]@[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0
    ]]>
  </send>
  <pause milliseconds="${ringMs}"/>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[$ruser]@[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      ${SDP}
    ]]>
  </send>
  <recv request="ACK"/>
  <recv request="BYE" timeout="${talkMs}" ontimeout="agentbye"/>
  <send next="end">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <label id="agentbye"/>
  <send retrans="500">
    <![CDATA[
      BYE [$remote_contact] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[$ruser]@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
      To: [$remote_from]
      Call-ID: [call_id]
      CSeq: 1 BYE
      Contact: <sip:[$ruser]@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200"/>
  <label id="end"/>`,
    'realfs agent phones',
  );
}

/**
 * The carrier's calls: field0 is the caller id (unique per call, so both sides' logs correlate), field1 the
 * dialled number. The caller waits for the far end's BYE (the agent hung up) up to patienceMs after the answer,
 * then gives up with its own BYE (counted as failed).
 */
export function callerScenario(patienceMs: number): string {
  const from = `"[field0]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]`;
  return xml(
    `  <send retrans="500">
    <![CDATA[
      INVITE sip:[field1]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: ${from}
      To: <sip:[field1]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      ${SDP}
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: ${from}
      To: <sip:[field1]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv request="BYE" timeout="${patienceMs}" ontimeout="giveup"/>
  <send next="end">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <label id="giveup"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: ${from}
      To: <sip:[field1]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200"/>
  <label id="end"/>`,
    'realfs callers',
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

/** Every process the bench starts, so that it can kill them all whatever happens. */
export class ProcessTracker {
  private readonly children = new Set<ChildProcess>();
  /** pid -> text its command line must contain (so that a reused pid is never killed). */
  private readonly pids = new Map<number, string>();

  add(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  /** A process started by someone else's helper (FreeSWITCH) that must die with the bench all the same. */
  addPid(pid: number, cmdlineHas: string): void {
    this.pids.set(pid, cmdlineHas);
  }

  forgetPid(pid: number): void {
    this.pids.delete(pid);
  }

  /** SIGKILL now, synchronously (process exit, signals). */
  killAllNow(): void {
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
    for (const [pid, has] of this.pids) {
      try {
        if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(has)) continue;
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves when every tracked child exited. */
  async stopAll(graceMs = 3000): Promise<void> {
    await Promise.all([...this.children].map((c) => stopChild(c, graceMs)));
  }
}

export function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface SippRun {
  child: ChildProcess;
  port: number;
  messageFile: string;
  statFile: string;
  /** Exit code (sipp: 0 every call succeeded, 1 some failed, 97/99 stopped, 255/254 fatal). */
  done: Promise<{ code: number; signal: string | null; stderr: string }>;
  stop(): Promise<void>;
}

/**
 * Starts sipp with the bench's common options (127.0.0.1 only, no keyboard, message and error traces, statistics
 * file) and a hard kill after timeoutS + 10 s. Rejects if sipp dies at start (bad scenario, port taken).
 */
export async function startSipp(o: {
  tracker: ProcessTracker;
  dir: string;
  name: string;
  scenario: string;
  port: number;
  args: string[];
  timeoutS: number;
}): Promise<SippRun> {
  const sf = path.join(o.dir, `${o.name}.xml`);
  writeFileSync(sf, o.scenario);
  const messageFile = path.join(o.dir, `${o.name}.messages.log`);
  const statFile = path.join(o.dir, `${o.name}.stat.csv`);
  const args = [
    '-sf',
    sf,
    '-i',
    '127.0.0.1',
    '-p',
    String(o.port),
    '-mi',
    '127.0.0.1',
    '-nostdin',
    '-trace_msg',
    '-message_file',
    messageFile,
    '-trace_err',
    '-error_file',
    path.join(o.dir, `${o.name}.errors.log`),
    '-trace_stat',
    '-stf',
    statFile,
    '-fd',
    '1',
    '-timeout',
    `${o.timeoutS}s`,
    '-timeout_error',
    ...o.args,
  ];
  // In UTC, so that the log's wall-clock times compare with the router's (Date.now()) on any machine's time zone.
  const child = spawn(SIPP, args, {
    cwd: o.dir,
    env: { ...process.env, TZ: 'UTC' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  o.tracker.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const hard = setTimeout(() => child.kill('SIGKILL'), (o.timeoutS + 10) * 1000);
  const done = new Promise<{ code: number; signal: string | null; stderr: string }>((resolve) => {
    child.once('error', (err) => {
      clearTimeout(hard);
      resolve({ code: -1, signal: null, stderr: `${stderr}${err.message}` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(hard);
      resolve({ code: code ?? -1, signal, stderr });
    });
  });
  const early = await Promise.race([done, new Promise<null>((r) => setTimeout(() => r(null), 250))]);
  if (early) {
    throw new Error(
      `sipp ${o.name} exited at start (${early.code}${early.signal ? ` ${early.signal}` : ''}): ${early.stderr.trim().slice(-600)}`,
    );
  }
  return { child, port: o.port, messageFile, statFile, done, stop: () => stopChild(child) };
}

/** The last row of a sipp -trace_stat file as name -> value ("FailedCall(C)" -> "3"). */
export function lastStats(statFile: string): Record<string, string> {
  if (!existsSync(statFile)) return {};
  const lines = readFileSync(statFile, 'utf8').split('\n').filter(Boolean);
  if (lines.length < 2) return {};
  const head = lines[0]!.split(';');
  const last = lines.at(-1)!.split(';');
  return Object.fromEntries(head.map((h, i) => [h, last[i] ?? '']));
}

// ---------------------------------------------------------------------------------------------------------------
// The -trace_msg log

export interface SipMessage {
  /** sipp's wall clock when it sent or took the message, Unix ms (the bench runs sipp with TZ=UTC). */
  t: number;
  dir: 'sent' | 'recv';
  /** Request method, or "" for a response. */
  method: string;
  /** Response status, or 0 for a request. */
  status: number;
  /** User part of the request URI (requests only). */
  ruser: string;
  callId: string;
  /** User part of the From URI. */
  fromUser: string;
  cseqMethod: string;
}

const ENTRY = /^-{20,} (\d{4})-(\d{2})-(\d{2})\s+(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?\s*$/;

/** Parses sipp's -trace_msg file: one entry per message, with sipp's timestamp. */
export function parseMessageLog(text: string): SipMessage[] {
  const out: SipMessage[] = [];
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length) {
    const m = ENTRY.exec(lines[i]!);
    if (!m) {
      i++;
      continue;
    }
    const frac = m[7] ? Number(m[7].padEnd(6, '0')) / 1000 : 0;
    const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) + frac;
    const kind = lines[i + 1] ?? '';
    const dir: 'sent' | 'recv' = /message sent/.test(kind) ? 'sent' : 'recv';
    // The message starts after the blank line that follows the "message sent/received" line.
    let j = i + 2;
    while (j < lines.length && lines[j]!.trim() === '') j++;
    const body: string[] = [];
    for (; j < lines.length && !ENTRY.test(lines[j]!); j++) body.push(lines[j]!);
    i = j;
    const first = body[0]?.trim() ?? '';
    if (!first) continue;
    const msg: SipMessage = {
      t,
      dir,
      method: '',
      status: 0,
      ruser: '',
      callId: '',
      fromUser: '',
      cseqMethod: '',
    };
    const resp = /^SIP\/2\.0 (\d{3})/.exec(first);
    if (resp) msg.status = Number(resp[1]);
    else {
      const req = /^([A-Z]+) (\S+) SIP\/2\.0/.exec(first);
      if (!req) continue;
      msg.method = req[1]!;
      msg.ruser = /^sips?:([^@;>]+)@/.exec(req[2]!)?.[1] ?? '';
    }
    for (const line of body.slice(1)) {
      if (line.trim() === '') break; // end of headers
      const c = line.indexOf(':');
      if (c < 0) continue;
      const name = line.slice(0, c).trim().toLowerCase();
      const value = line.slice(c + 1).trim();
      if (name === 'call-id' || name === 'i') msg.callId = value;
      else if (name === 'from' || name === 'f') msg.fromUser = /sips?:([^@;>]+)@/.exec(value)?.[1] ?? '';
      else if (name === 'cseq') msg.cseqMethod = value.split(/\s+/)[1] ?? '';
    }
    out.push(msg);
  }
  return out;
}
