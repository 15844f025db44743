// One caller's journey: number plan -> greeting (0 for a human) -> queue -> agent -> call record.
// Telephony goes through ChannelControl; decisions come from the number plan and the ACD.
import { randomUUID } from 'node:crypto';
import type { AcdConfigStore } from '../acd/config-store.ts';
import { expectedWaitS, rank } from '../acd/policy.ts';
import { newCallId } from './call-id.ts';
import type { AcdStore } from '../acd/store.ts';
import type { PriorityClass } from '../acd/types.ts';
import type { Config, EmergencyService } from '../config/env.ts';
import type { BridgeResult, ChannelControl } from '../esl/channel-control.ts';
import {
  agentUserEndpoint,
  callerIdForDial,
  channelVars,
  dialToken,
  isDisplayName,
  popCallInfo,
  sipTarget,
} from '../esl/dial-string.ts';
import type { Logger } from '../logging/logger.ts';
import { MERGE_MODE_LABELS, type ServiceLine } from '../number-plan/lines.ts';
import { normalizeCaller } from '../number-plan/normalize.ts';
import { type Resolution, resolveDialled, type NumberPlan } from '../number-plan/resolve.ts';
import type { CallRecordStore, Outcome } from '../records/call-records.ts';
import type { ScreenPopHub } from '../screen-pop/hub.ts';
import type { TransferTarget } from '../screen-pop/messages.ts';
import { IvrRun, type PathStep } from '../ivr/engine.ts';
import { SurveyRun, type SurveyRatings } from '../ivr/nodes/survey.ts';
import type { Instruction } from '../ivr/runtime.ts';
import type { MenuDocument } from '../ivr/types.ts';
import type { ActiveIncident } from '../ivr/engine.ts';
import { runIvr } from './ivr-runner.ts';
import { ThreeWayLeg } from './three-way.ts';
import { type Referral, REFERRAL_LABELS, referralOf } from './referral.ts';
import type { FreeSwitchLink } from '../esl/inbound-client.ts';
import {
  CALLBACK_CONFIRMED,
  LEAVE_MESSAGE,
  LINE_BUSY,
  LINE_BUSY_PATH,
  LONG_WAIT_CALLBACK,
  positionPrompt,
  shouldOfferCallback,
} from './queue-prompts.ts';

export interface SessionDeps {
  config: Config;
  acd: AcdStore;
  acdConfig: AcdConfigStore;
  records: CallRecordStore;
  hub: ScreenPopHub;
  plan: () => Promise<NumberPlan>;
  requestDispatch: () => void;
  /** This call's turn among arriving calls: the previous call's admission, and this call's release. */
  admission?: { previous: Promise<void>; release: () => void };
  /** Asks for a decision round and resolves when one that began after the call was queued has ended. */
  dispatchNow: () => Promise<void>;
  ivr: IvrServices;
  /** Where FreeSWITCH rings an agent (the SIP edge's registered contact); default user/<extension>. */
  agentDialString?: (extension: string) => Promise<string | null>;
  /** The inbound event socket: a three-way call's extra leg is originated and watched through it. */
  link?: FreeSwitchLink;
  /** Whether this new caller is to be told the line is busy: FreeSWITCH is overloaded (esl/switch-pressure.ts). */
  switchBusy?: () => boolean;
  log: Logger;
}

/** The IVR's data, behind one small interface so the call flow does not know where it lives. */
export interface IvrServices {
  menu(line: string): Promise<{ version: number; doc: MenuDocument }>;
  careListed(caller: string): Promise<boolean>;
  incidents(line: string, now: number): Promise<ActiveIncident[]>;
  incidentAck(id: string): Promise<void>;
  funnel(line: string, path: PathStep[], callerLeft: boolean): Promise<void>;
}

/** A call never waits longer than this for the one that arrived before it. */
const ADMISSION_WAIT_MAX_MS = 300;

/**
 * A caller who reaches the queue this soon after the switch took the call, with nothing played to them (no
 * greeting, no menu), went there directly: their place in line is when they arrived, not when the set-up
 * finished. Two callers a few ms apart may reach the router, or finish their set-up, in the other order
 * (FreeSWITCH runs each channel on its own thread); by their arrival the earlier one still gets the next free
 * agent. Their wait then counts from their arrival, which is when they began to wait.
 */
const DIRECT_QUEUE_MS = 2000;

/** When the switch took the call (its channel's creation), on this router's clock; now when it cannot say. */
export function switchArrival(createdAt: number, now: number): number {
  // Clocks of two hosts: a creation "in the future" or long past (an adopted call, a skewed clock) is not used.
  return Number.isFinite(createdAt) && createdAt <= now && now - createdAt < 60_000 ? createdAt : now;
}

/**
 * Ends the agent's legs of a call whose router died (still ringing, or answered with nobody to join them): they carry
 * hotline_call_id, as the desktop-loss policy's hupall expects too.
 */
async function endOffers(link: FreeSwitchLink | undefined, callId: string): Promise<void> {
  if (!link) return;
  await link
    .api(`hupall NORMAL_CLEARING hotline_call_id ${dialToken(callId, 'call id')}`)
    .catch(() => undefined);
}

/** The channel variables of the caller's that its agent's leg takes over, when they are plain numbers. */
function mediaTimeouts(vars: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['media_timeout', 'media_hold_timeout']) if (/^\d+$/.test(vars[k] ?? '')) out[k] = vars[k]!;
  return out;
}

/**
 * Offers a caller may lose to an agent's leg gone before the join before the call is given up: one, for a phone
 * that drops as it answers. More means an overloaded switch, where each new offer adds load: in the realfs bench
 * at 35 calls/s (agents who hang up 1 s after answering), with no limit 348-471 of 525 callers failed in four runs;
 * with this one, 0 in two runs (the router before this change, which dropped such callers: 4 in one run).
 */
const MAX_LOST_JOINS = 1;

/**
 * An agent's leg gone sooner than this after its answer, before the join, is the phone's doing (a handset or an
 * auto-answer that drops every call: 10-30 ms on the real server), and counts towards setting the agent not ready
 * (phone-drops, after the no-answer limit in a row). A later loss is a join stalled on an overloaded switch until a
 * person gave up on the silence (the realfs bench's agents hang up 1 s after answering), which is not the agent's
 * fault.
 */
const QUICK_DROP_MS = 500;

/** An agent's leg answered but never joined (its router died meanwhile) is hung up after this long. */
const AGENT_LEG_PARK_TIMEOUT_S = 10;

type Phase = 'ivr' | 'queued' | 'offering' | 'talking' | 'survey' | 'callback' | 'ended';

