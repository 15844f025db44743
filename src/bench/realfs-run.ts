// The realfs bench's driver (src/bench/realfs.ts holds the group and its options): one real FreeSWITCH with the
// project's freeswitch-conf, 50 sipp agent phones registered on its agents profile, and for each rate the same
// load through three ways to a human: FreeSWITCH's own dialplan (bridge straight to an agent: the floor),
// mod_callcenter (one queue, longest-idle-agent), and the router (the project's dialplan -> socket -> router in
// its own process). Every process it starts is killed on the way out, errors and signals included.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { CallRecordStore } from '../records/call-records.ts';
import { dayOf } from '../records/day.ts';
import { Keys } from '../redis/keys.ts';
import {
  freeSipPort,
  freeTcpPort,
  type RealFreeSwitch,
  startFreeSwitch,
} from '../../test/real/freeswitch.ts';
import {
  agentSide,
  callerSide,
  figures,
  type OfferFigures,
  offerFigures,
  type RunFigures,
} from './realfs-analysis.ts';
import { treeCpuMs } from './realfs-cpu.ts';
import { type BenchRouter, startBenchRouter } from './realfs-router.ts';
import {
  callerScenario,
  lastStats,
  parseMessageLog,
  phoneScenario,
  ProcessTracker,
  registerScenario,
  type SippRun,
  startSipp,
} from './realfs-sipp.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const MODES = ['dialplan', 'callcenter', 'router', 'routerpark', 'park'] as const;
/** The modes that run the router process: by the dialplan's socket, or parked (HOTLINE_PARKED_CALL_SOCKETS). */
export const routerMode = (m: Mode): boolean => m === 'router' || m === 'routerpark';
export type Mode = (typeof MODES)[number];

export interface RealfsOptions {
  rates: number[];
  /** Calls per rate = rate x seconds. */
  seconds: number;
  modes: Mode[];
  agents: number;
  ringMs: number;
  talkMs: number;
  /** A caller waits this long after FreeSWITCH answered for the agent's hang-up, then gives up. */
  patienceS: number;
  /** Calls (at 5/s) through each mode before its first measured run, not counted. */
  warmup: number;
  /** FreeSWITCH's log level during the runs (fsctl loglevel), the same for every mode. */
  fsLogLevel: string;
  /** The 12345 menu the router gets: its root is the queue (default), or direct mode with a silent greeting. */
  routerMenu: 'queue' | 'direct';
  /** Keep the sipp logs and FreeSWITCH's log under .cache/realfs-bench/. */
  keep: boolean;
  /**
   * Each mode on a FreeSWITCH of its own, started afresh (the group runs the bench once per mode): a FreeSWITCH
   * that has carried one mode's calls is slower for the next (750 mod_callcenter calls at 25/s put 9 ms of CPU
   * on each parked caller after them; the other way round, 1.6 ms on mod_callcenter's).
   */
  freshFs: boolean;
}

export interface RunResult {
  mode: Mode;
  rate: number;
  calls: number;
  figures: RunFigures;
  /** Router mode: placed calls with no call record; null in the other modes. */
  unrecorded: number | null;
  /** Router mode: its offers' order and timing, from the call records' offeredAt. */
  offers?: OfferFigures;
  /** Router mode: records by outcome. */
  outcomes?: Record<string, number>;
  cpuFsMs: number;
  cpuRouterMs: number | null;
  cpuPerCallMs: number;
  /** From the first INVITE to the last channel gone. */
  wallS: number;
  sippExit: number;
  sippFailed: number;
  /** Channels still up 20 s after the caller's sipp ended (hung up by the bench). */
  leftoverChannels: number;
}

export interface RealfsReport {
  results: RunResult[];
  resultsFile: string;
  registration: string;
  menuNote: string;
  /** CPU the idle FreeSWITCH (and router) burn per second, measured before the runs. */
  idle: string;
}

