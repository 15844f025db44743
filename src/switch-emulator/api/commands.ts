// mod_commands API functions (the `api` / `bgapi` surface). Each returns the text FS writes to the stream;
// `null` means "no such command" so the caller answers "-ERR <cmd> Command not found!" like api_exec.
import { randomUUID } from 'node:crypto';
import type { Channel } from '../call-model/channel.ts';
import type { Core } from '../call-model/core.ts';
import { normaliseCause } from '../call-model/causes.ts';
import { localStamp } from '../call-model/event.ts';
import { originateGroup, parseDialString } from '../call-model/originate.ts';
import { waitBridgeEnd } from '../call-model/apps/bridge.ts';
import type { AfterBridge } from '../call-model/session.ts';

export type ApiFn = (core: Core, args: string) => Promise<string>;

function findChannel(core: Core, uuid: string | undefined): Channel | undefined {
  if (!uuid) return undefined;
  return core.channels.get(uuid.trim());
}

const status: ApiFn = async (core) => {
  const ms = core.uptimeMs;
  const days = Math.floor(ms / 86_400_000);
  const hours = Math.floor(ms / 3_600_000) % 24;
  const minutes = Math.floor(ms / 60_000) % 60;
  const seconds = Math.floor(ms / 1000) % 60;
  const millis = ms % 1000;
  const active = core.channels.size;
  return (
    `UP 0 years, ${days} days, ${hours} hours, ${minutes} minutes, ${seconds} seconds, ${millis} milliseconds, 0 microseconds\n` +
    `FreeSWITCH (Version 1.10.12-release  64bit) is ready\n` +
    `${core.sessionsSinceStartup} session(s) since startup\n` +
    `${active} session(s) - peak ${core.peakSessions}, last 5min ${core.peakSessions} \n` +
    `0 session(s) per Sec out of max 30, peak 1, last 5min 1 \n` +
    `1000 session(s) max\n` +
    `min idle cpu 0.00/99.00\n` +
    `Current Stack Size/Max 240K/8192K\n`
  );
};

/** Split "originate" arguments: the dial string (a {..} prefix may hold spaces), then the rest. */
function splitOriginate(args: string): { dial: string; rest: string } {
  const s = args.trim();
  let i = 0;
  if (s.startsWith('{') || s.startsWith('<')) {
    const close = s.indexOf(s[0] === '{' ? '}' : '>');
    i = close < 0 ? s.length : close + 1;
  }
  const sp = s.indexOf(' ', i);
  return sp < 0 ? { dial: s, rest: '' } : { dial: s.slice(0, sp), rest: s.slice(sp + 1).trim() };
}

/** "&app(args)" (args may contain spaces and parentheses) or "&app args"; otherwise an extension. */
function parseOriginateTarget(rest: string): {
  app?: { name: string; data: string };
  exten?: string;
  more: string[];
} {
  if (rest.startsWith('&')) {
    const m = /^&([\w-]+)(?:\((.*)\))?(?:\s+(.*))?$/s.exec(rest);
    if (m) {
      const more = (m[3] ?? '').split(/\s+/).filter(Boolean);
      if (m[2] !== undefined) return { app: { name: m[1] as string, data: m[2] }, more };
      return { app: { name: m[1] as string, data: '' }, more };
    }
  }
  const words = rest.split(/\s+/).filter(Boolean);
  return { exten: words[0], more: words.slice(1) };
}

/** originate <dial string> <&app(args) | extension> [dialplan] [context] [cid_name] [cid_num] [timeout] */
const originate: ApiFn = async (core, args) => {
  const { dial, rest } = splitOriginate(args);
  if (!dial || !rest) {
    return '-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n';
  }
  const target = parseOriginateTarget(rest);
  const groups = parseDialString(dial);
  // Positional options after the target: [dialplan] [context] [cid_name] [cid_num] [timeout_sec].
  const [, context = 'default', cidName, cidNum, timeoutText] = target.more;
  const timeoutArg = Number(timeoutText);
  let outcome: Awaited<ReturnType<typeof originateGroup>> = { ok: false, cause: 'INVALID_NUMBER_FORMAT' };
  for (const group of groups) {
    for (const t of group) {
      if (cidName && !t.vars.origination_caller_id_name) t.vars.origination_caller_id_name = cidName;
      if (cidNum && !t.vars.origination_caller_id_number) t.vars.origination_caller_id_number = cidNum;
    }
    const timeoutSec =
      Number(group[0]?.vars.originate_timeout) ||
      (Number.isFinite(timeoutArg) && timeoutArg > 0 ? timeoutArg : 60);
    outcome = await originateGroup(core, group, { timeoutSec });
    if (outcome.ok) break;
  }
  if (!outcome.ok) return `-ERR ${outcome.cause}\n`;
  const leg = outcome.leg;
  core.flipCid(leg);
  const actions = target.app
    ? [{ app: target.app.name, data: target.app.data }]
    : core.opts.dialplan({
        destination: target.exten ?? '',
        callerIdNumber: leg.profile.callerIdNumber ?? '0000000000',
        callerIdName: leg.profile.callerIdName ?? '',
        context,
        variables: leg.vars.toObject(),
      });
  // mod_loopback's legs (loopback, null) are routed like any channel (CF_DIALPLAN); an originated SIP leg is not.
  if (leg.tech !== 'sofia') leg.hitDialplan = true;
  leg.state = 'CS_EXECUTE';
  core.setRunningState(leg, 'CS_EXECUTE');
  void core.session(leg).runExtension(actions);
  return `+OK ${leg.uuid}\n`;
};