export class CallSession {
  id: string = newCallId();
  phase: Phase = 'ivr';
  private line!: ServiceLine;
  private resolution!: Resolution;
  private caller = '';
  private priority: PriorityClass = 'normal';
  private ivrPath: string[] = [];
  private arrivedAt = Date.now();
  private queuedAt = 0;
  /** When this router first sent an agent's leg for the call (0: not yet). */
  private offeredAt = 0;
  private answeredAt = 0;
  /** Offers lost to an agent's leg gone before the caller was put through (notPutThrough). */
  private lostJoins = 0;
  private agentId = '';
  private readonly noAnswer: string[] = [];
  private skill = '';
  private priorityReason = '';
  private menu: MenuDocument | null = null;
  private menuVersion = 0;
  private ivr: IvrRun | null = null;
  private survey: SurveyRatings | undefined;
  private log: Logger;
  private offeredCallback = false;
  private moh: { started: Promise<boolean>; done: Promise<unknown> } | null = null;
  /** A queue announcement (position, callback offer) is playing. */
  private announcing = false;
  private agentLeg = '';
  /** The ringing bookkeeping (agent state, screen-pop) sent alongside the agent's ring. */
  private ringing: Promise<void> = Promise.resolve();
  /** The channel's ringback variable is the hold music (prepareChannel). */
  private holdMusicRingback = false;
  /** The agent was let go at the end of the conversation (before the survey). */
  private agentReleased = false;
  private pendingTransfer: Exclude<TransferTarget, { kind: 'leave' }> | null = null;
  private readonly transfers: Array<{ from: string; to: string; at: number; threeWay?: boolean }> = [];
  /** An emergency line transferred this call in. */
  private referral: Referral | null = null;
  /** The emergency line's leg of a three-way call, while there is one. */
  private threeWay: ThreeWayLeg | null = null;
  onEnded: (s: CallSession) => void = () => {};
  /** The call is closed in Redis and recorded by this session: nobody else has anything to do at its hangup. */
  recorded = false;
  /** The session took over an earlier call's id (adopted from a router that died). */
  onIdChanged: (from: string, to: string) => void = () => {};

  constructor(
    private readonly deps: SessionDeps,
    private readonly channel: ChannelControl,
  ) {
    this.log = deps.log.child({ callId: this.id, uuid: channel.uuid });
    this.arrivedAt = switchArrival(channel.info.createdAt, this.arrivedAt);
  }

  async run(): Promise<void> {
    try {
      await this.runFlow();
    } finally {
      this.admitted();
    }
  }

  /**
   * Callers reach the queue in the order they reached the router: a call's set-up (Redis reads and writes,
   * answering) may finish before an earlier call's, and on a line without a menu it would then take the free
   * agent first. So each call waits for the one before it to be queued (or to start its menu), never long.
   */
  private async inTurn(): Promise<void> {
    const prev = this.deps.admission?.previous;
    if (!prev) return;
    await Promise.race([prev, new Promise((r) => setTimeout(r, ADMISSION_WAIT_MAX_MS).unref())]);
  }

  private admitted(): void {
    this.deps.admission?.release();
  }

  private async runFlow(): Promise<void> {
    const { channel, deps } = this;
    channel.on('hangup', (cause: string) => void this.onCallerHangup(cause));
    const plan = await deps.plan();
    // A call through the SIP edge arrives with the edge's decisions in X-Hotline-* headers (the line
    // from Diversion/History-Info, the caller from P-Asserted-Identity, care priority, a sub-center
    // that did not answer); without them the dialled number is resolved here.
    const edge = edgeHints(channel.info.variables);
    this.resolution = resolveDialled(plan, edge.line ?? channel.info.destination);
    if (edge.line) this.resolution = { ...this.resolution, raw: edge.dialled ?? channel.info.destination };
    this.line = this.resolution.line;
    this.caller = normalizeCaller(edge.caller ?? channel.info.callerIdNumber);
    const referral = referralOf(channel.info.variables, deps.config.referralTrunks);
    this.referral = referral.referral;
    if (referral.untrusted)
      this.log.warn(
        { source: channel.info.variables.sip_network_ip },
        'X-Referral headers from an address that is no emergency line trunk: ignored',
      );
    if (!this.resolution.known) {
      this.log.warn(
        { dialled: this.resolution.raw, normalized: this.resolution.normalized, line: this.line.number },
        'unknown dialled number, taken by the default line',
      );
    }
    this.log.info(
      {
        line: this.line.number,
        mode: this.line.mergeMode,
        caller: this.caller,
        dialled: this.resolution.raw,
      },
      'call arrived',
    );
    // The menu's reads go out with the orphan check, in the same round trip (ioredis sends what one tick asked
    // for in one write): the menu version is fixed when the call arrives.
    const menuReads =
      edge.fromSubcenter || this.referral
        ? null
        : Promise.all([
            deps.ivr.menu(this.line.number),
            deps.ivr.careListed(this.caller),
            deps.ivr.incidents(this.line.number, Date.now()),
          ]);
    // An adopted call does not wait for them; their failure then is nobody's.
    void menuReads?.catch(() => undefined);
    if (await this.adoptOrphan()) return;
    await deps.acd.createCall({
      id: this.id,
      uuid: channel.uuid,
      owner: deps.config.instanceId,
      line: this.line.number,
      lineName: this.line.name,
      mergeMode: this.line.mergeMode,
      skill: this.line.skill,
      caller: this.caller,
      dialled: this.resolution.raw,
      priority: this.priority,
      ivrPath: [],
      arrivedAt: this.arrivedAt,
    });
    if (channel.hungUp) return this.finish('abandoned');

    if (edge.fromSubcenter) {
      // The sub-center was busy or did not answer: straight to 12345's seats with the line's skill,
      // not through a menu that would offer the sub-center again.
      this.prepareAndAnswer();
      this.ivrPath = ['分中心未接通，转12345坐席'];
      this.priority = edge.care ? 'care' : 'normal';
      this.priorityReason = 'subcenter-fallback';
      await this.inTurn();
      return this.enqueue(edge.skill ?? this.line.skill);
    }

    if (this.referral) {
      // Transferred in by an emergency line, whose operator has heard the citizen: no menu, straight to a human.
      const from = this.referral.from;
      this.prepareAndAnswer();
      this.ivrPath = [`${REFERRAL_LABELS[from]}转入`];
      this.priority = (await deps.ivr.careListed(this.caller)) || edge.care ? 'care' : 'normal';
      this.priorityReason = `referral-${from}`;
      this.log.info({ from, caseId: this.referral.caseId }, 'call transferred in by an emergency line');
      await this.inTurn();
      return this.enqueue(edge.skill ?? this.line.skill);
    }

    // The menu version is fixed for the whole call: a publish meanwhile does not change it.
    const [menu, listed, incidents] = await menuReads!;
    const careListed = listed || edge.care;
    // An overloaded FreeSWITCH: a share of new callers hears that the line is busy instead of joining a wait that
    // would drag everyone down; never a caller on the care list or marked care by the SIP edge (adopted, referred
    // and sub-center calls came back above and are never turned away either). It is decided before the menu, so a
    // caller who would have declared themselves elderly or disabled there (key 9) is not known yet.
    if (!careListed && deps.switchBusy?.()) return this.lineBusy();
    this.menu = menu.doc;
    this.menuVersion = menu.version;
    this.prepareAndAnswer();
    const subcenters = new Map(plan.lines.map((l) => [l.number, l.subcenterUri]));
    this.ivr = new IvrRun(menu.doc, {
      now: Date.now,
      careListed,
      incidents,
      subcenterUri: (l) => subcenters.get(l),
    });
    await this.inTurn();
    const outcome = await runIvr(this.ivr, {
      channel,
      log: this.log,
      transfer: (uri) => this.transfer(uri),
      onPrompt: () => this.admitted(),
    });
    this.ivrPath = this.ivr.describePath();
    // Counters, not decisions: they must not hold the caller up on the way to a human.
    const ivr = this.ivr;
    void (async () => {
      for (const e of ivr.effects) await deps.ivr.incidentAck(e.incidentId);
      await deps.ivr.funnel(this.line.number, ivr.path, outcome.kind === 'caller-left');
    })().catch((err: Error) => this.log.warn({ err: err.message }, 'IVR counters failed'));
    switch (outcome.kind) {
      case 'caller-left':
        return this.finish('abandoned');
      case 'transferred':
        return this.finish('transferred');
      case 'hangup':
        return this.finish('ended-in-ivr');
      case 'queue':
        this.priority = outcome.instruction.priority;
        this.priorityReason = outcome.instruction.reason;
        return this.enqueue(outcome.instruction.skill);
    }
  }

