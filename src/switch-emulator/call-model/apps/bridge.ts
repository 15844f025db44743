// mod_dptools bridge: originate the B-leg(s), then switch_ivr_multi_threaded_bridge until one side leaves.
import type { Channel } from '../channel.ts';
import type { Core } from '../core.ts';
import { dialStatus, originateGroup, parseDialString, type LegOutcome } from '../originate.ts';
import type { AppFn } from '../session.ts';

const truthy = (v: string | undefined): boolean => !!v && /^(true|yes|on|1|enabled|active|allow)$/i.test(v);

/** switch_channel_handle_cause: decide whether a failed bridge hangs the caller up. */
export function handleCause(core: Core, ch: Channel, cause: string): void {
  if (!ch.up || cause === 'ATTENDED_TRANSFER') return;
  const cof = ch.vars.get('continue_on_fail');
  const failureCauses = ch.vars.get('failure_causes');
  if (cof || failureCauses) {
    if (failureCauses && !failureCauses.split(',').some((c) => c.trim().toUpperCase() === cause)) return;
    if (cof && (truthy(cof) || cof.split(',').some((c) => c.trim().toUpperCase() === cause))) return;
  } else if (cause === 'NO_ANSWER' || cause === 'NO_USER_RESPONSE' || cause === 'ORIGINATOR_CANCEL') {
    // "no answer is *always* a reason to continue"
    return;
  }
  core.hangup(ch, cause, 'switch');
}

/** Wait until either leg hangs up or the bridge is broken (uuid_break / app stop). */
export function waitBridgeEnd(
  core: Core,
  a: Channel,
  b: Channel,
  stop?: { on(fn: () => void): () => void },
): Promise<void> {
  return new Promise((resolve) => {
    if (!a.up || !b.up) return resolve();
    const unsub: Array<() => void> = [];
    const done = (): void => {
      for (const u of unsub) u();
      resolve();
    };
    const onHangup = (ch: Channel): void => {
      if (ch === a || ch === b) done();
    };
    core.on('channel:hangup', onHangup);
    unsub.push(() => core.off('channel:hangup', onHangup));
    if (stop) unsub.push(stop.on(done));
  });
}

const bridge: AppFn = async (ctx, data) => {
  const { core, channel: a } = ctx;
  const groups = parseDialString(data);
  const timeoutSec = Number(a.vars.get('call_timeout') ?? a.vars.get('originate_timeout') ?? 60) || 60;
  let outcome: LegOutcome = { ok: false, cause: 'INVALID_NUMBER_FORMAT' };
  const causes: string[] = [];
  for (const group of groups) {
    if (!a.up) break;
    outcome = await originateGroup(core, group, {
      aLeg: a,
      timeoutSec,
      cancel: ctx.interrupt,
      onRing: () => {
        if (a.vars.get('ringback') && !a.answered) core.preAnswer(a);
      },
    });
    if (outcome.leg) causes.push(`${outcome.leg.uuid};${outcome.ok ? 'NONE' : outcome.cause}`);
    if (outcome.ok) break;
  }
  const v = a.vars;
  if (!outcome.ok) {
    const cause = a.up ? outcome.cause : 'ORIGINATOR_CANCEL';
    v.set('originate_disposition', cause);
    v.set('DIALSTATUS', dialStatus(cause));
    if (causes.length) v.set('originate_causes', causes.join('|'));
    v.set('originate_failed_cause', cause);
    handleCause(core, a, cause);
    return;
  }
  const b = outcome.leg;
  if (!a.up) {
    core.hangup(b, 'ORIGINATOR_CANCEL', 'switch');
    return;
  }
  v.set(
    'originated_legs',
    `${b.uuid};${b.profile.calleeIdName ?? 'Outbound Call'};${b.profile.destinationNumber}`,
  );
  const rsdp = b.vars.get('switch_r_sdp');
  if (rsdp) v.set('switch_m_sdp', rsdp);
  v.set('video_media_flow', 'inactive');
  v.set('text_media_flow', 'inactive');
  v.set('audio_media_flow', 'sendrecv');
  v.set('originate_disposition', 'SUCCESS');
  v.set('DIALSTATUS', 'SUCCESS');
  v.set('originate_causes', causes.join('|'));
  if (!a.answered) core.answer(a);
  core.linkBridge(a, b);
  // The bridge loop reads the A-leg's digits (DTMF events fire) and passes them on.
  core.setDtmfHandler(a, () => undefined);
  await waitBridgeEnd(core, a, b, ctx.interrupt);
  core.setDtmfHandler(a, undefined);
  if (!a.up && b.up) core.hangup(b, 'NORMAL_CLEARING', 'switch');
  core.unlinkBridge(a, b);
  if (b.up) core.hangup(b, 'NORMAL_CLEARING', 'switch');
  if (a.up && truthy(v.get('hangup_after_bridge'))) core.hangup(a, 'NORMAL_CLEARING', 'switch');
};

export const bridgeApps: Record<string, AppFn> = { bridge };