const uuidKill: ApiFn = async (core, args) => {
  const [uuid, cause] = args.trim().split(/\s+/);
  const ch = findChannel(core, uuid);
  if (!ch || !ch.up) return '-ERR No such channel!\n';
  core.hangup(ch, normaliseCause(cause, 'NORMAL_CLEARING'), 'router');
  return '+OK\n';
};

const uuidBreak: ApiFn = async (core, args) => {
  const [uuid, all] = args.trim().split(/\s+/);
  const ch = findChannel(core, uuid);
  if (!ch || !ch.up) return '-ERR No such channel!\n';
  core.session(ch).breakCurrent(all === 'all');
  return '+OK\n';
};

const uuidExists: ApiFn = async (core, args) => {
  const ch = findChannel(core, args.trim());
  return ch && ch.up ? 'true' : 'false';
};

const uuidRecvDtmf: ApiFn = async (core, args) => {
  const [uuid, digits] = args.trim().split(/\s+/);
  const ch = findChannel(core, uuid);
  if (!ch || !ch.up || !digits) return '-ERR No such channel!\n';
  const clean = digits.split('@')[0] ?? digits;
  core.receiveDtmf(ch, clean, 'APP', 2000);
  return `+OK ${ch.uuid} received DTMF ${clean}.\n`;
};

const uuidSetvar: ApiFn = async (core, args) => {
  const m = /^\s*(\S+)\s+([^\s=]+)(?:[\s=]+(.*))?$/.exec(args);
  if (!m) return '-USAGE: <uuid> <var> [value]\n';
  const ch = findChannel(core, m[1]);
  if (!ch) return '-ERR No such channel!\n';
  const value = m[3];
  ch.vars.set(m[2] as string, value === undefined || value === '' || value === 'undef' ? undefined : value);
  return '+OK\n';
};

/** unescape_char in switch_utils.c. */
const UNESCAPE: Record<string, string> = { n: '\n', r: '\r', t: '\t', s: ' ' };

/** cleanup_separated_string: quotes removed, escapes resolved, leading and trailing blanks dropped. */
function cleanupSeparated(str: string, delim: string): string {
  let i = 0;
  while (str[i] === ' ') i++;
  let dest = '';
  let end = -1;
  let inside = false;
  for (; i < str.length; i++) {
    const c = str[i] as string;
    if (c === '\\' && i + 1 < str.length) {
      const n = str[i + 1] as string;
      if (n === "'" || n === '"' || n === delim || n === '\\' || UNESCAPE[n] !== undefined) {
        i++;
        dest += UNESCAPE[n] ?? n;
        end = dest.length;
        continue;
      }
    }
    if (c === "'" && (inside || str.indexOf("'", i + 1) >= 0)) {
      inside = !inside;
      if (inside) end = dest.length;
    } else {
      dest += c;
      if (c !== ' ' || inside) end = dest.length;
    }
  }
  return end >= 0 ? dest.slice(0, end) : dest;
}

/** switch_separate_string with a delimiter other than a blank: quotes group, a backslash escapes. */
export function separateString(buf: string, delim: string): string[] {
  const out: string[] = [];
  let inside = false;
  let start = -1;
  for (let i = 0; i < buf.length; i++) {
    if (start < 0) start = i;
    const c = buf[i];
    if (c === '\\') i++;
    else if (c === "'" && (inside || buf.indexOf("'", i + 1) >= 0)) inside = !inside;
    else if (c === delim && !inside) {
      out.push(buf.slice(start, i));
      start = -1;
    }
  }
  if (start >= 0) out.push(buf.slice(start));
  return out.map((e) => cleanupSeparated(e, delim));
}