  /** The caller's channel. */
  get channelUuid(): string {
    return this.channel.uuid;
  }

  /** Whether this call's caller is this channel (an after-conversation socket looks for its session). */
  holdsChannel(uuid: string): boolean {
    return this.channel.uuid === uuid && !this.channel.hungUp;
  }

  /** The dispatcher reserved an agent for this call (from the queue of `skill`, when it says). */
  async offer(agentId: string, extension?: string, skill?: string): Promise<void> {
    const { deps, channel } = this;
    // The same offer twice (delivered again): the one under way stands; releasing here would free its agent.
    if (this.agentId === agentId && (this.phase === 'offering' || this.phase === 'talking')) return;
    if (this.phase !== 'queued' || channel.hungUp) {
      // The call moved on (hung up, or already offered): give the agent back, blameless.
      await deps.acd.release(this.id, agentId);
      deps.requestDispatch();
      return;
    }
    // Taken at once, before any await: enqueue() looks at it to know whether hold music is needed at all.
    this.phase = 'offering';
    this.agentId = agentId;
    const agent = extension ? { extension } : await deps.acd.getAgent(agentId);
    if (!agent) {
      await deps.acd.release(this.id, agentId);
      this.agentId = '';
      this.backToQueue();
      return;
    }
    let keepAlive: NodeJS.Timeout | null = null;
    try {
      await this.ring(agent.extension, agentId, (t) => (keepAlive = t), skill);
    } catch (err) {
      // Whatever failed while ringing, the caller must not be left between queue and agent.
      this.log.error(
        { err: (err as Error).message, agentId },
        'offer failed; the call goes back to its place',
      );
      if (keepAlive) clearInterval(keepAlive);
      await deps.acd.release(this.id, agentId).catch(() => undefined);
      this.agentId = '';
      if (this.channel.hungUp) return this.finish('abandoned');
      this.backToQueue();
    }
  }