const CC_QUEUE = 'realfs@default';
const CC_DIALLED = 'callcenter';
const ROUTER_DIALLED = '12345';
const PARK_DIALLED = 'parkdrive';
const ROUTERPARK_DIALLED = 'parkrouter';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ext = (i: number) => String(1001 + i);

// ---------------------------------------------------------------------------------------------------------------
// FreeSWITCH configuration for the bench, on top of what install.sh installs

/** The project's agents directory with users up to 1000+agents (the shipped file has 1001-1010). */
function directoryWithAgents(agents: number): string {
  const src = readFileSync(path.join(repo, 'freeswitch-conf', 'directory', 'hotline_agents.xml'), 'utf8');
  const have = new Set([...src.matchAll(/<user id="(\d+)">/g)].map((m) => m[1]!));
  const add: string[] = [];
  for (let i = 0; i < agents; i++) {
    const e = ext(i);
    if (have.has(e)) continue;
    add.push(`          <user id="${e}">
            <params>
              <param name="password" value="$\${hotline_agent_password}"/>
            </params>
            <variables>
              <variable name="effective_caller_id_name" value="Agent ${e}"/>
              <variable name="effective_caller_id_number" value="${e}"/>
            </variables>
          </user>`);
  }
  const at = src.indexOf('        </users>');
  if (at < 0)
    throw new Error('freeswitch-conf/directory/hotline_agents.xml: no </users> to add the bench agents to');
  return `${src.slice(0, at)}${add.join('\n')}${add.length ? '\n' : ''}${src.slice(at)}`;
}

/** The project's hotline_inbound dialplan with the two comparison extensions first (12345 still goes to the router). */
function inboundWithBenchExtensions(): string {
  const src = readFileSync(path.join(repo, 'dialplans', 'hotline_inbound.xml'), 'utf8');
  const open = '<context name="hotline_inbound">';
  const at = src.indexOf(open);
  if (at < 0) throw new Error('dialplans/hotline_inbound.xml: no hotline_inbound context');
  const bench = `
    <!-- realfs bench only (src/bench/realfs-run.ts): FreeSWITCH's own dialplan straight to an agent, and mod_callcenter. -->
    <extension name="realfs_bench_dialplan">
      <condition field="destination_number" expression="^dp(\\d{4})$">
        <action application="set" data="hangup_after_bridge=true"/>
        <action application="set" data="call_timeout=15"/>
        <action application="bridge" data="user/$1@$\${hotline_agents_domain}"/>
        <action application="hangup" data="NORMAL_CLEARING"/>
      </condition>
    </extension>
    <extension name="realfs_bench_router_parked">
      <condition field="destination_number" expression="^${ROUTERPARK_DIALLED}$">
        <action application="multiset" data="${parkedRouterVars()}"/>
        <action application="park"/>
      </condition>
    </extension>
    <extension name="realfs_bench_park">
      <condition field="destination_number" expression="^${PARK_DIALLED}$">
        <action application="multiset" data="${parkVars()}"/>
        <action application="park"/>
      </condition>
    </extension>
    <extension name="realfs_bench_callcenter">
      <condition field="destination_number" expression="^${CC_DIALLED}$">
        <action application="answer"/>
        <action application="callcenter" data="${CC_QUEUE}"/>
        <action application="hangup" data="NORMAL_CLEARING"/>
      </condition>
    </extension>
`;
  return `${src.slice(0, at + open.length)}${bench}${src.slice(at + open.length)}`;
}

/** What the 12345 extension sets, read from the dialplan. */
function twelve345Vars(): string {
  const src = readFileSync(path.join(repo, 'dialplans', 'hotline_inbound.xml'), 'utf8');
  const at = src.indexOf('<extension name="12345_government_service">');
  const m = /application="multiset" data="([^"]+)"/.exec(src.slice(at));
  if (at < 0 || !m) throw new Error('dialplans/hotline_inbound.xml: no 12345 multiset to copy');
  return m[1]!;
}