/** switch_string_var_check_const: a value holding ${...} is refused by switch_channel_set_variable. */
const holdsVariable = (v: string): boolean => /\$\\*\{/.test(v);

const SETVAR_MULTI_USAGE = '-USAGE: <uuid> <var>=<value>;<var>=<value>...\n';

/**
 * uuid_setvar_multi <uuid> a=1;b=2 (mod_commands): several variables in one command, each set with
 * switch_channel_set_variable ("a" or "a=" unsets, a value holding ${...} is refused). One "-ERR No variable
 * specified" per empty name; "+OK" once anything was set, else the usage. An unknown or hung-up channel is
 * "-ERR No such channel!" followed by the usage; a uuid without variables answers nothing.
 */
const uuidSetvarMulti: ApiFn = async (core, args) => {
  if (!args) return SETVAR_MULTI_USAGE;
  const sp = args.indexOf(' ');
  if (sp < 0) return '';
  const ch = findChannel(core, args.slice(0, sp));
  if (!ch || !ch.up) return `-ERR No such channel!\n${SETVAR_MULTI_USAGE}`;
  let out = '';
  let set = 0;
  for (const item of separateString(args.slice(sp + 1), ';')) {
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? undefined : item.slice(eq + 1);
    if (!name) {
      out += '-ERR No variable specified\n';
      continue;
    }
    if (!value) ch.vars.delete(name);
    else if (!holdsVariable(value)) ch.vars.set(name, value);
    set++;
  }
  return out + (set ? '+OK\n' : SETVAR_MULTI_USAGE);
};

/**
 * uuid_answer <uuid>: switch_channel_answer from the api thread, at once, outside the channel's application
 * queue. An outbound leg is not answered this way (switch_channel_answer returns success and does nothing);
 * an unknown or hung-up channel is "-ERROR".
 */
const uuidAnswer: ApiFn = async (core, args) => {
  const ch = findChannel(core, args);
  if (!ch || !ch.up) return '-ERROR\n';
  if (ch.direction === 'inbound') core.answer(ch);
  return '+OK\n';
};

/** uuid_pre_answer <uuid>: early media (183 with SDP) from the api thread, as uuid_answer answers. */
const uuidPreAnswer: ApiFn = async (core, args) => {
  const ch = findChannel(core, args);
  if (!ch || !ch.up) return '-ERROR\n';
  if (ch.direction === 'inbound') core.preAnswer(ch);
  return '+OK\n';
};

const uuidGetvar: ApiFn = async (core, args) => {
  const [uuid, name] = args.trim().split(/\s+/);
  const ch = findChannel(core, uuid);
  if (!ch) return '-ERR No such channel!\n';
  if (!name) return '-USAGE: <uuid> <var>\n';
  return ch.vars.get(name) ?? '_undef_';
};

/**
 * uuid_bridge A B (switch_ivr_uuid_bridge): both legs leave what they run and are bridged. A channel driven by a
 * socket application (a caller under the router) leaves it for good: the application completes, and when the
 * bridge is over the caller is parked (park_after_bridge), hung up (hangup_after_bridge) or goes on in its
 * dialplan, as uuid_bridge_on_soft_execute does; a B-leg gone before the join parks it with
 * uuid_bridge_park_on_cancel, else hangs it up. Other channels (callback legs parked by originate) follow the
 * one that leaves.
 */
const uuidBridge: ApiFn = async (core, args) => {
  const [ua, ub] = args.trim().split(/\s+/);
  const a = findChannel(core, ua);
  const b = findChannel(core, ub);
  if (!a || !a.up) return `-ERR Invalid uuid ${ua ?? ''}\n`;
  if (!b || !b.up) return `-ERR Invalid uuid ${ub ?? ''}\n`;
  const sa = core.session(a);
  const underSocket = sa.running && !!sa.link;
  let settleA: (after: AfterBridge) => void = () => {};
  if (underSocket) sa.takeForUuidBridge(new Promise<AfterBridge>((r) => (settleA = r)));
  // The other leg (an agent's leg parked by originate) leaves its park too; when the bridge is over it has
  // nothing left to run.
  const sb = core.session(b);
  let settleB: (after: AfterBridge) => void = () => {};
  if (sb.running) sb.takeForUuidBridge(new Promise<AfterBridge>((r) => (settleB = r)));
  const settle = (after: AfterBridge) => {
    settleA(after);
    settleB('continue');
  };
  for (const ch of [a, b]) {
    core.session(ch).breakCurrent(true);
    if (!ch.answered) core.answer(ch);
  }
  const truthy = (v: string | undefined) => /^(true|yes|on|1)$/i.test(v ?? '');
  const later = (f: () => void) => (core.joinDelayMs > 0 ? setTimeout(f, core.joinDelayMs) : setImmediate(f));
  later(() => {
    if (!a.up || !b.up) {
      if (underSocket && a.up) {
        if (truthy(a.vars.get('uuid_bridge_park_on_cancel'))) return settle('park');
        if (truthy(a.vars.get('uuid_bridge_continue_on_cancel'))) return settle('continue');
        core.hangup(a, 'ORIGINATOR_CANCEL', 'switch');
      }
      return settle('hangup');
    }
    core.setRunningState(a, 'CS_SOFT_EXECUTE');
    core.setRunningState(b, 'CS_EXCHANGE_MEDIA');
    // uuid_bridge_on_soft_execute: "fire events that will change the data table from show channels".
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      core.fireChannel(x, 'CHANNEL_EXECUTE', {
        post: [
          ['Application', 'uuid_bridge'],
          ['Application-Data', y.uuid],
        ],
      });
    }
    core.linkBridge(a, b, true);
    void waitBridgeEnd(core, a, b).then(() => {
      const gone = a.up ? b : a;
      const other = gone === a ? b : a;
      core.unlinkBridge(a, b);
      if (underSocket && other === a) {
        if (truthy(a.vars.get('park_after_bridge'))) return settle('park');
        if (truthy(a.vars.get('hangup_after_bridge'))) return settle('hangup');
        return settle('continue');
      }
      settle('hangup');
      // Each leg goes back to executing; with nothing left to do the survivor is hung up too.
      if (other.up) {
        if (other.runningState !== 'CS_EXECUTE') other.runningState = 'CS_EXECUTE';
        core.hangup(other, gone.hangupCause ?? 'NORMAL_CLEARING', 'switch');
      }
    });
  });
  return `+OK ${b.uuid}\n`;
};