  /** Rings the reserved agent and follows the call to its end (or back to the queue). */
  private async ring(
    extension: string,
    agentId: string,
    onTimer: (t: NodeJS.Timeout) => void,
    skill?: string,
  ): Promise<void> {
    const { deps, channel } = this;
    const ringS = deps.config.ringTimeoutS;
    const waitS = Math.round((Date.now() - this.queuedAt) / 100) / 10;
    // The agent's phone rings first; the bookkeeping and the screen-pop go alongside (onAnswered waits for them
    // before it connects the call in Redis).
    this.ringing = Promise.all([
      deps.acd.setRinging(agentId, this.id),
      deps.hub.send(agentId, {
        type: 'offer',
        callId: this.id,
        caller: this.caller,
        dialled: this.resolution.raw,
        line: this.line.number,
        lineName: this.line.name,
        mergeMode: this.line.mergeMode,
        mergeModeLabel: MERGE_MODE_LABELS[this.line.mergeMode],
        ivrPath: this.ivrPath,
        priority: this.priority,
        priorityReason: this.priorityReason || undefined,
        ringTimeoutS: ringS,
        waitS,
        // The queue the call was taken from; without it the screen-pop reads the call's skill.
        ...(skill ? { skill } : {}),
        ...(this.referral
          ? { referral: { ...this.referral, fromLabel: REFERRAL_LABELS[this.referral.from] } }
          : {}),
      }),
    ]).then(
      () => undefined,
      (err: Error) => this.log.warn({ err: err.message, agentId }, 'ringing notice failed'),
    );
    // The dispatcher may have moved the call to a fallback queue meanwhile: the reservation read its queue, or else
    // the call is read.
    const configP = Promise.all([
      skill ? Promise.resolve({ skill }) : deps.acd.getCall(this.id),
      deps.acdConfig.load(),
    ]);
    this.log.info({ agentId, waitS, skill: this.skill }, 'offering call to agent');
    const keepAlive = setInterval(
      () => void deps.acd.extendReservation(this.id, agentId, deps.config.reservationTtlS),
      (deps.config.reservationTtlS * 1000) / 3,
    );
    onTimer(keepAlive);
    let answering: Promise<void> | null = null;
    const onBridge = (otherUuid: string) => {
      this.agentLeg = otherUuid;
      answering = this.onAnswered(agentId);
    };
    channel.once('bridge', onBridge);
    let result: BridgeResult;
    try {
      const endpoint = deps.agentDialString
        ? await deps.agentDialString(extension)
        : agentUserEndpoint(extension, deps.config.agentsDomain);
      const sip = {
        // The phone shows which line the citizen called, and may open the pop from Call-Info.
        headers: { 'Call-Info': popCallInfo(deps.config.publicUrl, this.id) },
        displayName: isDisplayName(`${this.line.number}${this.line.name}`)
          ? `${this.line.number}${this.line.name}`
          : this.line.number,
      };
      if (endpoint) this.offeredAt ||= Date.now();
      if (!endpoint) {
        // A softphone whose registration lapsed since the decision: a failed offer, re-offered below.
        result = { bridged: false, disposition: 'USER_NOT_REGISTERED' };
      } else if (deps.config.agentOffer === 'originate') {
        const legUuid = randomUUID();
        const offered = channel.offerAgent({
          dial:
            channelVars(
              {
                origination_uuid: legUuid,
                originate_timeout: ringS,
                hotline_call_id: this.id,
                origination_caller_id_number: callerIdForDial(this.caller),
                ignore_early_media: 'true',
                // An agent who answers after this router died is not left in silence.
                park_timeout: AGENT_LEG_PARK_TIMEOUT_S,
                // A directory user's leg (no SIP edge dial string) takes them from its domain's variables when
                // it answers (the same globals as the caller's); FreeSWITCH reads every byte sent here with two
                // system calls.
                ...(deps.agentDialString ? mediaTimeouts(channel.info.variables) : {}),
              },
              sip,
            ) + endpoint,
          legUuid,
          ringback: !channel.answered && !this.moh && !this.announcing ? deps.config.ringback : null,
          // Nothing follows the conversation but the survey: without one, FreeSWITCH ends the call itself.
          afterConversation: this.surveyNode() ? 'dialplan' : 'hangup',
        });
        // The agent's leg is on its way; an answered caller with nothing playing hears the music meanwhile.
        if (channel.answered && !this.moh && !this.announcing) this.startMoh();
        result = await offered;
        this.moh = null;
      } else {
        await this.stopMoh();
        result = await channel.bridge(
          channelVars(
            {
              leg_timeout: ringS,
              hotline_call_id: this.id,
              origination_caller_id_number: callerIdForDial(this.caller),
              ignore_early_media: 'true',
            },
            sip,
          ) + endpoint,
        );
      }
    } finally {
      clearInterval(keepAlive);
      channel.off('bridge', onBridge);
    }
    // The conversation may be over before its answer is written (Redis slow or restarting): the answer is
    // written first, so that a served caller is recorded as answered and the agent goes to wrap-up.
    if (answering) await (answering as Promise<void>).catch(() => undefined);
    const [stored, { queues, settings }] = await configP;
    this.skill = stored?.skill ?? this.skill;
    // A transfer asked for at once ends the agent's leg itself, put through or not: it goes ahead.
    if ((this.phase as Phase) === 'talking' && result.joined === false && !this.pendingTransfer)
      return this.notPutThrough(result, settings.maxNoAnswer);
    if ((this.phase as Phase) === 'talking') {
      const wrapupS = queues.get(this.skill)?.wrapupS ?? deps.config.wrapupS;
      if (this.pendingTransfer && !channel.hungUp) return this.carryOutTransfer(wrapupS);
      if (this.threeWay && !this.threeWay.gone && !channel.hungUp)
        return this.stayWithLine(this.threeWay, wrapupS);
      // The conversation is over: the agent goes to wrap-up now, not after the caller's survey.
      await this.releaseAgent(wrapupS);
      // If the caller is still there, the agent hung up first: ask for ratings.
      if (!channel.hungUp) {
        await this.runSurvey();
        if (!channel.hungUp) channel.hangup('NORMAL_CLEARING');
      }
      return this.finish('answered');
    }
    if (channel.hungUp) return this.finish('abandoned');
    this.noAnswer.push(agentId);
    this.agentId = '';
    const agentState = await deps.acd.noAnswer(this.id, agentId, settings.maxNoAnswer);
    this.log.info(
      { agentId, disposition: result.disposition, agentState },
      'agent did not answer, re-offering',
    );
    await deps.hub.send(agentId, { type: 'ended', callId: this.id, outcome: 'missed' });
    if (agentState === 'not_ready') {
      await deps.hub.send(agentId, { type: 'state', state: 'not_ready', reason: 'no-answer' });
    }
    if (channel.hungUp) return this.finish('abandoned');
    this.backToQueue();
  }

  /**
   * The agent answered, but their leg was gone before the caller was put through (a phone that hangs up as it
   * answers, or a join slowed by an overloaded FreeSWITCH): nobody spoke to the caller, who goes back to their
   * place in line (the next agent is offered the call first) instead of being asked about a conversation that
   * never was, or hung up. The agent is free again at once, with no wrap-up: there was nothing to wrap up.
   */
  private async notPutThrough(result: BridgeResult, maxMiss: number): Promise<void> {
    const { deps, channel } = this;
    const from = this.agentId;
    const afterAnswerMs = this.answeredAt ? Date.now() - this.answeredAt : null;
    const quick = afterAnswerMs !== null && afterAnswerMs < QUICK_DROP_MS;
    this.log.warn(
      { agentId: from, disposition: result.disposition, afterAnswerMs },
      'agent left before the caller was put through; caller back in line',
    );
    const agentState = await deps.acd.droppedJoin(this.id, from, maxMiss, quick);
    await deps.acd.hold(this.id);
    await deps.hub.send(from, { type: 'ended', callId: this.id, outcome: 'missed' });
    if (agentState === 'not_ready') {
      this.log.warn({ agentId: from }, 'phone dropped calls as it answered, in a row: agent set not ready');
      await deps.hub.send(from, { type: 'state', state: 'not_ready', reason: 'phone-drops' });
    }
    this.noAnswer.push(from);
    this.agentId = '';
    this.agentLeg = '';
    this.answeredAt = 0;
    if (channel.hungUp || ++this.lostJoins > MAX_LOST_JOINS) {
      // The agent is free for the next caller (backToQueue asks for the round otherwise).
      deps.requestDispatch();
      if (channel.hungUp) return this.finish('abandoned');
      // Joins failing again and again mean a FreeSWITCH too loaded to put callers through (each join waits its
      // turn for seconds while agents give up on the silence): another offer would only add to the load. The
      // caller is let go, recorded as failed, never as served.
      this.log.warn({ lostJoins: this.lostJoins }, 'caller never put through; call ended');
      channel.hangup('NORMAL_TEMPORARY_FAILURE');
      return this.finish('failed');
    }
    // Waiting again: if this router dies now the caller fails over, and the next conversation ends as planned.
    await channel.setManyNow({
      hotline_agent_answered: 'false',
      socket_resume: 'true',
      hangup_after_bridge: 'false',
      park_after_bridge: 'false',
    });
    await deps.acd.requeueTo(this.id, this.skill, [from]);
    if (channel.hungUp) return this.finish('abandoned');
    this.backToQueue();
  }

  /** The caller waits again (after a missed offer or a transfer): hold music, announcements, a round. */
  private backToQueue(): void {
    this.phase = 'queued';
    this.startMoh();
    this.deps.requestDispatch();
    this.startHoldLoop();
  }

  private holdLoopRunning = false;

  private startHoldLoop(): void {
    if (this.holdLoopRunning) return;
    this.holdLoopRunning = true;
    void this.holdLoop()
      .catch((err: Error) => this.log.warn({ err: err.message }, 'hold announcements stopped'))
      .finally(() => (this.holdLoopRunning = false));
  }