/**
 * The park mode's variables: those the 12345 extension sets (read from the dialplan, so that the caller's channel
 * events carry as many), with hangup_after_bridge on since nothing follows the conversation.
 */
function parkVars(): string {
  return twelve345Vars()
    .replace('hangup_after_bridge=false', 'hangup_after_bridge=true')
    .replace(
      'hotline_dialplan_extension=12345_government_service',
      'hotline_dialplan_extension=realfs_bench_park',
    );
}

/** The routerpark mode's variables: the 12345 extension's, as 12345, parked for the router (hotline_call_control). */
function parkedRouterVars(): string {
  return twelve345Vars()
    .replace('hotline_dialed=${destination_number}', 'hotline_dialed=12345')
    .replace('hotline_call_control=$${hotline_call_control}', 'hotline_call_control=park');
}

/** One queue, every agent as user/<ext>@domain, longest idle agent first, no wrap-up. */
function callcenterConf(agents: number): string {
  const list = Array.from({ length: agents }, (_, i) => ext(i));
  return `<configuration name="callcenter.conf" description="CallCenter">
  <settings>
  </settings>
  <queues>
    <queue name="${CC_QUEUE}">
      <param name="strategy" value="longest-idle-agent"/>
      <param name="moh-sound" value="$\${hotline_hold_music}"/>
      <param name="time-base-score" value="system"/>
      <param name="max-wait-time" value="0"/>
      <param name="max-wait-time-with-no-agent" value="0"/>
      <param name="max-wait-time-with-no-agent-time-reached" value="5"/>
      <param name="tier-rules-apply" value="false"/>
      <param name="tier-rule-wait-second" value="300"/>
      <param name="tier-rule-wait-multiply-level" value="true"/>
      <param name="tier-rule-no-agent-no-wait" value="false"/>
      <param name="discard-abandoned-after" value="60"/>
      <param name="abandoned-resume-allowed" value="false"/>
    </queue>
  </queues>
  <agents>
${list
  .map(
    (e) =>
      `    <agent name="${e}@default" type="callback" contact="[leg_timeout=15]user/${e}@$\${hotline_agents_domain}" status="Available" max-no-answer="3" wrap-up-time="0" reject-delay-time="2" busy-delay-time="2" no-answer-delay-time="2"/>`,
  )
  .join('\n')}
  </agents>
  <tiers>
${list.map((e) => `    <tier agent="${e}@default" queue="${CC_QUEUE}" level="1" position="1"/>`).join('\n')}
  </tiers>
</configuration>
`;
}

// ---------------------------------------------------------------------------------------------------------------

/** Starts src/bench/realfs-parkdrive.ts and resolves with its pid once it is subscribed. */
async function startParkDriver(tracker: ProcessTracker, env: Record<string, string>): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/bench/realfs-parkdrive.ts'], {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  tracker.add(child);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`park driver not ready in 20 s: ${out.slice(-2000)}`)),
      20_000,
    );
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('parkdrive ready')) {
        clearTimeout(t);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
      if (process.env.PARKDRIVE_TRACE) process.stderr.write(d);
    });
    child.once('exit', (c) => {
      clearTimeout(t);
      reject(new Error(`park driver exited (${c}): ${out.slice(-2000)}`));
    });
  });
  return child.pid!;
}

