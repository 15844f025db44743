// Real SIP user agents for the real-server tier: sipp phones that register with digest on FreeSWITCH's agents
// profile and answer (or not), and sipp callers that dial the carrier profile, press keys (RFC 2833 from sipp's
// pcaps, or SIP INFO) and hang up. Scenarios are generated per test so each says exactly what the phone does.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freeSipPort } from './freeswitch.ts';

const SIPP = '/usr/bin/sipp';
const PCAP_DIR = '/usr/share/sip-tester';

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

export interface SippResult {
  code: number;
  messages: string;
  stdout: string;
  stderr: string;
  dir: string;
}

export interface Sipp {
  port: number;
  dir: string;
  done: Promise<SippResult>;
  kill(): void;
  /** The -trace_msg log so far. */
  messages(): string;
}

function run(
  scenario: string,
  args: string[],
  opts: { port?: number; timeoutS?: number; ip?: string } = {},
): Promise<Sipp> {
  return (async () => {
    const port = opts.port ?? (await freeSipPort());
    const dir = mkdtempSync(path.join(os.tmpdir(), 'realsipp-'));
    const sf = path.join(dir, 'scenario.xml');
    writeFileSync(sf, scenario);
    const all = [
      '-sf',
      sf,
      '-i',
      opts.ip ?? '127.0.0.1',
      '-p',
      String(port),
      '-mi',
      opts.ip ?? '127.0.0.1',
      '-nostdin',
      '-trace_msg',
      '-message_file',
      path.join(dir, 'messages.log'),
      '-trace_err',
      '-error_file',
      path.join(dir, 'errors.log'),
      '-timeout',
      `${opts.timeoutS ?? 60}s`,
      ...args,
    ];
    const child = spawn(SIPP, all, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let finalMessages: string | null = null;
    const readMessages = () => {
      if (finalMessages !== null) return finalMessages;
      try {
        return readFileSync(path.join(dir, 'messages.log'), 'utf8');
      } catch {
        return '';
      }
    };
    const hard = setTimeout(() => child.kill('SIGKILL'), ((opts.timeoutS ?? 60) + 10) * 1000);
    const done = new Promise<SippResult>((resolve) =>
      child.on('close', (code) => {
        clearTimeout(hard);
        finalMessages = readMessages();
        // Kept only on request: a run leaves hundreds of these behind otherwise.
        if (!process.env.HOTLINE_KEEP_REALFS) rmSync(dir, { recursive: true, force: true });
        resolve({ code: code ?? -1, messages: finalMessages, stdout, stderr, dir });
      }),
    );
    return {
      port,
      dir,
      done,
      kill: () => child.kill('SIGTERM'),
      messages: readMessages,
    };
  })();
}

// ---------------------------------------------------------------------------------------------------------
// Agents' phones

export type PhoneBehaviour = 'answer' | 'noanswer';

export interface PhoneOptions {
  behaviour: PhoneBehaviour;
  /** Ringing before 200 OK. */
  ringMs?: number;
  /** The agent hangs up after this long in conversation; without it the phone waits for FreeSWITCH's BYE. */
  talkMs?: number;
}

function uasScenario(o: PhoneOptions): string {
  const recvInvite = `  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" check_it="true" assign_to="remote_from"/>
      <ereg regexp="&lt;(sip:[^&gt;]*)&gt;" search_in="hdr" header="Contact:" check_it="true" assign_to="dummy,remote_contact"/>
      <ereg regexp="sip:([0-9]+)@" search_in="msg" check_it="true" assign_to="dummy2,ruser"/>
      <ereg regexp="([0-9]+) INVITE" search_in="hdr" header="CSeq:" check_it="true" assign_to="dummy3,icseq"/>
    </action>
  </recv>
  <Reference variables="dummy,dummy2,dummy3,icseq,remote_contact,remote_from"/>
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
  </send>`;
  if (o.behaviour === 'noanswer') {
    return xml(
      `${recvInvite}
  <recv request="CANCEL"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <send>
    <![CDATA[
      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      CSeq: [$icseq] INVITE
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK"/>`,
      'phone that rings and never answers',
    );
  }
  const bye = o.talkMs
    ? `  <recv request="BYE" timeout="${o.talkMs}" ontimeout="agentbye"/>
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
  <label id="end"/>`
    : `  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>`;
  return xml(
    `${recvInvite}
  <pause milliseconds="${o.ringMs ?? 300}"/>
  <send>
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
  <recv request="ACK" crlf="true"/>
${bye}`,
    'agent phone that answers',
  );
}

function registerScenario(ext: string, password: string, contactPort: number, expires: number): string {
  const req = (cseq: number, auth: string) => `  <send retrans="500">
    <![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:${ext}@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:${ext}@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: ${cseq} REGISTER
      Contact: <sip:${ext}@[local_ip]:${contactPort};transport=[transport]>
      Expires: ${expires}
      Max-Forwards: 70
      User-Agent: sipp-agent
${auth}      Content-Length: 0
    ]]>
  </send>`;
  return xml(
    `${req(1, '')}
  <recv response="401" auth="true"/>
${req(2, `      [authentication username=${ext} password=${password}]\n`)}
  <recv response="200"/>`,
    `register ${ext}`,
  );
}

/** A SIP endpoint on a port of its own, not registered anywhere (the 110 line a transfer dials). */
export async function startUas(o: PhoneOptions): Promise<{ port: number; uas: Sipp; stop(): void }> {
  const uas = await run(uasScenario(o), ['-m', '100', '-t', 'u1'], { timeoutS: 600 });
  const early = await Promise.race([uas.done, new Promise<null>((r) => setTimeout(() => r(null), 300))]);
  if (early) throw new Error(`UAS exited (${early.code}): ${early.stderr.slice(-500)}`);
  return { port: uas.port, uas, stop: () => uas.kill() };
}

export interface Phones {
  port: number;
  uas: Sipp;
  /** INVITEs received, in order, with the extension rung. */
  invites(): string[];
  stop(): void;
}

/**
 * A sipp UAS playing every phone of one behaviour, and a digest REGISTER for each extension with its Contact
 * on that UAS. Resolves once FreeSWITCH accepted every registration.
 */
export async function startPhones(
  fs: { agentsPort: number; agentPassword: string },
  extensions: string[],
  o: PhoneOptions,
): Promise<Phones> {
  const uas = await run(uasScenario(o), ['-m', '100000', '-t', 'u1'], { timeoutS: 600 });
  // sipp refuses a bad scenario at once: fail here, not as phones that never ring.
  const early = await Promise.race([uas.done, new Promise<null>((r) => setTimeout(() => r(null), 300))]);
  if (early) throw new Error(`phone UAS exited (${early.code}): ${early.stderr.slice(-500)}`);
  await Promise.all(
    extensions.map(async (ext) => {
      const reg = await run(
        registerScenario(ext, fs.agentPassword, uas.port, 3600),
        ['-m', '1', `127.0.0.1:${fs.agentsPort}`],
        { timeoutS: 10 },
      );
      const r = await reg.done;
      if (r.code !== 0) throw new Error(`REGISTER ${ext} failed (${r.code}):\n${r.messages.slice(-2000)}`);
    }),
  );
  return {
    port: uas.port,
    uas,
    invites: () => [...uas.messages().matchAll(/^INVITE sip:(\d+)@/gm)].map((m) => m[1]!),
    stop: () => uas.kill(),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Callers

export type CallerStep =
  | { wait: number }
  /** A key pressed as RFC 2833 telephone-events (sipp's recorded pcaps). */
  | { rfc2833: string }
  /** A key sent as SIP INFO (application/dtmf-relay). */
  | { info: string }
  /** Speech: sipp's recorded G.711 A-law RTP (g711a.pcap, 7 s), sent in the background from here on. */
  | { audio: true }
  /** The caller hangs up (BYE). */
  | { hangup: true }
  /** The caller waits for FreeSWITCH to hang up (BYE from the far end), up to ms. */
  | { awaitBye: number };

export interface CallerOptions {
  dialled: string;
  callerId: string;
  steps: CallerStep[];
  /** Extra SIP headers on the INVITE, e.g. X-Hotline-*. */
  headers?: string[];
  timeoutS?: number;
  /** The address the caller sends from (another loopback address stands for another trunk); default 127.0.0.1. */
  ip?: string;
}

const PCAP: Record<string, string> = { '*': 'star', '#': 'pound' };

function callerScenario(o: CallerOptions): string {
  const parts: string[] = [];
  parts.push(`  <send retrans="500">
    <![CDATA[
      INVITE sip:${o.dialled}@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "${o.callerId}" <sip:${o.callerId}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:${o.dialled}@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:${o.callerId}@[local_ip]:[local_port]>
      Max-Forwards: 70
${(o.headers ?? []).map((h) => `      ${h}\n`).join('')}      Content-Type: application/sdp
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
      From: "${o.callerId}" <sip:${o.callerId}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:${o.dialled}@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:${o.callerId}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>`);
  let cseq = 2;
  let ended = false;
  for (const s of o.steps) {
    if ('wait' in s) parts.push(`  <pause milliseconds="${s.wait}"/>`);
    else if ('rfc2833' in s) {
      for (const d of s.rfc2833) {
        parts.push(`  <nop><action><exec play_pcap_audio="${PCAP_DIR}/dtmf_2833_${PCAP[d] ?? d}.pcap"/></action></nop>
  <pause milliseconds="600"/>`);
      }
    } else if ('audio' in s) {
      parts.push(`  <nop><action><exec play_pcap_audio="${PCAP_DIR}/g711a.pcap"/></action></nop>`);
    } else if ('info' in s) {
      for (const d of s.info) {
        const n = cseq++;
        parts.push(`  <send retrans="500">
    <![CDATA[
      INFO [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "${o.callerId}" <sip:${o.callerId}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:${o.dialled}@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${n} INFO
      Contact: <sip:${o.callerId}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal=${d}
      Duration=160
    ]]>
  </send>
  <recv response="200"/>
  <pause milliseconds="300"/>`);
      }
    } else if ('hangup' in s) {
      ended = true;
      parts.push(`  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "${o.callerId}" <sip:${o.callerId}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:${o.dialled}@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} BYE
      Contact: <sip:${o.callerId}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200"/>`);
      break;
    } else if ('awaitBye' in s) {
      ended = true;
      parts.push(`  <recv request="BYE" timeout="${s.awaitBye}"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>`);
      break;
    }
  }
  if (!ended) throw new Error('a caller scenario ends with hangup or awaitBye');
  return xml(parts.join('\n'), `caller ${o.dialled}`);
}

/** sipp's exit status when a bind fails with EADDRINUSE. */
const SIPP_BIND_ERROR = 254;

/** One call from the "carrier" (sipp on 127.0.0.1) to FreeSWITCH's carrier profile. */
export async function placeCall(fs: { carrierPort: number }, o: CallerOptions): Promise<Sipp> {
  return calling(() =>
    run(callerScenario(o), ['-m', '1', '-l', '1', `127.0.0.1:${fs.carrierPort}`], {
      timeoutS: o.timeoutS ?? 60,
      ip: o.ip,
    }),
  );
}

/** A caller's sipp, started again (up to twice) when it lost its port before it sent anything. */
async function calling(start: () => Promise<Sipp>): Promise<Sipp> {
  let current = await start();
  // freeSipPort checks a port and closes it before sipp binds it: another process may take it in between, and sipp
  // then exits before sending anything. That caller never called: it calls again from a fresh port.
  const done = (async (): Promise<SippResult> => {
    for (let attempt = 1; ; attempt++) {
      const r = await current.done;
      if (r.code !== SIPP_BIND_ERROR || r.messages || attempt >= 3) return r;
      current = await start();
    }
  })();
  return {
    get port() {
      return current.port;
    },
    get dir() {
      return current.dir;
    },
    done,
    kill: () => current.kill(),
    messages: () => current.messages(),
  };
}

/**
 * Many calls from one sipp at a steady rate, each with its own caller id (sipp's `-inf`: `[field0]` in the
 * scenario), for what a burst of separate sipp processes cannot pace. The trace holds every call's messages.
 */
export async function placeCalls(
  fs: { carrierPort: number },
  o: Omit<CallerOptions, 'callerId'> & { callerIds: string[]; perSecond: number },
): Promise<Sipp> {
  const csvDir = mkdtempSync(path.join(os.tmpdir(), 'realsipp-ids-'));
  const csv = path.join(csvDir, 'callers.csv');
  writeFileSync(csv, `SEQUENTIAL\n${o.callerIds.map((id) => `${id};`).join('\n')}\n`);
  const n = String(o.callerIds.length);
  const sipp = await calling(() =>
    run(
      callerScenario({ ...o, callerId: '[field0]' }),
      ['-inf', csv, '-r', String(o.perSecond), '-m', n, '-l', n, `127.0.0.1:${fs.carrierPort}`],
      { timeoutS: o.timeoutS ?? 60, ip: o.ip },
    ),
  );
  void sipp.done.finally(() => rmSync(csvDir, { recursive: true, force: true }));
  return sipp;
}

// ---------------------------------------------------------------------------------------------------------
// Phones registered at the SIP edge

/**
 * Phones that register with the SIP edge (through drachtio-server) rather than with FreeSWITCH. The edge rings a
 * softphone at the address its REGISTER came from (as for a phone behind NAT), so each extension registers from
 * the port its own sipp UAS then listens on. Resolves once the edge accepted every registration (digest).
 */
export async function startEdgePhones(
  registrar: { sipPort: number; password: string },
  extensions: string[],
  o: PhoneOptions,
): Promise<Phones> {
  const uases: Sipp[] = [];
  try {
    for (const ext of extensions) {
      const port = await freeSipPort();
      const reg = await run(
        registerScenario(ext, registrar.password, port, 3600),
        ['-m', '1', `127.0.0.1:${registrar.sipPort}`],
        { port, timeoutS: 10 },
      );
      const r = await reg.done;
      if (r.code !== 0)
        throw new Error(`REGISTER ${ext} at the edge failed (${r.code}):\n${r.messages.slice(-2000)}`);
      const uas = await run(uasScenario(o), ['-m', '100000', '-t', 'u1'], { port, timeoutS: 600 });
      const early = await Promise.race([
        uas.done,
        new Promise<null>((res) => setTimeout(() => res(null), 300)),
      ]);
      if (early) throw new Error(`phone UAS ${ext} exited (${early.code}): ${early.stderr.slice(-500)}`);
      uases.push(uas);
    }
  } catch (err) {
    for (const u of uases) u.kill();
    throw err;
  }
  return {
    port: uases[0]!.port,
    uas: uases[0]!,
    invites: () => uases.flatMap((u) => [...u.messages().matchAll(/^INVITE sip:(\d+)@/gm)].map((m) => m[1]!)),
    stop: () => uases.forEach((u) => u.kill()),
  };
}
