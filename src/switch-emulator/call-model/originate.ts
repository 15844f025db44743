// Outbound legs: dial-string parsing (switch_ivr_originate.c syntax) and scripted far ends standing in for
// SIP user agents (agents' phones) so that bridge/originate see answers, ringing, busy and timeouts.
import { randomUUID } from 'node:crypto';
import type { Channel } from './channel.ts';
import type { Core } from './core.ts';
import type { Interrupt } from './interrupt.ts';
import {
  setOutboundAnswerVars,
  setOutboundCreateVars,
  setOutboundDialogVars,
  setOutboundFailureVars,
  type OutboundDial,
} from './sofia-vars.ts';

export interface DialTarget {
  endpoint: string;
  vars: Record<string, string>;
}

/** `{a=b,c=d}ep1[x=y],ep2|ep3` -> failover groups of simultaneous targets. */
export function parseDialString(input: string): DialTarget[][] {
  let s = input.trim();
  const globals: Record<string, string> = {};
  const readVars = (body: string, into: Record<string, string>): void => {
    for (const part of splitTop(body, ',')) {
      const eq = part.indexOf('=');
      if (eq > 0) into[part.slice(0, eq).trim()] = stripQuotes(part.slice(eq + 1).trim());
    }
  };
  if (s.startsWith('{') || s.startsWith('<')) {
    const close = s.startsWith('{') ? s.indexOf('}') : s.indexOf('>');
    if (close > 0) {
      readVars(s.slice(1, close), globals);
      s = s.slice(close + 1);
    }
  }
  return splitTop(s, '|').map((group) =>
    splitTop(group, ',').map((raw) => {
      let ep = raw.trim();
      const vars = { ...globals };
      if (ep.startsWith('[')) {
        const close = ep.indexOf(']');
        if (close > 0) {
          readVars(ep.slice(1, close), vars);
          ep = ep.slice(close + 1);
        }
      }
      if (ep.startsWith('{')) {
        const close = ep.indexOf('}');
        if (close > 0) {
          readVars(ep.slice(1, close), vars);
          ep = ep.slice(close + 1);
        }
      }
      return { endpoint: ep.trim(), vars };
    }),
  );
}

function stripQuotes(v: string): string {
  return v.length >= 2 && v.startsWith("'") && v.endsWith("'") ? v.slice(1, -1) : v;
}