  /**
   * The talking agent asks to transfer the caller (to a sub-center, another queue or an agent). The
   * agent's leg is hung up; when the bridge returns, carryOutTransfer takes the caller on.
   */
  async requestTransfer(agentId: string, target: TransferTarget): Promise<{ ok: boolean; message: string }> {
    if (this.phase !== 'talking' || this.agentId !== agentId || !this.agentLeg) {
      return { ok: false, message: '该来电当前不在您的通话中' };
    }
    if (target.kind === 'leave') return this.leaveThreeWay(agentId);
    if (this.threeWay && !this.threeWay.gone) return { ok: false, message: '三方通话中：请先退出三方通话' };
    if (target.kind === 'emergency' && target.threeWay) return this.startThreeWay(agentId, target.service);
    const plan = await this.deps.plan();
    const { queues } = await this.deps.acdConfig.load();
    if (target.kind === 'subcenter') {
      const line = plan.lines.find((l) => l.number === target.line);
      if (!line?.subcenterUri) return { ok: false, message: `${target.line} 不是设分中心的热线` };
    } else if (target.kind === 'queue') {
      if (!queues.has(target.skill)) return { ok: false, message: `没有技能组 ${target.skill}` };
    } else if (target.kind === 'agent') {
      if (!(await this.deps.acd.getAgent(target.agentId)))
        return { ok: false, message: `没有坐席 ${target.agentId}` };
    } else if (target.kind === 'emergency') {
      if (!this.deps.config.emergencyLines[target.service])
        return { ok: false, message: `未配置 ${target.service} 的转接地址` };
    }
    this.pendingTransfer = target;
    this.log.info({ agentId, target }, 'transfer requested');
    await this.channel.killLeg(this.agentLeg);
    return { ok: true, message: '正在转接' };
  }

  /**
   * Rings the emergency line and joins it to the conversation (citizen, agent and line all hear each other);
   * the caller keeps talking with the agent while the line rings. Answered once the line answers or fails.
   */
  private async startThreeWay(
    agentId: string,
    service: EmergencyService,
  ): Promise<{ ok: boolean; message: string }> {
    const uri = this.deps.config.emergencyLines[service];
    if (!uri) return { ok: false, message: `未配置 ${service} 的转接地址` };
    if (!this.deps.link) return { ok: false, message: '三方通话暂不可用' };
    this.log.info({ agentId, service }, 'three-way call requested');
    const leg = await ThreeWayLeg.dial(this.deps.link, {
      callId: this.id,
      citizenUuid: this.channel.uuid,
      caller: this.caller,
      uri,
      carrierProfile: this.deps.config.carrierProfile,
    });
    if (!(leg instanceof ThreeWayLeg)) {
      this.log.warn({ service, reason: leg.failed }, 'emergency line did not answer the three-way call');
      return { ok: false, message: `${service} 未接通（${leg.failed}），通话保持不变` };
    }
    if (this.phase !== 'talking' || this.channel.hungUp || this.agentId !== agentId) {
      // The conversation ended while the line rang.
      await leg.hangup();
      return { ok: false, message: '通话已结束' };
    }
    this.threeWay = leg;
    this.transfers.push({ from: agentId, to: `emergency:${service}`, at: Date.now(), threeWay: true });
    this.log.info({ agentId, service, leg: leg.uuid }, 'three-way call joined');
    void leg.ended.then(() => this.onThreeWayLegGone(service));
    return { ok: true, message: `三方通话已接通：市民、您和${service}` };
  }

  /** The agent drops out of the three-way call: their leg ends, the citizen stays with the line. */
  private async leaveThreeWay(agentId: string): Promise<{ ok: boolean; message: string }> {
    if (!this.threeWay || this.threeWay.gone) return { ok: false, message: '当前没有三方通话' };
    this.log.info({ agentId }, 'agent leaves the three-way call');
    await this.channel.killLeg(this.agentLeg);
    return { ok: true, message: '您已退出三方通话，市民与对方继续通话' };
  }

  private async onThreeWayLegGone(service: string): Promise<void> {
    this.log.info({ service, phase: this.phase }, 'emergency line left the three-way call');
    if (this.phase === 'talking' && this.agentId) {
      await this.deps.hub
        .send(this.agentId, {
          type: 'result',
          command: 'transfer',
          ok: false,
          message: `${service} 已挂断，三方通话结束，您与市民仍在通话`,
        })
        .catch(() => undefined);
    }
  }

  /**
   * The agent left a three-way call whose line is still there: the agent goes to wrap-up, and the citizen talks on
   * with the line until either hangs up; the call ends as transferred.
   */
  private async stayWithLine(leg: ThreeWayLeg, wrapupS: number): Promise<void> {
    await this.releaseAgent(wrapupS, 'transferred');
    this.phase = 'survey';
    const silence = this.channel.executeTracked('playback', 'silence_stream://-1');
    await Promise.race([silence.done, leg.ended]);
    if (!this.channel.hungUp) this.channel.hangup('NORMAL_CLEARING');
    return this.finish('transferred');
  }

  /**
   * The agent's leg ended while the caller stays (survey): the agent goes to wrap-up (or ready) and their desktop
   * is told; the call record keeps the agent.
   */
  private async releaseAgent(
    wrapupS: number,
    outcome: 'answered' | 'transferred' = 'answered',
  ): Promise<void> {
    const { deps } = this;
    if (!this.agentId || this.agentReleased) return;
    this.agentReleased = true;
    // One round trip, not three: one Redis connection carries them in this order.
    await Promise.all([
      deps.acd.releaseAfterTransfer(this.agentId, this.id, wrapupS),
      deps.acd.afterConversation(this.id),
      deps.hub.send(this.agentId, { type: 'ended', callId: this.id, outcome }),
    ]);
    if (wrapupS > 0) await deps.hub.wrapupStarted(this.agentId, this.id, wrapupS);
    deps.requestDispatch();
  }