/** An api command with a bound on the wait (a FreeSWITCH that stopped answering must not hang the bench). */
async function api(fs: RealFreeSwitch, command: string, timeoutMs = 10_000): Promise<string> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      fs.api(command),
      new Promise<never>((_, reject) => {
        t = setTimeout(
          () => reject(new Error(`FreeSWITCH did not answer "${command}" in ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(t);
  }
}

async function channelCount(fs: RealFreeSwitch): Promise<number> {
  const out = await api(fs, 'show channels count');
  const m = /(\d+)\s+total/.exec(out);
  return m ? Number(m[1]) : -1;
}

async function drain(fs: RealFreeSwitch, timeoutMs: number): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const n = await channelCount(fs);
    if (n === 0) return 0;
    if (Date.now() > end) {
      await api(fs, 'hupall NORMAL_CLEARING');
      return n;
    }
    await sleep(250);
  }
}

async function cleanupPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  for (let round = 0; round < 10_000; round++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
    if (cursor === '0') return;
  }
}

export async function runRealfs(
  o: RealfsOptions,
  redisUrl: string,
  log: (m: string) => void,
): Promise<RealfsReport> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = path.join(repo, '.cache', 'realfs-bench', stamp);
  mkdirSync(outDir, { recursive: true });
  const tracker = new ProcessTracker();
  let fs: RealFreeSwitch | null = null;
  let router: BenchRouter | null = null;
  let redis: Redis | null = null;
  const prefix = `hlbench-realfs-${randomBytes(3).toString('hex')}:`;
  const onExit = () => tracker.killAllNow();
  const onSignal = (sig: NodeJS.Signals) => {
    log(`realfs: ${sig}: killing every process the bench started`);
    tracker.killAllNow();
    if (fs && !process.env.HOTLINE_KEEP_REALFS) rmSync(fs.dir, { recursive: true, force: true });
    if (!o.keep) rmSync(outDir, { recursive: true, force: true });
    // The router's keys, best effort and bounded: the bench is stopping.
    const r = redis;
    void Promise.race([r ? cleanupPrefix(r, prefix) : Promise.resolve(), sleep(2000)])
      .catch(() => undefined)
      .finally(() => process.exit(130));
  };
  process.on('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const results: RunResult[] = [];
  const info = { registration: '', menuNote: '', idle: '' };
  let runNo = 0;
  try {
    // One FreeSWITCH for every mode; the router's socket ports are chosen before it starts.
    const routerPort = await freeTcpPort();
    const backupPort = await freeTcpPort();
    log(`realfs: starting FreeSWITCH with ${o.agents} agents, mod_callcenter queue ${CC_QUEUE}`);
    fs = await startFreeSwitch({
      routerPort,
      backupPort,
      extraConf: {
        'directory/hotline_agents.xml': directoryWithAgents(o.agents),
        'dialplan/hotline_inbound.xml': inboundWithBenchExtensions(),
        'autoload_configs/callcenter.conf.xml': callcenterConf(o.agents),
      },
    });
    if (!fs.pid) throw new Error('FreeSWITCH has no pid');
    tracker.addPid(fs.pid, fs.dir);
    const fsRef = fs;
    await api(fs, 'fsctl sps 1000');
    await api(fs, `fsctl loglevel ${o.fsLogLevel}`);
    const ccAgents = (await api(fs, 'callcenter_config agent list'))
      .split('\n')
      .filter((l) => /@default\|/.test(l));
    if (o.modes.includes('callcenter') && ccAgents.length !== o.agents)
      throw new Error(`mod_callcenter loaded ${ccAgents.length} agents, expected ${o.agents}`);

    // The agents' phones: every REGISTER goes out from the port the phones' UAS then listens on, so Contact,
    // Via and source port agree; the bench then checks which contact FreeSWITCH actually stored.
    const phonePort = await freeSipPort();
    const regCsv = path.join(outDir, 'agents.csv');
    writeFileSync(
      regCsv,
      `SEQUENTIAL\n${Array.from(
        { length: o.agents },
        (_, i) => `${ext(i)};[authentication username=${ext(i)} password=${fsRef.agentPassword}]`,
      ).join('\n')}\n`,
    );
    log(`realfs: registering ${o.agents} phones from 127.0.0.1:${phonePort}`);
    const reg = await startSipp({
      tracker,
      dir: outDir,
      name: 'register',
      scenario: registerScenario(3600),
      port: phonePort,
      args: ['-inf', regCsv, '-m', String(o.agents), '-r', '50', '-l', '20', `127.0.0.1:${fs.agentsPort}`],
      timeoutS: 30,
    });
    const regDone = await reg.done;
    if (regDone.code !== 0)
      throw new Error(`REGISTER of the agents failed (sipp ${regDone.code}): ${regDone.stderr.slice(-500)}`);
    const regs = await api(fs, 'sofia status profile hotline_agents reg');
    const contacts = [...regs.matchAll(/Contact:\s+.*<sip:(\d+)@[^:>]+:(\d+)/g)];
    const onPhones = contacts.filter((m) => Number(m[2]) === phonePort).length;
    info.registration = `${onPhones} of ${contacts.length} registered contacts on the phones' port ${phonePort}, which sent the REGISTERs`;
    log(`realfs: ${info.registration}`);
    if (onPhones < o.agents)
      throw new Error(
        `only ${onPhones} of ${o.agents} agents registered at the phones:\n${regs.slice(0, 3000)}`,
      );

    if (o.modes.some(routerMode)) {
      log('realfs: starting the router process');
      router = await startBenchRouter(
        {
          HOTLINE_HTTP_HOST: '127.0.0.1',
          HOTLINE_HTTP_PORT: String(await freeTcpPort()),
          HOTLINE_ESL_LISTEN_HOST: '127.0.0.1',
          HOTLINE_ESL_LISTEN_PORT: String(routerPort),
          HOTLINE_FS_HOST: '127.0.0.1',
          HOTLINE_FS_PORT: String(fs.eslPort),
          HOTLINE_REDIS_URL: redisUrl,
          HOTLINE_REDIS_PREFIX: prefix,
          HOTLINE_INSTANCE_ID: `realfs-${prefix.slice(15, 21)}`,
          HOTLINE_AGENTS_DOMAIN: fs.domain,
          HOTLINE_WRAPUP_S: '0',
          HOTLINE_LOG_LEVEL: process.env.REALFS_ROUTER_LOG_LEVEL ?? 'warn',
          // HOTLINE_PARKED_CALL_SOCKETS in the bench's environment sets the command sockets (default 4).
          HOTLINE_PARKED_CALL_SOCKETS: o.modes.includes('routerpark')
            ? (process.env.HOTLINE_PARKED_CALL_SOCKETS ?? '4')
            : '0',
        },
        tracker,
      );
      redis = new Redis(redisUrl);
      // 12345 without its greeting, for a fair comparison (the other modes play nothing either). The validator
      // wants a greeting in direct mode, so by default the menu's root is the queue itself (no prompt, no key to
      // wait for); --router-menu=direct keeps direct mode with 0.1 s of silence as the greeting, after which the
      // engine still waits 0.5 s for a 0.
      const cur = await router.admin('/admin/ivr/12345');
      if (cur.status !== 200)
        throw new Error(`GET /admin/ivr/12345: ${cur.status} ${JSON.stringify(cur.body)}`);
      const human = cur.body.doc.human as { skill: string; label?: string };
      const doc =
        o.routerMenu === 'direct'
          ? {
              line: '12345',
              mode: 'direct',
              human,
              greeting: { file: 'silence_stream://100', text: '（压测：无欢迎语）' },
            }
          : {
              line: '12345',
              mode: 'menu',
              human,
              root: 'agent',
              nodes: { agent: { type: 'queue', label: human.label ?? '转人工服务', skill: human.skill } },
            };
      const pub = await router.admin('/admin/ivr/12345/publish', {
        method: 'POST',
        body: { operator: 'realfs-bench', doc },
      });
      if (pub.status !== 200)
        throw new Error(`publish 12345 menu: ${pub.status} ${JSON.stringify(pub.body)}`);
      info.menuNote =
        o.routerMenu === 'direct'
          ? `router: 12345 menu v${pub.body.version} published in direct mode without its greeting or survey (0.1 s of silence as greeting; the engine then waits 0.5 s for a 0 key)`
          : `router: 12345 menu v${pub.body.version} published without greeting or survey: its root is the ${human.skill} queue (no prompt, no key wait)`;
      log(`realfs: ${info.menuNote}`);
      for (let i = 0; i < o.agents; i++) {
        const id = `rf${ext(i)}`;
        const put = await router.admin(`/admin/agents/${id}`, {
          method: 'PUT',
          body: { name: `坐席${ext(i)}`, extension: ext(i), skills: { general: 1 } },
        });
        if (put.status >= 300) throw new Error(`add agent ${id}: ${put.status} ${JSON.stringify(put.body)}`);
        const st = await router.admin(`/admin/agents/${id}/state`, {
          method: 'POST',
          body: { state: 'ready' },
        });
        if (st.status >= 300) throw new Error(`agent ${id} ready: ${st.status} ${JSON.stringify(st.body)}`);
      }
    }
    const routerRef = router;
    let parkPid: number | null = null;
    if (o.modes.includes('park')) {
      log('realfs: starting the park-mode driver process');
      parkPid = await startParkDriver(tracker, {
        PARKDRIVE_FS_HOST: '127.0.0.1',
        PARKDRIVE_FS_PORT: String(fs.eslPort),
        PARKDRIVE_FS_PASSWORD: 'ClueCon',
        PARKDRIVE_AGENTS: Array.from({ length: o.agents }, (_, i) => ext(i)).join(','),
        PARKDRIVE_DOMAIN: fs.domain,
      });
    }
    /** The process beside FreeSWITCH whose CPU a mode's calls also cost. */
    const sidePid = (mode: Mode): number | null =>
      routerMode(mode) ? (routerRef?.pid ?? null) : mode === 'park' ? parkPid : null;
    {
      // What they burn doing nothing (timers, heartbeats), for reading CPU per call at low rates.
      const f0 = treeCpuMs(fsRef.pid!);
      const r0 = routerRef ? treeCpuMs(routerRef.pid) : 0;
      const t0 = Date.now();
      await sleep(2000);
      const s = (Date.now() - t0) / 1000;
      info.idle = `FreeSWITCH ${((treeCpuMs(fsRef.pid!) - f0) / s).toFixed(1)} ms/s${
        routerRef ? `, router ${((treeCpuMs(routerRef.pid) - r0) / s).toFixed(1)} ms/s` : ''
      } idle`;
      log(`realfs: idle CPU: ${info.idle}`);
    }
    const records = redis ? new CallRecordStore(redis, new Keys(prefix)) : null;

    const runOnce = async (mode: Mode, rate: number, calls: number, label: string): Promise<RunResult> => {
      const n = ++runNo;
      const dir = path.join(outDir, label);
      mkdirSync(dir, { recursive: true });
      // Everyone back to ready (an agent who missed calls may have been put on a break).
      if (mode === 'callcenter') {
        for (let i = 0; i < o.agents; i++)
          await api(fsRef, `callcenter_config agent set status ${ext(i)}@default Available`);
      }
      if (routerMode(mode) && routerRef) {
        const list = await routerRef.admin('/admin/agents');
        for (const a of (list.body ?? []) as Array<{ id: string; state: string }>) {
          if (a.state === 'not_ready' || a.state === 'logged_out')
            await routerRef.admin(`/admin/agents/${a.id}/state`, {
              method: 'POST',
              body: { state: 'ready' },
            });
        }
      }
      const callerIds = Array.from(
        { length: calls },
        (_, i) => `139${String(n).padStart(2, '0')}${String(i).padStart(6, '0')}`,
      );
      const dialled = (i: number) =>
        mode === 'dialplan'
          ? `dp${ext(i % o.agents)}`
          : mode === 'callcenter'
            ? CC_DIALLED
            : mode === 'park'
              ? PARK_DIALLED
              : mode === 'routerpark'
                ? ROUTERPARK_DIALLED
                : ROUTER_DIALLED;
      const csv = path.join(dir, 'callers.csv');
      writeFileSync(csv, `SEQUENTIAL\n${callerIds.map((c, i) => `${c};${dialled(i)}`).join('\n')}\n`);
      const injectS = calls / rate;
      const callerTimeoutS = Math.ceil(injectS + o.patienceS + (o.talkMs + o.ringMs) / 1000 + 20);
      let phones: SippRun | null = null;
      let caller: SippRun | null = null;
      let ok = false;
      try {
        phones = await startSipp({
          tracker,
          dir,
          name: 'phones',
          scenario: phoneScenario(o.ringMs, o.talkMs),
          port: phonePort,
          args: ['-aa', '-m', '1000000', '-t', 'u1'],
          timeoutS: callerTimeoutS + 60,
        });
        const fs0 = treeCpuMs(fsRef.pid!);
        const side = sidePid(mode);
        const r0 = side ? treeCpuMs(side) : 0;
        const t0 = Date.now();
        caller = await startSipp({
          tracker,
          dir,
          name: 'callers',
          scenario: callerScenario(o.patienceS * 1000),
          port: await freeSipPort(),
          args: [
            '-aa',
            '-inf',
            csv,
            '-r',
            String(rate),
            '-rp',
            '1000',
            '-m',
            String(calls),
            '-l',
            String(calls),
            `127.0.0.1:${fsRef.carrierPort}`,
          ],
          timeoutS: callerTimeoutS,
        });
        const done = await caller.done;
        const leftover = await drain(fsRef, 20_000);
        const wallS = (Date.now() - t0) / 1000;
        await sleep(500); // the router writes its records as the channels go
        const cpuFsMs = treeCpuMs(fsRef.pid!) - fs0;
        const cpuRouterMs = side ? treeCpuMs(side) - r0 : null;
        await phones.stop();
        const callerMsgs = parseMessageLog(readFileSync(caller.messageFile, 'utf8'));
        const phoneMsgs = parseMessageLog(readFileSync(phones.messageFile, 'utf8'));
        const cs = callerSide(callerMsgs);
        const legs = agentSide(phoneMsgs);
        let unrecorded: number | null = null;
        let outcomes: Record<string, number> | undefined;
        let offers: OfferFigures | undefined;
        let recordOutcome = new Map<string, string>();
        if (routerMode(mode) && records) {
          // The records store (what GET /admin/records reads), for the China days the run touched.
          const days = [...new Set([dayOf(t0 - 60_000), dayOf(Date.now())])];
          const want = new Set(cs.keys());
          let got = new Map<string, string>();
          const offeredAt = new Map<string, number>();
          const end = Date.now() + 15_000;
          for (;;) {
            got = new Map();
            for (const d of days)
              for (const r of await records.byDay(d, 1_000_000))
                if (want.has(r.caller)) {
                  got.set(r.caller, r.outcome);
                  if (r.offeredAt) offeredAt.set(r.caller, r.offeredAt);
                }
            if (got.size >= want.size || Date.now() > end) break;
            await sleep(500);
          }
          unrecorded = want.size - got.size;
          recordOutcome = got;
          offers = offerFigures(cs, legs, offeredAt);
          outcomes = {};
          for (const v of got.values()) outcomes[v] = (outcomes[v] ?? 0) + 1;
        }
        // A router's record says whether an answered agent was ever put through to the caller.
        const fig = figures(cs, legs, (id) => {
          const outcome = recordOutcome.get(id);
          return outcome === undefined || outcome === 'answered';
        });
        const stats = lastStats(caller.statFile);
        const r: RunResult = {
          mode,
          rate,
          calls,
          figures: fig,
          unrecorded,
          offers,
          outcomes,
          cpuFsMs,
          cpuRouterMs,
          cpuPerCallMs: (cpuFsMs + (cpuRouterMs ?? 0)) / Math.max(1, fig.placed),
          wallS,
          sippExit: done.code,
          sippFailed: Number(stats['FailedCall(C)'] ?? NaN),
          leftoverChannels: leftover,
        };
        ok = true;
        return r;
      } finally {
        await caller?.stop();
        await phones?.stop();
        // A failed run keeps its sipp logs for a look.
        if (!o.keep && ok) rmSync(dir, { recursive: true, force: true });
        else if (!ok) log(`realfs: ${label} failed; its sipp logs are in ${path.relative(repo, dir)}`);
      }
    };

    const warmed = new Set<Mode>();
    const fmt = (v: number) => (Number.isFinite(v) ? String(Math.round(v)) : '-');
    for (const rate of o.rates) {
      const calls = Math.max(1, Math.round(rate * o.seconds));
      for (const mode of o.modes) {
        if (!warmed.has(mode) && o.warmup > 0) {
          log(`realfs: ${mode}: warm-up, ${o.warmup} calls at 5/s (not counted)`);
          const w = await runOnce(mode, 5, o.warmup, `${mode}-warmup`);
          warmed.add(mode);
          if (w.figures.bridged === 0)
            throw new Error(
              `${mode}: no warm-up call reached an agent (${JSON.stringify({ ...w.figures, latencies: undefined })})`,
            );
        }
        log(`realfs: ${mode}: ${calls} calls at ${rate}/s`);
        const r = await runOnce(mode, rate, calls, `${mode}-${rate}cps`);
        results.push(r);
        const f = r.figures;
        log(
          `realfs: ${mode} ${rate}/s: placed ${f.placed} bridged ${f.bridged} failed ${f.failed}` +
            (r.outcomes?.busy ? ` (of which ${r.outcomes.busy} turned away as busy on purpose)` : '') +
            `${r.unrecorded === null ? '' : ` unrecorded ${r.unrecorded}`} p50 ${fmt(f.p50)} ms p95 ${fmt(f.p95)} ms` +
            ` out-of-order ${f.outOfOrder} (${f.outOfOrderBeyondFrame} by > 20 ms)` +
            (r.offers
              ? ` [router offered ${r.offers.offeredOutOfOrder} out of order, FreeSWITCH reordered ${r.offers.reorderedAfterOffer} after the offer;` +
                ` to the offer p50 ${fmt(r.offers.toOfferP50)} ms, offer to INVITE p50 ${fmt(r.offers.offerToRingP50)} / p95 ${fmt(r.offers.offerToRingP95)} ms]`
              : '') +
            ` cpu ${r.cpuPerCallMs.toFixed(1)} ms/call` +
            (r.cpuRouterMs === null
              ? ''
              : ` (FreeSWITCH ${(r.cpuFsMs / Math.max(1, f.placed)).toFixed(1)}, router ${(r.cpuRouterMs / Math.max(1, f.placed)).toFixed(1)})`),
        );
      }
    }
    if (o.keep && fs) writeFileSync(path.join(outDir, 'freeswitch.log'), fs.log());
    if (o.keep && router) writeFileSync(path.join(outDir, 'router.log'), router.logs.join('\n'));
  } finally {
    await router?.stop().catch(() => undefined);
    await tracker.stopAll().catch(() => undefined);
    if (fs) {
      await fs.stop().catch(() => undefined);
      if (fs.pid) tracker.forgetPid(fs.pid);
    }
    tracker.killAllNow();
    if (redis) {
      await cleanupPrefix(redis, prefix).catch(() => undefined);
      redis.disconnect();
    }
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const resultsFile = path.join(outDir, 'results.json');
  writeFileSync(resultsFile, `${JSON.stringify({ options: o, ...info, results }, null, 1)}\n`);
  if (!o.keep) {
    for (const f of [
      'agents.csv',
      'register.xml',
      'register.messages.log',
      'register.errors.log',
      'register.stat.csv',
    ])
      if (existsSync(path.join(outDir, f))) rmSync(path.join(outDir, f), { force: true });
  }
  return { results, resultsFile, ...info };
}
