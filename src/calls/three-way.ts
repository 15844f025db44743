// A three-way call of citizen, agent and an emergency line (国办发〔2022〕12号: 12345 and 110 hold a three-way
// call when it is unclear who is responsible). FreeSWITCH here has no conference module, and the citizen's channel
// must stay in the router's socket session: so the line's leg is originated straight into mod_dptools `three_way`
// on the citizen's channel (an eavesdrop that mixes both ways). The citizen's bridge to the agent is left as it
// is; the line hears both and is heard by both. When the agent leaves, the citizen goes on talking with the line
// through the same eavesdrop, while the router keeps the citizen's channel reading and writing frames (endless
// silence), since the mixing rides on those frames.
import { randomUUID } from 'node:crypto';
import { callerIdForDial, channelUuid, channelVars, DialStringError, sipTarget } from '../esl/dial-string.ts';
import type { FreeSwitchLink } from '../esl/inbound-client.ts';

/** Set on the line's leg: the router's inbound filters pass its hangup (src/router.ts INBOUND_EVENT_FILTERS). */
export const CONFERENCE_LEG_VAR = 'hotline_conference_leg';

/** How long the emergency line may ring before the agent is told it did not answer. */
const LINE_RING_S = 20;

export interface ThreeWayRequest {
  callId: string;
  /** The citizen's channel, which the line's leg joins. */
  citizenUuid: string;
  /** The citizen's number, shown to the line. */
  caller: string;
  /** The line's SIP address (HOTLINE_EMERGENCY_LINES). */
  uri: string;
  carrierProfile: string;
}

export class ThreeWayLeg {
  /** The line's leg ended (hung up, or its eavesdrop lost the citizen). */
  gone = false;
  readonly ended: Promise<void>;

  private constructor(
    readonly uuid: string,
    private readonly link: FreeSwitchLink,
    ended: Promise<string>,
  ) {
    this.ended = ended.then(() => {
      this.gone = true;
    });
  }

  /**
   * Rings the line and joins it to the citizen's call once it answers. Resolves with the leg, or with FreeSWITCH's
   * reason when the line did not answer (the call is then as it was).
   */
  static async dial(link: FreeSwitchLink, req: ThreeWayRequest): Promise<ThreeWayLeg | { failed: string }> {
    if (link.state !== 'connected') return { failed: `FreeSWITCH link ${link.state}` };
    // The citizen's uuid goes into an application argument: FreeSWITCH's own uuids only.
    let citizen: string;
    try {
      citizen = channelUuid(req.citizenUuid);
    } catch (e) {
      if (e instanceof DialStringError) return { failed: 'not a channel uuid' };
      throw e;
    }
    const uuid = randomUUID();
    // Listening before the originate: a line that hangs up at once must not be missed.
    const watch = link.whenHungUp([uuid]);
    const dial =
      channelVars({
        origination_uuid: uuid,
        originate_timeout: LINE_RING_S,
        ignore_early_media: 'true',
        hotline_call_id: req.callId,
        [CONFERENCE_LEG_VAR]: 'true',
        origination_caller_id_number: callerIdForDial(req.caller),
      }) + `sofia/${req.carrierProfile}/${sipTarget(req.uri)}`;
    const r = await link
      .bgapi(`originate ${dial} &three_way(${citizen})`, (LINE_RING_S + 10) * 1000)
      .catch((e: Error) => `-ERR ${e.message}`);
    if (!r.startsWith('+OK')) {
      watch.cancel();
      return { failed: r.replace(/^-ERR\s*/, '').trim() || 'no answer' };
    }
    return new ThreeWayLeg(uuid, link, watch.gone);
  }

  /** Ends the line's leg (the citizen hung up, or the call is closed). */
  async hangup(): Promise<void> {
    if (this.gone) return;
    await this.link.api(`uuid_kill ${this.uuid}`).catch(() => undefined);
  }
}