  private async carryOutTransfer(wrapupS: number): Promise<void> {
    const { deps } = this;
    const target = this.pendingTransfer!;
    this.pendingTransfer = null;
    const from = this.agentId;
    const to =
      target.kind === 'subcenter'
        ? `subcenter:${target.line}`
        : target.kind === 'queue'
          ? `queue:${target.skill}`
          : target.kind === 'emergency'
            ? `emergency:${target.service}`
            : `agent:${target.agentId}`;
    this.transfers.push({ from, to, at: Date.now() });
    await deps.acd.releaseAfterTransfer(from, this.id, wrapupS);
    await deps.acd.hold(this.id);
    await deps.hub.send(from, { type: 'ended', callId: this.id, outcome: 'transferred' });
    if (wrapupS > 0) await deps.hub.wrapupStarted(from, this.id, wrapupS);
    this.agentId = '';
    this.agentLeg = '';
    this.phase = 'survey';
    let skill = this.skill;
    if (target.kind === 'subcenter') {
      const line = (await deps.plan()).lines.find((l) => l.number === target.line)!;
      if (await this.transfer(line.subcenterUri!)) return this.finish('transferred');
      if (this.channel.hungUp) return this.finish('answered');
      // The sub-center did not answer: the caller comes back to 12345's seats with that line's skill.
      skill = line.skill;
    } else if (target.kind === 'queue') {
      skill = target.skill;
    } else if (target.kind === 'emergency') {
      if (await this.transfer(deps.config.emergencyLines[target.service]!)) return this.finish('transferred');
      if (this.channel.hungUp) return this.finish('answered');
      // The line did not answer: the caller is not left alone, the next agent of the same desk takes them.
      this.log.warn({ service: target.service }, 'emergency line did not answer; caller back in the queue');
    }
    this.phase = 'queued';
    this.skill = skill;
    // Waiting again: if this router dies now, the caller must fail over to the backup router.
    await this.channel.setNow('hotline_agent_answered', 'false');
    await deps.acd.requeueTo(this.id, skill, [from]);
    this.startMoh();
    this.startHoldLoop();
    if (target.kind === 'agent') {
      const agent = await deps.acd.getAgent(target.agentId);
      const via = agent && (skill in agent.skills ? skill : Object.keys(agent.skills)[0]);
      if (via) {
        const r = await deps.acd.reserve(
          this.id,
          target.agentId,
          via,
          deps.config.reservationTtlS,
          deps.config.instanceId,
          true,
        );
        if (r.ok) return this.offer(target.agentId, undefined, r.skill);
      }
    }
    deps.requestDispatch();
  }

  /** The call waited its queue's maximum: a callback that keeps its place, or a message. */
  async fallback(kind: 'callback' | 'message'): Promise<void> {
    if (this.phase !== 'queued' || this.channel.hungUp) return;
    if (kind === 'callback') return this.toCallback(LONG_WAIT_CALLBACK);
    // Out of the queue first, so that no agent is reserved while the caller leaves a message.
    await this.deps.acd.finish(this.id, 0);
    this.phase = 'survey';
    await this.stopMoh();
    await this.channel.playback(LEAVE_MESSAGE.file);
    if (!this.channel.hungUp) {
      await this.channel.execute('record', `$\{recordings_dir}/hotline-messages/${this.id}.wav 120 200 3`);
    }
    if (!this.channel.hungUp) this.channel.hangup('NORMAL_CLEARING');
    return this.finish('message');
  }

  private async onAnswered(agentId: string): Promise<void> {
    if (this.phase !== 'offering') return;
    // The record keeps when the agent answered, not when Redis took the write (late during an outage).
    const answeredAt = Date.now();
    await this.ringing;
    if (!(await this.deps.acd.connect(this.id, agentId))) {
      // The reservation lapsed meanwhile and the agent may hold another call: end this leg; the
      // caller goes back to the queue as after a missed offer.
      this.log.warn({ agentId }, 'agent answered a call no longer reserved for them; leg ended');
      if (this.agentLeg) await this.channel.killLeg(this.agentLeg);
      void this.channel.setNow('hotline_agent_answered', 'false');
      return;
    }
    this.phase = 'talking';
    this.answeredAt = answeredAt;
    // Read by the dialplan's failover if this router dies now: a served caller is not queued again (offerAgent
    // has already set it, with the join).
    if (this.deps.config.agentOffer !== 'originate')
      void this.channel.setNow('hotline_agent_answered', 'true');
    await this.deps.hub.send(agentId, { type: 'answered', callId: this.id });
    this.log.info({ agentId, waitS: (this.answeredAt - this.queuedAt) / 1000 }, 'agent answered');
  }

  private async enqueue(skill: string): Promise<void> {
    this.phase = 'queued';
    this.skill = skill;
    const now = Date.now();
    const direct = !this.queuedAt && !this.channel.answered && now - this.arrivedAt < DIRECT_QUEUE_MS;
    this.queuedAt = direct ? this.arrivedAt : now;
    this.log.info({ skill, priority: this.priority, reason: this.priorityReason }, 'queued for a human');
    await this.deps.acd.enqueue(this.id, skill, this.ivrPath, this.priority, this.queuedAt);
    this.admitted();
    if (this.channel.hungUp) return this.finish('abandoned');
    // When an agent is free the call is offered in this very round: no hold music to start and stop again
    // before the agent's phone can ring.
    await this.deps.dispatchNow();
    if ((this.phase as Phase) === 'queued') this.startMoh();
    void this.holdLoop().catch((err: Error) =>
      this.log.warn({ err: err.message }, 'hold announcements stopped'),
    );
  }

  /**
   * While the caller waits: hold music, and at intervals the position and expected wait in Chinese;
   * when the wait is long, an offer to be called back keeping the place in line (virtual hold).
   */
  private async holdLoop(): Promise<void> {
    const { deps, channel } = this;
    for (;;) {
      const { settings } = await deps.acdConfig.load();
      if (!(await this.waitWhileQueued(settings.announceEveryS * 1000))) return;
      const { ahead, ewtS } = await this.queuePosition();
      const offerCallback = shouldOfferCallback({
        offeredBefore: this.offeredCallback,
        ewtS,
        offerAboveS: settings.callbackOfferAboveS,
      });
      const prompt = positionPrompt(ahead, ewtS, offerCallback);
      if (this.phase !== 'queued') return;
      await this.stopMoh();
      // An offer may have taken the channel meanwhile; it breaks whatever plays.
      if (this.phase !== 'queued') return;
      this.log.debug({ ahead, ewtS, prompt: prompt.text }, 'queue announcement');
      this.announcing = true;
      try {
        if (offerCallback) {
          this.offeredCallback = true;
          const d = await channel.collectDigits({
            prompt: prompt.file,
            timeoutMs: 4000,
            validDigits: '0-9*#',
          });
          if (this.phase !== 'queued') return;
          if (d === '1') return this.toCallback(CALLBACK_CONFIRMED);
        } else {
          await channel.playback(prompt.file);
          if (this.phase !== 'queued') return;
        }
      } finally {
        this.announcing = false;
      }
      this.startMoh();
    }
  }

  /**
   * Channel variables the call flow relies on, whatever the dialplan set: a failed bridge (an agent
   * who does not answer, a sub-center that is busy) must not hang the caller up, the caller stays
   * after the agent hangs up (survey, transfers), and hears hold music while an agent's phone rings.
   */
  /**
   * Sets the call flow's variables without waiting for the reply (FreeSWITCH's listener thread carries out one
   * socket's commands in the order they came, so whatever the flow sends next runs after it), and has the caller
   * answered just before the first prompt or hold music (ChannelControl.answerBeforeMedia): a caller put straight
   * through to a free agent is answered by the agent's answer, and the agent's phone rings 10-16 ms sooner.
   */
  private prepareAndAnswer(): void {
    void this.prepareChannel().catch((err: Error) =>
      this.log.warn({ err: err.message }, 'setting the call variables failed'),
    );
    this.channel.answerBeforeMedia();
  }