/** Split on `sep` outside of {}, [], <> and quotes. */
function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let cur = '';
  for (const c of s) {
    if (c === "'") quote = !quote;
    else if (!quote && (c === '{' || c === '[' || c === '<')) depth++;
    else if (!quote && (c === '}' || c === ']' || c === '>')) depth--;
    if (c === sep && depth === 0 && !quote) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

export interface ParsedEndpoint {
  tech: 'sofia' | 'user' | 'loopback' | 'null' | 'error' | 'unknown';
  user: string;
  host: string;
  port: number;
  profile: string;
  raw: string;
}

/**
 * `user/<id>[@<domain>]` without a domain is looked up in `defaultDomain` (mod_dptools' user_outgoing_channel:
 * switch_core_get_domain, the global `domain` variable), not in any domain phones happen to register in.
 */
export function parseEndpoint(ep: string, localIp: string, defaultDomain = localIp): ParsedEndpoint {
  const parts = ep.split('/');
  const tech = parts[0] ?? '';
  if (tech === 'user') {
    const spec = parts.slice(1).join('/');
    const at = spec.indexOf('@');
    const user = at < 0 ? spec : spec.slice(0, at);
    const domain = (at < 0 ? '' : spec.slice(at + 1)) || defaultDomain;
    return { tech: 'user', user, host: domain, port: 5060, profile: 'internal', raw: ep };
  }
  if (tech === 'sofia') {
    const profile = parts[1] ?? 'internal';
    const rest = parts.slice(2).join('/');
    if (profile === 'gateway') {
      const number = parts[3] ?? '';
      return { tech: 'sofia', user: number, host: parts[2] ?? localIp, port: 5060, profile, raw: ep };
    }
    const [userPart = '', hostPart = localIp] = rest.replace(/^sip:/, '').split('@');
    const [host = localIp, port = '5060'] = hostPart.split(';')[0]!.split(':');
    return { tech: 'sofia', user: userPart, host, port: Number(port) || 5060, profile, raw: ep };
  }
  if (tech === 'loopback')
    return {
      tech: 'loopback',
      user: parts[1] ?? '',
      host: parts[2] ?? 'default',
      port: 0,
      profile: 'loopback',
      raw: ep,
    };
  if (tech === 'null')
    return { tech: 'null', user: parts[1] ?? '', host: '', port: 0, profile: 'null', raw: ep };
  if (tech === 'error')
    return { tech: 'error', user: parts[1] ?? '', host: '', port: 0, profile: 'error', raw: ep };
  return { tech: 'unknown', user: ep, host: '', port: 0, profile: '', raw: ep };
}

export type LegOutcome = { ok: true; leg: Channel } | { ok: false; cause: string; leg?: Channel };

export interface LegRequest {
  target: DialTarget;
  aLeg?: Channel;
  timeoutSec: number;
  /** Called when the far end rings (for ringback / early media on the A-leg). */
  onRing?: () => void;
  cancel?: Interrupt;
}

// Where a scripted agent's phone "is" when dialled as user/NNNN (sofia_contact lookup stand-in).
function agentContactPort(user: string): number {
  let h = 0;
  for (const c of user) h = (h * 31 + c.charCodeAt(0)) % 900;
  return 5100 + h;
}

/** Place one outbound leg and wait for its outcome (switch_ivr_originate for a single target). */
export async function originateLeg(core: Core, req: LegRequest): Promise<LegOutcome> {
  const localIp = core.opts.localIp;
  const ep = parseEndpoint(req.target.endpoint, localIp, core.defaultDomain);
  const vars = req.target.vars;
  const timeoutSec = Number(vars.leg_timeout ?? vars.originate_timeout ?? req.timeoutSec) || req.timeoutSec;
  if (ep.tech === 'error') return { ok: false, cause: ep.user.toUpperCase() || 'NORMAL_CLEARING' };
  if (ep.tech === 'unknown' || !ep.user) return { ok: false, cause: 'CHAN_NOT_IMPLEMENTED' };
  // sofia_outgoing_channel: a profile or gateway this switch does not have fails at once, before any leg exists
  // (seen on the real server: a transfer dialled sofia/carrier/... against freeswitch-conf's hotline_carrier).
  if (ep.tech === 'sofia') {
    if (ep.profile === 'gateway') {
      if (!core.opts.sofiaGateways.includes(ep.host)) return { ok: false, cause: 'INVALID_GATEWAY' };
    } else if (!core.opts.sofiaProfiles.includes(ep.profile)) return { ok: false, cause: 'INVALID_PROFILE' };
  }
  if (ep.tech === 'null') return originateNull(core, req, ep);
  if (ep.tech === 'loopback') return originateLoopback(core, req, ep);

  const script =
    ep.tech === 'sofia' ? core.agentFor(ep.user, ep.host, ep.port) : core.registeredAgent(ep.user, ep.host);
  const behaviour = script?.behaviour ?? (script ? 'answer' : undefined);
  if (ep.tech === 'user') {
    // user_outgoing_channel: the directory entry's dial-string names the registration; nothing registered
    // there is error/user_not_registered, at once, before any leg exists.
    if (req.aLeg) {
      req.aLeg.vars.set('dialed_user', ep.user);
      req.aLeg.vars.set('dialed_domain', ep.host);
    }
    if (!script || behaviour === 'unregistered') return { ok: false, cause: 'USER_NOT_REGISTERED' };
  }
  const host = ep.tech === 'user' ? '127.0.0.1' : ep.host;
  const port = ep.tech === 'user' ? agentContactPort(ep.user) : ep.port;
  const profileName = ep.tech === 'user' ? 'internal' : ep.profile;
  const name = `sofia/${profileName}/${ep.user}@${host}:${port}`;
  const a = req.aLeg;
  const cidNum = vars.origination_caller_id_number ?? a?.profile.callerIdNumber ?? '0000000000';
  const cidName = vars.origination_caller_id_name ?? a?.profile.callerIdName;
  const dial: OutboundDial = {
    user: ep.user,
    host,
    port,
    profileName,
    localIp,
    sessionId: core.nextSessionId(),
    originateVars: {
      ...(vars.origination_uuid ? { origination_uuid: vars.origination_uuid } : {}),
      ...Object.fromEntries(Object.entries(vars).filter(([k]) => k !== 'origination_uuid')),
    },
  };
  const leg = core.createChannel({
    uuid: vars.origination_uuid,
    name,
    direction: 'outbound',
    tech: 'sofia',
    profile: a
      ? {
          direction: 'outbound',
          logicalDirection: a.profile.logicalDirection,
          username: a.profile.username,
          dialplan: a.profile.dialplan,
          callerIdName: cidName,
          callerIdNumber: cidNum,
          origCallerIdName: cidName,
          origCallerIdNumber: cidNum,
          calleeIdName: 'Outbound Call',
          calleeIdNumber: ep.user,
          ani: a.profile.ani,
          destinationNumber: ep.user,
          source: a.profile.source,
          context: a.profile.context,
        }
      : {
          direction: 'outbound',
          logicalDirection: 'outbound',
          callerIdName: cidName,
          callerIdNumber: cidNum,
          origCallerIdName: cidName,
          origCallerIdNumber: cidNum,
          calleeIdName: 'Outbound Call',
          calleeIdNumber: ep.user,
          ani: cidNum,
          destinationNumber: ep.user,
          source: 'src/switch_ivr_originate.c',
          context: 'default',
        },
    setVars: (ch) => setOutboundCreateVars(ch, dial),
  });
  core.setRunningState(leg, 'CS_ROUTING');
  core.setRunningState(leg, 'CS_CONSUME_MEDIA');

  const endpointKey = ep.user;
  const pause = (ms: number): Promise<'done' | 'cancel' | 'gone'> =>
    new Promise((resolve) => {
      const t = setTimeout(() => finish('done'), ms);
      const offCancel = req.cancel?.on(() => finish('cancel'));
      const onHangup = (ch: Channel): void => {
        if (ch === leg || (a && ch === a)) finish('gone');
      };
      core.on('channel:hangup', onHangup);
      function finish(r: 'done' | 'cancel' | 'gone'): void {
        clearTimeout(t);
        offCancel?.();
        core.off('channel:hangup', onHangup);
        resolve(r);
      }
    });

  const fail = (cause: string, status: number, phrase: string): LegOutcome => {
    if (leg.up) {
      // A final response came back from the far end: its address is now known (a 503 from no answer is local).
      if (status !== 503) leg.profile.networkAddr = host;
      setOutboundFailureVars(leg, dial, status, phrase);
      core.hangup(leg, cause, 'agent');
    }
    return { ok: false, cause, leg };
  };

  if (!script) {
    // Nothing answers at that address: sofia's transaction times out into a local 503.
    await pause(20);
    return fail('NORMAL_TEMPORARY_FAILURE', 503, 'Service Unavailable');
  }
  await pause(5);
  if (behaviour === 'busy') return fail('USER_BUSY', 486, 'Busy Here');
  if (behaviour === 'reject') return fail('CALL_REJECTED', 603, 'Decline');
  if (behaviour === 'unregistered') return fail('NORMAL_TEMPORARY_FAILURE', 503, 'Service Unavailable');

  setOutboundDialogVars(leg, dial);
  leg.profile.networkAddr = host;
  core.markRingReady(leg);
  core.emit('agent:ringing', endpointKey, leg.uuid);
  req.onRing?.();

  const ringMs =
    behaviour === 'no-answer' ? timeoutSec * 1000 : Math.min(script.answerAfterMs ?? 300, timeoutSec * 1000);
  const r = await pause(ringMs);
  const cancelled = (): LegOutcome => {
    if (leg.up) {
      leg.cdrSipVars.push(
        ['sip_hangup_disposition', 'send_cancel'],
        ['sip_invite_failure_status', '487'],
        ['sip_invite_failure_phrase', 'Request Terminated'],
      );
      core.hangup(leg, 'ORIGINATOR_CANCEL', 'switch');
    }
    return { ok: false, cause: 'ORIGINATOR_CANCEL', leg };
  };
  if (r === 'cancel' || (a && !a.up)) return cancelled();
  if (r === 'gone' || !leg.up) return { ok: false, cause: leg.hangupCause ?? 'NORMAL_CLEARING', leg };
  if (behaviour === 'no-answer' || ringMs < (script.answerAfterMs ?? 300)) {
    leg.cdrSipVars.push(
      ['sip_hangup_disposition', 'send_cancel'],
      ['sip_invite_failure_status', '487'],
      ['sip_invite_failure_phrase', 'Request Terminated'],
    );
    core.hangup(leg, 'NO_ANSWER', 'switch');
    return { ok: false, cause: 'NO_ANSWER', leg };
  }
  setOutboundAnswerVars(leg, dial);
  core.answer(leg);
  core.emit('agent:answered', endpointKey, leg.uuid);
  if (script.talkMs !== undefined) scheduleAgentHangup(core, leg, script.talkMs);
  if (script.hangupAfterAnswerMs !== undefined) {
    const drop = () => leg.up && core.hangup(leg, 'NORMAL_CLEARING', 'agent', true);
    // setImmediate runs after this turn's BACKGROUND_JOB is written and before the next read of any socket.
    if (script.hangupAfterAnswerMs === 0) setImmediate(drop);
    else setTimeout(drop, script.hangupAfterAnswerMs);
  }
  return { ok: true, leg };
}

/** The scripted far end hangs up talkMs after being bridged or joined to a call (three_way). */
function scheduleAgentHangup(core: Core, leg: Channel, talkMs: number): void {
  const arm = (): void => {
    const t = setTimeout(() => leg.up && core.hangup(leg, 'NORMAL_CLEARING', 'agent', true), talkMs);
    const off = (ch: Channel): void => {
      if (ch === leg) {
        clearTimeout(t);
        core.off('channel:hangup', off);
      }
    };
    core.on('channel:hangup', off);
  };
  const onBridge = (_a: Channel, b: Channel): void => {
    if (b === leg || _a === leg) {
      core.off('channel:bridged', onBridge);
      core.off('channel:joined', onJoined);
      arm();
    }
  };
  core.on('channel:bridged', onBridge);
  // A leg that joins a call without a bridge (three_way) talks from then on.
  const onJoined = (ch: Channel): void => {
    if (ch === leg) {
      core.off('channel:joined', onJoined);
      arm();
    }
  };
  core.on('channel:joined', onJoined);
  const offAfterHangup = (ch: Channel): void => {
    if (ch === leg) {
      core.off('channel:bridged', onBridge);
      core.off('channel:joined', onJoined);
      core.off('channel:hangup', offAfterHangup);
    }
  };
  core.on('channel:hangup', offAfterHangup);
}

const L16 = { name: 'L16', rate: 8000, bitRate: 128000 };

function setCodecVars(ch: Channel): void {
  ch.vars.set('read_codec', 'L16');
  ch.vars.set('read_rate', '8000');
  ch.vars.set('write_codec', 'L16');
  ch.vars.set('write_rate', '8000');
}

/** null/<x> (mod_loopback's null endpoint): answers at once, L16 media, no far end. */
async function originateNull(core: Core, req: LegRequest, ep: ParsedEndpoint): Promise<LegOutcome> {
  const vars = req.target.vars;
  const cid = vars.origination_caller_id_number ?? '0000000000';
  const leg = core.createChannel({
    uuid: vars.origination_uuid,
    name: `null/${ep.user}`,
    direction: 'outbound',
    tech: 'null',
    profile: {
      direction: 'outbound',
      logicalDirection: 'outbound',
      callerIdNumber: cid,
      origCallerIdNumber: cid,
      calleeIdName: 'Outbound Call',
      calleeIdNumber: ep.user,
      ani: cid,
      destinationNumber: ep.user,
      source: 'mod_loopback',
      context: 'default',
    },
    setVars: (ch) => {
      ch.codec = L16;
      ch.mediaUp = true;
      ch.vars.set('direction', 'outbound');
      ch.vars.set('is_outbound', 'true');
      ch.vars.set('uuid', ch.uuid);
      ch.vars.set('call_uuid', ch.uuid);
      ch.vars.set('session_id', String(core.nextSessionId()));
      setCodecVars(ch);
      ch.vars.set('channel_name', ch.name);
      for (const [k, v] of Object.entries(vars)) ch.vars.set(k, v);
      ch.vars.set('originate_early_media', 'true');
      ch.vars.set('originate_endpoint', 'null');
    },
  });
  core.setRunningState(leg, 'CS_ROUTING');
  core.setRunningState(leg, 'CS_CONSUME_MEDIA');
  core.answer(leg);
  return { ok: true, leg };
}

/**
 * loopback/<exten>[/<context>] (mod_loopback): an outbound A side we return, and an inbound B side that runs
 * the dialplan; answering B answers A.
 */
async function originateLoopback(core: Core, req: LegRequest, ep: ParsedEndpoint): Promise<LegOutcome> {
  const vars = req.target.vars;
  const cid = vars.origination_caller_id_number ?? '0000000000';
  const context = ep.host || 'default';
  const aUuid = vars.origination_uuid ?? randomUUID();
  const bUuid = randomUUID();
  const profile = (direction: 'inbound' | 'outbound') => ({
    direction,
    logicalDirection: direction,
    dialplan: 'xml',
    callerIdNumber: cid,
    origCallerIdNumber: cid,
    calleeIdName: 'Outbound Call',
    calleeIdNumber: context,
    ani: cid,
    destinationNumber: ep.user,
    source: 'mod_loopback',
    context,
  });
  const a = core.createChannel({
    uuid: aUuid,
    name: `loopback/${ep.user}-a`,
    direction: 'outbound',
    tech: 'loopback',
    profile: profile('outbound'),
    setVars: (ch) => {
      ch.codec = L16;
      ch.mediaUp = true;
      ch.vars.set('direction', 'outbound');
      ch.vars.set('is_outbound', 'true');
      ch.vars.set('session_id', String(core.nextSessionId()));
      setCodecVars(ch);
      ch.vars.set('channel_name', ch.name);
      ch.vars.set('uuid', ch.uuid);
      ch.vars.set('call_uuid', ch.uuid);
      for (const [k, v] of Object.entries(vars)) ch.vars.set(k, v);
      ch.vars.set('originate_early_media', 'true');
      ch.vars.set('originate_endpoint', 'loopback');
      ch.vars.set('other_loopback_leg_uuid', bUuid);
      ch.vars.set('loopback_leg', 'A');
      ch.cdrSipVars.push(['is_loopback', '1']);
    },
  });
  const b = core.createChannel({
    uuid: bUuid,
    name: `loopback/${ep.user}-b`,
    direction: 'inbound',
    tech: 'loopback',
    hitDialplan: true,
    profile: profile('inbound'),
    setVars: (ch) => {
      ch.codec = L16;
      ch.mediaUp = true;
      ch.vars.set('direction', 'inbound');
      ch.vars.set('uuid', ch.uuid);
      ch.vars.set('call_uuid', ch.uuid);
      ch.vars.set('session_id', String(core.nextSessionId()));
      ch.vars.set('channel_name', ch.name);
      setCodecVars(ch);
      for (const [k, v] of Object.entries(vars)) ch.vars.set(k, v);
      ch.vars.set('other_loopback_leg_uuid', aUuid);
      ch.vars.set('loopback_leg', 'B');
      ch.cdrSipVars.push(['is_loopback', '1']);
    },
  });
  core.setRunningState(a, 'CS_ROUTING');
  core.setRunningState(a, 'CS_CONSUME_MEDIA');
  const answered = new Promise<boolean>((resolve) => {
    const onAnswer = (ch: Channel): void => {
      if (ch === a) done(true);
    };
    const onHangup = (ch: Channel): void => {
      if (ch === a || ch === b) done(false);
    };
    const timer = setTimeout(() => done(false), req.timeoutSec * 1000);
    function done(ok: boolean): void {
      clearTimeout(timer);
      core.off('channel:answered', onAnswer);
      core.off('channel:hangup', onHangup);
      resolve(ok);
    }
    core.on('channel:answered', onAnswer);
    core.on('channel:hangup', onHangup);
  });
  setImmediate(() => {
    if (!b.up) return;
    core.setCallState(b, 'RINGING');
    core.setRunningState(b, 'CS_ROUTING');
    const actions = core.hunt(b, ep.user, context);
    if (!b.up) return;
    if (!actions.length) return core.hangup(b, 'NO_ROUTE_DESTINATION', 'switch');
    b.state = 'CS_EXECUTE';
    core.setRunningState(b, 'CS_EXECUTE');
    void core.session(b).runExtension(actions);
  });
  if (await answered) return { ok: true, leg: a };
  if (a.up) core.hangup(a, 'NO_ANSWER', 'switch');
  return { ok: false, cause: b.hangupCause ?? a.hangupCause ?? 'NO_ANSWER', leg: a };
}

/** DIALSTATUS as switch_ivr_originate derives it from the failure cause (any other cause is its own name). */
export function dialStatus(cause: string): string {
  switch (cause) {
    case 'SUCCESS':
    case 'NONE':
      return 'SUCCESS';
    case 'USER_BUSY':
      return 'BUSY';
    case 'NO_ANSWER':
      return 'NOANSWER';
    case 'ORIGINATOR_CANCEL':
      return 'CANCEL';
    case 'CALL_REJECTED':
      return 'DONTCALL';
    case 'DESTINATION_OUT_OF_ORDER':
    case 'INVALID_PROFILE':
      return 'INVALIDARGS';
    default:
      return cause;
  }
}

/** Ring a group of simultaneous targets; the first answer wins and the others are cancelled. */
export async function originateGroup(
  core: Core,
  group: DialTarget[],
  base: Omit<LegRequest, 'target'>,
): Promise<LegOutcome> {
  if (group.length === 1) return originateLeg(core, { ...base, target: group[0] as DialTarget });
  const { Interrupt } = await import('./interrupt.ts');
  const cancel = new Interrupt();
  base.cancel?.on(() => cancel.stop('release'));
  let winner: LegOutcome | undefined;
  const results = await Promise.all(
    group.map(async (target) => {
      const r = await originateLeg(core, { ...base, target, cancel });
      if (r.ok && !winner) {
        winner = r;
        cancel.stop('release');
      } else if (r.ok) {
        core.hangup(r.leg, 'LOSE_RACE', 'switch');
      }
      return r;
    }),
  );
  return (
    winner ?? results.find((r) => !r.ok && r.cause !== 'ORIGINATOR_CANCEL') ?? (results[0] as LegOutcome)
  );
}