const hupall: ApiFn = async (core, args) => {
  const [causeArg, varName, varValue] = args.trim().split(/\s+/);
  const cause = normaliseCause(causeArg, 'MANAGER_REQUEST');
  for (const ch of [...core.channels.values()]) {
    if (!ch.up) continue;
    if (varName && ch.vars.get(varName) !== varValue) continue;
    core.hangup(ch, cause, 'router');
  }
  return '+OK\n';
};

function channelRow(core: Core, ch: Channel): Record<string, string> {
  const created = Math.floor(ch.profile.times.created / 1000);
  const bridged = ch.bridgedTo ? core.channels.get(ch.bridgedTo) : undefined;
  return {
    uuid: ch.uuid,
    direction: ch.direction,
    created: localStamp(created),
    created_epoch: String(Math.floor(created / 1000)),
    name: ch.name,
    state: ch.runningState,
    cid_name: ch.profile.callerIdName ?? '',
    cid_num: ch.profile.callerIdNumber ?? '',
    ip_addr: ch.profile.networkAddr ?? '',
    dest: ch.profile.destinationNumber,
    application: ch.vars.get('current_application') ?? '',
    application_data: ch.vars.get('current_application_data') ?? '',
    dialplan: ch.profile.dialplan ?? '',
    context: ch.profile.context,
    read_codec: ch.mediaUp ? 'PCMU' : '',
    read_rate: ch.mediaUp ? '8000' : '',
    read_bit_rate: ch.mediaUp ? '64000' : '',
    write_codec: ch.mediaUp ? 'PCMU' : '',
    write_rate: ch.mediaUp ? '8000' : '',
    write_bit_rate: ch.mediaUp ? '64000' : '',
    secure: '',
    hostname: core.bus.identity.hostname,
    presence_id: ch.presenceId ?? '',
    presence_data: '',
    accountcode: '',
    callstate: ch.callState,
    callee_name: ch.profile.calleeIdName ?? '',
    callee_num: ch.profile.calleeIdNumber ?? '',
    callee_direction: ch.other ? (ch.direction === 'inbound' ? 'SEND' : 'RECV') : '',
    call_uuid: ch.vars.get('call_uuid') ?? '',
    sent_callee_name: ch.vars.get('last_sent_callee_id_name') ?? '',
    sent_callee_num: ch.vars.get('last_sent_callee_id_number') ?? '',
    initial_cid_name: ch.profile.origCallerIdName ?? '',
    initial_cid_num: ch.profile.origCallerIdNumber ?? '',
    initial_ip_addr: ch.profile.networkAddr ?? '',
    initial_dest: ch.profile.destinationNumber,
    initial_dialplan: ch.profile.dialplan ?? '',
    initial_context: ch.profile.context,
    ...(bridged ? {} : {}),
  };
}