  /**
   * One api command, at once (three `set` applications cost a trip through the channel's queue each), and only
   * for what the channel does not have yet: the project's dialplan sets the first two before the socket, and
   * FreeSWITCH reads every byte of a command with a system call of its own. The hold music as ringback is for
   * the bridge application only (agents rung with `HOTLINE_AGENT_OFFER=bridge`; transfers set it themselves).
   */
  private async prepareChannel(): Promise<void> {
    const have = this.channel.info.variables;
    const vars: Record<string, string> = {};
    if (have.continue_on_fail !== 'true') vars.continue_on_fail = 'true';
    if (have.hangup_after_bridge !== 'false') vars.hangup_after_bridge = 'false';
    if (this.deps.config.agentOffer === 'bridge') {
      vars.ringback = this.deps.config.holdMusic;
      this.holdMusicRingback = true;
    }
    if (Object.keys(vars).length) await this.channel.setManyNow(vars);
  }

  /** Before a bridge application: the caller hears the hold music while the other side rings. */
  private async holdMusicAsRingback(): Promise<void> {
    if (this.holdMusicRingback) return;
    this.holdMusicRingback = true;
    await this.channel.setManyNow({ ringback: this.deps.config.holdMusic });
  }

  /** Hold music until stopped; remembered so that stopping it can wait until it really stopped. */
  private startMoh(): void {
    this.moh = this.channel.executeTracked('playback', this.deps.config.holdMusic);
  }

  /**
   * Stops the hold music before the next application. A uuid_break that reaches the switch before the queued
   * playback has started breaks nothing, and the endless music would then hold up the bridge behind it: so
   * break once FreeSWITCH reports the playback started, and again until it reports it ended.
   */
  private async stopMoh(): Promise<void> {
    const moh = this.moh;
    this.moh = null;
    if (!moh) {
      // Nothing of ours plays, unless a queue announcement is under way.
      if (this.announcing) await this.channel.breakCurrent();
      return;
    }
    const ended = moh.done.then(() => true);
    await Promise.race([moh.started, ended]);
    for (let i = 0; i < 20 && !this.channel.hungUp; i++) {
      await this.channel.breakCurrent();
      const over = await Promise.race([ended, new Promise<boolean>((r) => setTimeout(() => r(false), 100))]);
      if (over) return;
    }
  }

