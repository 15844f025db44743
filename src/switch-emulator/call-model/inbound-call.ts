// A scripted caller arriving on a sofia profile (the carrier trunk): INVITE -> channel -> dialplan -> session,
// plus the caller's own behaviour (DTMF after answer, abandon, BYE timers).
import { randomInt } from 'node:crypto';
import type { Channel } from './channel.ts';
import type { Core } from './core.ts';
import { nowUsec } from './event.ts';
import { setInboundInviteVars } from './sofia-vars.ts';
import type { CallSummary, CallerScript, EmulatedCall } from './types.ts';

export function placeCall(core: Core, script: CallerScript): EmulatedCall {
  const profileName = script.profile ?? 'carrier';
  const context = script.context ?? 'hotline_inbound';
  const callerIdName = script.callerIdName ?? script.callerIdNumber;
  const peer = script.peer ?? { ip: '127.0.0.1', port: 5070 + randomInt(0, 900) };
  const name = `sofia/${profileName}/${script.callerIdNumber}@${peer.ip}:${peer.port}`;
  const startedMs = Date.now();
  const ch = core.createChannel({
    name,
    direction: 'inbound',
    tech: 'sofia',
    hitDialplan: true,
    presenceId: `${script.callerIdNumber}@${peer.ip}`,
    profile: {
      direction: 'inbound',
      logicalDirection: 'inbound',
      username: script.callerIdNumber,
      dialplan: 'XML',
      callerIdName,
      callerIdNumber: script.callerIdNumber,
      origCallerIdName: callerIdName,
      origCallerIdNumber: script.callerIdNumber,
      networkAddr: peer.ip,
      ani: script.callerIdNumber,
      destinationNumber: script.destination,
      source: 'mod_sofia',
      context,
    },
    setVars: (c) =>
      setInboundInviteVars(
        c,
        {
          callerIdNumber: script.callerIdNumber,
          callerIdName,
          destination: script.destination,
          profileName,
          peer,
          localIp: core.opts.localIp,
          sipHeaders: script.sipHeaders ?? {},
          sessionId: core.nextSessionId(),
        },
        nowUsec(),
      ),
  });

  let resolveEnded!: (s: CallSummary) => void;
  const ended = new Promise<CallSummary>((r) => (resolveEnded = r));
  const timers: NodeJS.Timeout[] = [];
  const later = (ms: number, fn: () => void): void => {
    timers.push(setTimeout(fn, Math.max(0, ms)));
  };
  // The caller hangs up: CANCEL before answer (ORIGINATOR_CANCEL), BYE after (NORMAL_CLEARING).
  const callerHangup = (): void => {
    if (!ch.up) return;
    core.hangup(ch, ch.answered ? 'NORMAL_CLEARING' : 'ORIGINATOR_CANCEL', 'caller', ch.answered);
  };

  const onAnswered = (c: Channel): void => {
    if (c !== ch) return;
    for (const d of script.dtmf ?? [])
      later(d.afterAnswerMs, () => ch.up && core.receiveDtmf(ch, d.digits, 'RTP', 960));
    if (script.hangupAfterAnswerMs !== undefined) later(script.hangupAfterAnswerMs, callerHangup);
  };
  const onBridged = (a: Channel, b: Channel): void => {
    if (a !== ch && b !== ch) return;
    if (patience) clearTimeout(patience);
    if (script.hangupAfterBridgeMs !== undefined) later(script.hangupAfterBridgeMs, callerHangup);
  };
  const onComplete = (c: Channel): void => {
    if (c !== ch) return;
    core.off('channel:answered', onAnswered);
    core.off('channel:bridged', onBridged);
    core.off('channel:complete', onComplete);
    for (const t of timers) clearTimeout(t);
    if (patience) clearTimeout(patience);
    const summary: CallSummary = {
      uuid: ch.uuid,
      destination: script.destination,
      callerIdNumber: script.callerIdNumber,
      answered: ch.answered,
      bridgedTo: ch.lastBridgedTo,
      hangupCause: ch.hangupCause ?? 'NORMAL_CLEARING',
      hangupBy: ch.hangupBy ?? 'switch',
      durationMs: Date.now() - startedMs,
    };
    core.emit('call:ended', summary);
    resolveEnded(summary);
  };
  core.on('channel:answered', onAnswered);
  core.on('channel:bridged', onBridged);
  core.on('channel:complete', onComplete);
  const patience = script.patienceMs !== undefined ? setTimeout(callerHangup, script.patienceMs) : undefined;

  // Routing: hunt the dialplan, copying what the hunt set (DP_MATCH, inline sets) onto the channel.
  setImmediate(() => {
    if (!ch.up) return;
    core.setCallState(ch, 'RINGING');
    core.setRunningState(ch, 'CS_ROUTING');
    const actions = core.hunt(ch, script.destination, context);
    if (!ch.up) return;
    if (!actions.length) {
      core.hangup(ch, 'NO_ROUTE_DESTINATION', 'switch');
      return;
    }
    ch.state = 'CS_EXECUTE';
    core.setRunningState(ch, 'CS_EXECUTE');
    void core.session(ch).runExtension(actions);
  });

  return {
    uuid: ch.uuid,
    ended,
    sendDtmf: (digits) => ch.up && core.receiveDtmf(ch, digits, 'RTP', 960),
    hangup: (cause) => {
      if (!ch.up) return;
      core.hangup(
        ch,
        cause ?? (ch.answered ? 'NORMAL_CLEARING' : 'ORIGINATOR_CANCEL'),
        'caller',
        ch.answered,
      );
    },
  };
}