/** show channels [as json|xml] / show calls: the channels table of the core database. */
const show: ApiFn = async (core, args) => {
  const words = args.trim().split(/\s+/);
  const what = (words[0] ?? '').toLowerCase();
  const asIdx = words.findIndex((w) => w.toLowerCase() === 'as');
  const format = asIdx >= 0 ? (words[asIdx + 1] ?? '').toLowerCase() : 'csv';
  if (what !== 'channels' && what !== 'calls') return '-USAGE: show channels [as json]\n';
  const rows = [...core.channels.values()].filter((c) => c.up).map((c) => channelRow(core, c));
  if (format === 'json') {
    if (!rows.length) return JSON.stringify({ row_count: 0 });
    return JSON.stringify({ row_count: rows.length, rows });
  }
  const cols = Object.keys(channelRow(core, placeholder()));
  const lines = [cols.join(','), ...rows.map((r) => cols.map((c) => r[c] ?? '').join(','))];
  return `${lines.join('\n')}\n\n${rows.length} total.\n`;
};

function placeholder(): Channel {
  return {
    uuid: '',
    direction: 'inbound',
    name: '',
    runningState: 'CS_NEW',
    profile: { times: { created: 0 }, destinationNumber: '', context: '' },
    vars: { get: () => undefined },
    callState: 'DOWN',
    mediaUp: false,
  } as unknown as Channel;
}

const version: ApiFn = async () => 'FreeSWITCH Version 1.10.12-release~64bit ( 64bit)\n';

const globalGetvar: ApiFn = async (core, args) => core.globals[args.trim()] ?? '';

const hostname: ApiFn = async (core) => core.bus.identity.hostname;

const uuidDump: ApiFn = async (core, args) => {
  const ch = findChannel(core, args.trim().split(/\s+/)[0]);
  if (!ch) return '-ERR No such channel!\n';
  return ch.vars
    .entries()
    .map(([k, v]) => `variable_${k}: ${v}`)
    .join('\n');
};

/** mod_callcenter's agent commands, as far as they show on the wire (CUSTOM callcenter::info events). */
const callcenterConfig: ApiFn = async (core, args) => {
  const words = [...args.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
  const [obj, action] = words;
  const fire = (func: string, line: number, headers: Array<[string, string]>): void => {
    const h = core.bus.stamp('CUSTOM', { file: 'mod_callcenter.c', func, line }, 'callcenter::info');
    h.push(...headers);
    core.bus.fire({ name: 'CUSTOM', subclass: 'callcenter::info', headers: h });
  };
  if (obj === 'agent' && action === 'add') {
    const [, , name = '', type = 'Callback'] = words;
    fire('cc_agent_add', 915, [
      ['CC-Agent', name],
      ['CC-Agent-Type', type],
      ['CC-Action', 'agent-add'],
    ]);
  } else if (obj === 'agent' && action === 'set' && words[2] === 'status') {
    const [, , , name = '', status = ''] = words;
    fire('cc_agent_update', 1043, [
      ['CC-Agent', name],
      ['CC-Action', 'agent-status-change'],
      ['CC-Agent-Status', status],
    ]);
  } else if (obj === 'agent' && action === 'set' && words[2] === 'state') {
    const [, , , name = '', state = ''] = words;
    fire('cc_agent_update', 1043, [
      ['CC-Agent', name],
      ['CC-Action', 'agent-state-change'],
      ['CC-Agent-State', state],
    ]);
  }
  return '+OK\n';
};

const eventSink: ApiFn = async () => '+OK\n';

export const API_COMMANDS: Record<string, ApiFn> = {
  status,
  originate,
  uuid_kill: uuidKill,
  uuid_break: uuidBreak,
  uuid_exists: uuidExists,
  uuid_recv_dtmf: uuidRecvDtmf,
  uuid_setvar: uuidSetvar,
  uuid_setvar_multi: uuidSetvarMulti,
  uuid_answer: uuidAnswer,
  uuid_pre_answer: uuidPreAnswer,
  uuid_getvar: uuidGetvar,
  uuid_bridge: uuidBridge,
  uuid_dump: uuidDump,
  hupall,
  show,
  version,
  global_getvar: globalGetvar,
  hostname,
  event_sink: eventSink,
  callcenter_config: callcenterConfig,
};

export async function runApi(core: Core, cmd: string, args: string): Promise<string | null> {
  const fn = API_COMMANDS[cmd.toLowerCase()];
  if (!fn) return null;
  return fn(core, args);
}

export const newJobUuid = (): string => randomUUID();