  /** Resolves true after `ms` if the caller is still waiting, false as soon as they are not. */
  private waitWhileQueued(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const end = Date.now() + ms;
      const tick = () => {
        if (this.phase !== 'queued' || this.channel.hungUp) return resolve(false);
        if (Date.now() >= end) return resolve(true);
        setTimeout(tick, Math.min(250, end - Date.now())).unref();
      };
      tick();
    });
  }

  private async queuePosition(): Promise<{ ahead: number; ewtS: number }> {
    const { deps } = this;
    const { settings } = await deps.acdConfig.load();
    const waiting = rank(await deps.acd.waiting([this.skill]), Date.now(), settings);
    const idx = waiting.findIndex((c) => c.id === this.id);
    const ahead = idx < 0 ? waiting.length : idx;
    const agents = (await deps.acd.listAgentsCached()).filter(
      (a) => this.skill in a.skills && a.state !== 'logged_out' && a.state !== 'not_ready',
    ).length;
    return { ahead, ewtS: expectedWaitS(ahead + 1, agents, deps.config.defaultAhtS) };
  }

  /**
   * Virtual hold: the caller hangs up but keeps the place in line; whichever router reserves an
   * agent for the call places the callback.
   */
  private async toCallback(prompt: { file: string; text: string }): Promise<void> {
    this.phase = 'callback';
    this.log.info({ skill: this.skill }, 'caller chose a callback; place kept in line');
    await this.stopMoh();
    await this.channel.playback(prompt.file);
    if (!this.channel.hungUp) this.channel.hangup('NORMAL_CLEARING');
    // Only now, with the caller off the line, may any instance place the callback.
    await this.deps.acd.markCallback(this.id, this.caller);
    this.channel.exit();
    this.onEnded(this);
  }

  /**
   * FreeSWITCH hands a caller to this instance when their router died (socket_resume in the
   * dialplan). The call keeps its id, its place in line and its IVR path.
   */
  private async adoptOrphan(): Promise<boolean> {
    const { deps, channel } = this;
    const oldId = await deps.acd.callIdByUuid(channel.uuid);
    if (!oldId) return false;
    // The channel is here, so its previous router's socket session is over, whatever its heartbeat still says:
    // take the call at once, keeping its place and priority.
    const adopted = await deps.acd.adopt(oldId, deps.config.instanceId, true);
    if (!adopted.ok) return false;
    const stored = await deps.acd.getCall(oldId);
    if (!stored) return false;
    const firstId = this.id;
    this.id = oldId;
    this.onIdChanged(firstId, oldId);
    this.log = deps.log.child({ callId: this.id, uuid: channel.uuid });
    this.arrivedAt = stored.arrivedAt;
    this.skill = stored.skill;
    this.priority = stored.priority;
    this.ivrPath = stored.ivrPath;
    this.queuedAt = stored.queuedAt;
    this.offeredAt = stored.firstOfferedAt ?? 0;
    this.log.warn({ previousState: adopted.state }, 'adopted a call whose router died');
    if (adopted.state === 'ivr') return false;
    if (adopted.state === 'survey') {
      // Already served (the conversation ended before its router died): nothing left but to end the call.
      this.answeredAt = stored.answeredAt ?? 0;
      this.channel.hangup('NORMAL_CLEARING');
      await this.finish('answered');
      return true;
    }
    if (stored.agent && (adopted.state === 'offering' || adopted.state === 'talking')) {
      // The dead router's agent leg may still ring, or sit answered with nobody to join it: it ends before the
      // agent is offered anything else.
      await endOffers(deps.link, oldId);
      await deps.acd.release(oldId, stored.agent);
      if (adopted.state === 'talking') await deps.acd.setAgentState(stored.agent, 'ready', '', '', true);
    }
    await deps.acd.requeueAtPlace(oldId);
    this.phase = 'queued';
    await this.prepareChannel();
    // The dead router may have had the caller waiting unanswered (answered only before media): hold music on an
    // unanswered channel would be early media, which carriers cut off.
    this.channel.answerBeforeMedia();
    this.startMoh();
    deps.requestDispatch();
    this.startHoldLoop();
    return true;
  }

  /** A B2BUA leg from FreeSWITCH to a sub-center or any SIP address. */
  private async transfer(uri: string): Promise<boolean> {
    await this.holdMusicAsRingback();
    const r = await this.channel.bridge(
      `${channelVars({ leg_timeout: 20, hotline_call_id: this.id })}sofia/${this.deps.config.carrierProfile}/${sipTarget(uri)}`,
    );
    if (r.bridged) {
      if (!this.channel.hungUp) this.channel.hangup('NORMAL_CLEARING');
      return true;
    }
    this.log.warn({ disposition: r.disposition }, 'transfer did not connect, falling back');
    return false;
  }

  private surveyNode() {
    const node = this.menu?.survey ? this.menu.nodes?.[this.menu.survey] : undefined;
    return node?.type === 'survey' ? node : null;
  }

  private async runSurvey(): Promise<void> {
    const node = this.surveyNode();
    if (!node) return;
    this.phase = 'survey';
    const survey = new SurveyRun(node, this.menu!.survey!);
    let ins: Instruction | null = survey.start();
    while (ins && !this.channel.hungUp) {
      if (ins.kind === 'collect') {
        const d = await this.channel.collectDigits({
          prompt: ins.prompt.file,
          timeoutMs: ins.timeoutMs,
          validDigits: '0-9*#',
        });
        ins = survey.next(d ? { kind: 'digit', digit: d[0]! } : { kind: 'no-input' });
      } else {
        if (ins.prompt) await this.channel.playback(ins.prompt.file);
        ins = null;
      }
    }
    this.survey = survey.ratings;
    this.log.info({ ratings: this.survey }, 'survey done');
  }

  private async onCallerHangup(cause: string): Promise<void> {
    this.log.info({ cause, phase: this.phase }, 'caller channel hung up');
    // While queued nothing else is waiting on the channel, so the hangup itself ends the call.
    // After a callback was promised, the hangup is expected and the call stays in line.
    if (this.phase === 'queued') await this.finish('abandoned');
  }

  private finishing: Promise<void> | null = null;

  /**
   * Told the line is busy and let go, as early media (the call is never answered, so the citizen pays nothing),
   * then 486 Busy Here (a parked caller: the 486 alone). Recorded as busy, which puts them on the missed-call
   * callback list (when that is on).
   */
  private async lineBusy(): Promise<void> {
    const { channel } = this;
    this.ivrPath = [LINE_BUSY_PATH];
    this.log.warn({}, 'FreeSWITCH overloaded: caller told the line is busy');
    // A parked caller gets the 486 alone (the carrier plays its busy tone): seconds of early media from an
    // overloaded FreeSWITCH for every caller turned away fed the overload (realfs, parked callers at 45 calls/s).
    if (!channel.parked) {
      await channel.preAnswerNow();
      if (!channel.hungUp) await channel.playback(LINE_BUSY.file);
    }
    if (!channel.hungUp) channel.hangup('USER_BUSY');
    return this.finish('busy');
  }

  private finish(outcome: Outcome, wrapupS = 0): Promise<void> {
    this.finishing ??= this.doFinish(outcome, wrapupS);
    return this.finishing;
  }

  private async doFinish(outcome: Outcome, wrapupS: number): Promise<void> {
    const { deps } = this;
    if (this.channel.socketLost) {
      // The caller did not hang up: FreeSWITCH lost this socket and moved the channel on (backup router, or
      // the dialplan's end for a served caller). The call stays in Redis for the instance that gets the channel
      // (it adopts it by uuid) or, once the channel is gone, for the orphan reaper: closing it here would lose it.
      this.phase = 'ended';
      this.log.warn({ phase: outcome }, 'socket lost with the channel up; the call is left for adoption');
      this.onEnded(this);
      return;
    }
    const answered = outcome === 'answered';
    this.phase = 'ended';
    // The line's leg ends with the citizen's channel (its eavesdrop loses its target); this covers a lost event.
    if (this.threeWay && !this.threeWay.gone) void this.threeWay.hangup();
    const endedAt = Date.now();
    try {
      await deps.acd.finish(this.id, answered ? wrapupS : 0);
      const { queues } = await deps.acdConfig.load();
      await deps.records.write(
        {
          id: this.id,
          uuid: this.channel.uuid,
          line: this.line?.number ?? deps.config.defaultLine,
          mergeMode: this.line?.mergeMode ?? 'hub',
          skill: this.skill || (this.line?.skill ?? 'general'),
          caller: this.caller,
          dialled: this.resolution?.raw ?? this.channel.info.destination,
          priority: this.priority,
          ivrPath: this.ivrPath,
          ivrSteps: this.ivr?.path.map((p) => ({
            node: p.node,
            label: p.label,
            enteredAt: p.enteredAt,
            leftAt: p.leftAt,
            exit: p.exit,
          })),
          priorityReason: this.priorityReason || undefined,
          menuVersion: this.menuVersion || undefined,
          survey: this.survey,
          arrivedAt: this.arrivedAt,
          queuedAt: this.queuedAt || undefined,
          offeredAt: this.offeredAt || undefined,
          answeredAt: this.answeredAt || undefined,
          endedAt,
          agent: this.agentId || undefined,
          outcome,
          hangupCause: this.channel.hangupCause || 'NORMAL_CLEARING',
          noAnswerAgents: this.noAnswer,
          transfers: this.transfers.length ? this.transfers : undefined,
          referral: this.referral
            ? { from: this.referral.from, ...(this.referral.caseId ? { caseId: this.referral.caseId } : {}) }
            : undefined,
          instance: deps.config.instanceId,
        },
        queues.get(this.skill)?.serviceLevelS,
      );
      this.recorded = true;
      if (this.agentId && !this.agentReleased) {
        await deps.hub.send(this.agentId, { type: 'ended', callId: this.id, outcome });
        if (answered && wrapupS > 0) await deps.hub.wrapupStarted(this.agentId, this.id, wrapupS);
      }
      this.log.info(
        {
          outcome,
          agentId: this.agentId || undefined,
          totalS: (endedAt - this.arrivedAt) / 1000,
          // The last join's time (the agent's answer to the caller put through): what an overloaded switch stretches.
          joinMs: Number.isFinite(this.channel.joinMs) ? Math.round(this.channel.joinMs) : undefined,
        },
        'call ended',
      );
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'failed to close the call cleanly');
    } finally {
      this.channel.exit();
      this.onEnded(this);
    }
  }
}

/** What the SIP edge decided, from the X-Hotline-* headers it put on the INVITE to FreeSWITCH. */
export function edgeHints(v: Record<string, string>): {
  line?: string;
  dialled?: string;
  caller?: string;
  skill?: string;
  care: boolean;
  fromSubcenter: boolean;
} {
  const h = (name: string) => v[`sip_h_X-Hotline-${name}`] || undefined;
  return {
    line: h('Line'),
    dialled: h('Dialled'),
    caller: h('Caller'),
    skill: h('Skill'),
    care: h('Priority') === 'care',
    fromSubcenter: !!h('Fallback') || h('Transfer') === 'from-subcenter',
  };
}
