// One caller's journey: number plan -> greeting (0 for a human) -> queue -> agent -> call record.
// Telephony goes through ChannelControl; decisions come from the number plan and the ACD.
import { randomUUID } from 'node:crypto';
import type { AcdStore } from '../acd/store.ts';
import type { PriorityClass } from '../acd/types.ts';
import type { Config } from '../config/env.ts';
import type { ChannelControl } from '../esl/channel-control.ts';
import type { Logger } from '../logging/logger.ts';
import { MERGE_MODE_LABELS, type ServiceLine } from '../number-plan/lines.ts';
import { normalizeCaller } from '../number-plan/normalize.ts';
import { type Resolution, resolveDialled, type NumberPlan } from '../number-plan/resolve.ts';
import type { CallRecordStore, Outcome } from '../records/call-records.ts';
import type { ScreenPopHub } from '../screen-pop/hub.ts';
import { IvrRun, type PathStep } from '../ivr/engine.ts';
import { SurveyRun, type SurveyRatings } from '../ivr/nodes/survey.ts';
import type { Instruction } from '../ivr/runtime.ts';
import type { MenuDocument } from '../ivr/types.ts';
import type { ActiveIncident } from '../ivr/engine.ts';
import { runIvr } from './ivr-runner.ts';

export interface SessionDeps {
  config: Config;
  acd: AcdStore;
  records: CallRecordStore;
  hub: ScreenPopHub;
  plan: () => Promise<NumberPlan>;
  requestDispatch: (skill: string) => void;
  ivr: IvrServices;
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

type Phase = 'ivr' | 'queued' | 'offering' | 'talking' | 'survey' | 'ended';

export class CallSession {
  readonly id = randomUUID();
  phase: Phase = 'ivr';
  private line!: ServiceLine;
  private resolution!: Resolution;
  private caller = '';
  private priority: PriorityClass = 'normal';
  private ivrPath: string[] = [];
  private readonly arrivedAt = Date.now();
  private queuedAt = 0;
  private answeredAt = 0;
  private agentId = '';
  private readonly noAnswer: string[] = [];
  private skill = '';
  private priorityReason = '';
  private menu: MenuDocument | null = null;
  private menuVersion = 0;
  private ivr: IvrRun | null = null;
  private survey: SurveyRatings | undefined;
  private readonly log: Logger;
  onEnded: (s: CallSession) => void = () => {};

  constructor(
    private readonly deps: SessionDeps,
    private readonly channel: ChannelControl,
  ) {
    this.log = deps.log.child({ callId: this.id, uuid: channel.uuid });
  }

  async run(): Promise<void> {
    const { channel, deps } = this;
    channel.on('hangup', (cause: string) => void this.onCallerHangup(cause));
    const plan = await deps.plan();
    this.resolution = resolveDialled(plan, channel.info.destination);
    this.line = this.resolution.line;
    this.caller = normalizeCaller(channel.info.callerIdNumber);
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

    // The menu version is fixed for the whole call: a publish meanwhile does not change it.
    const [menu, careListed, incidents] = await Promise.all([
      deps.ivr.menu(this.line.number),
      deps.ivr.careListed(this.caller),
      deps.ivr.incidents(this.line.number, Date.now()),
    ]);
    this.menu = menu.doc;
    this.menuVersion = menu.version;
    // Callers hear hold music, not ringing, while an agent's phone rings.
    await channel.set('ringback', deps.config.holdMusic);
    await channel.answer();
    const subcenters = new Map(plan.lines.map((l) => [l.number, l.subcenterUri]));
    this.ivr = new IvrRun(menu.doc, {
      now: Date.now,
      careListed,
      incidents,
      subcenterUri: (l) => subcenters.get(l),
    });
    const outcome = await runIvr(this.ivr, {
      channel,
      log: this.log,
      transfer: (uri) => this.transfer(uri),
    });
    this.ivrPath = this.ivr.describePath();
    for (const e of this.ivr.effects) await deps.ivr.incidentAck(e.incidentId);
    await deps.ivr.funnel(this.line.number, this.ivr.path, outcome.kind === 'caller-left');
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

  /** The dispatcher reserved an agent for this call. */
  async offer(agentId: string): Promise<void> {
    const { deps, channel } = this;
    if (this.phase !== 'queued') {
      // The call moved on (hung up, or already offered): give the agent back.
      await deps.acd.requeue(this.id, agentId, 'ready', '');
      return;
    }
    const agent = await deps.acd.getAgent(agentId);
    if (!agent) return;
    this.phase = 'offering';
    this.agentId = agentId;
    await deps.acd.setRinging(agentId, this.id);
    const waitS = Math.round((Date.now() - this.queuedAt) / 100) / 10;
    await deps.hub.send(agentId, {
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
      waitS,
    });
    this.log.info({ agentId, waitS }, 'offering call to agent');
    const keepAlive = setInterval(
      () => void deps.acd.extendReservation(agentId, deps.config.reservationTtlS),
      (deps.config.reservationTtlS * 1000) / 3,
    );
    const onBridge = () => void this.onAnswered(agentId);
    channel.once('bridge', onBridge);
    await channel.breakCurrent();
    const result = await channel.bridge(
      `{leg_timeout=${deps.config.ringTimeoutS},hotline_call_id=${this.id},origination_caller_id_number=${this.caller},ignore_early_media=true}user/${agent.extension}`,
    );
    clearInterval(keepAlive);
    channel.off('bridge', onBridge);
    if ((this.phase as Phase) === 'talking') {
      // The bridge ended. If the caller is still there, the agent hung up first: ask for ratings.
      if (!channel.hungUp) {
        await this.runSurvey();
        if (!channel.hungUp) channel.hangup('NORMAL_CLEARING');
      }
      return this.finish('answered');
    }
    if (channel.hungUp) return this.finish('abandoned');
    this.log.info({ agentId, disposition: result.disposition }, 'agent did not answer, re-offering');
    this.noAnswer.push(agentId);
    this.agentId = '';
    await deps.hub.send(agentId, { type: 'ended', callId: this.id, outcome: 'missed' });
    this.phase = 'queued';
    const st = await deps.acd.requeue(this.id, agentId, 'ready', '');
    if (st !== 'queued') return;
    void channel.playback(deps.config.holdMusic);
    deps.requestDispatch(this.skill);
  }

  private async onAnswered(agentId: string): Promise<void> {
    if (this.phase !== 'offering') return;
    this.phase = 'talking';
    this.answeredAt = Date.now();
    await this.deps.acd.connect(this.id, agentId);
    await this.deps.hub.send(agentId, { type: 'answered', callId: this.id });
    this.log.info({ agentId, waitS: (this.answeredAt - this.queuedAt) / 1000 }, 'agent answered');
  }

  private async enqueue(skill: string): Promise<void> {
    this.phase = 'queued';
    this.skill = skill;
    this.queuedAt = Date.now();
    this.log.info({ skill, priority: this.priority, reason: this.priorityReason }, 'queued for a human');
    await this.deps.acd.enqueue(this.id, skill, this.ivrPath, this.priority);
    if (this.channel.hungUp) return this.finish('abandoned');
    void this.channel.playback(this.deps.config.holdMusic);
    this.deps.requestDispatch(skill);
  }

  /** A B2BUA leg from FreeSWITCH to a sub-center or any SIP address. */
  private async transfer(uri: string): Promise<boolean> {
    const target = uri.replace(/^sips?:/, '');
    const r = await this.channel.bridge(`{leg_timeout=20,hotline_call_id=${this.id}}sofia/carrier/${target}`);
    if (r.bridged) {
      if (!this.channel.hungUp) this.channel.hangup('NORMAL_CLEARING');
      return true;
    }
    this.log.warn({ disposition: r.disposition }, 'transfer did not connect, falling back');
    return false;
  }

  private async runSurvey(): Promise<void> {
    const node = this.menu?.survey ? this.menu.nodes?.[this.menu.survey] : undefined;
    if (node?.type !== 'survey') return;
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
    if (this.phase === 'queued') await this.finish('abandoned');
  }

  private finishing: Promise<void> | null = null;

  private finish(outcome: Outcome): Promise<void> {
    this.finishing ??= this.doFinish(outcome);
    return this.finishing;
  }

  private async doFinish(outcome: Outcome): Promise<void> {
    const { deps } = this;
    const answered = outcome === 'answered';
    this.phase = 'ended';
    const endedAt = Date.now();
    try {
      await deps.acd.finish(this.id, answered ? 'wrapup' : 'ready');
      await deps.records.write({
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
        answeredAt: this.answeredAt || undefined,
        endedAt,
        agent: this.agentId || undefined,
        outcome,
        hangupCause: this.channel.hangupCause || 'NORMAL_CLEARING',
        noAnswerAgents: this.noAnswer,
        instance: deps.config.instanceId,
      });
      if (this.agentId) {
        await deps.hub.send(this.agentId, { type: 'ended', callId: this.id, outcome });
        if (answered) this.scheduleWrapupEnd(this.agentId);
      }
      this.log.info(
        { outcome, agentId: this.agentId || undefined, totalS: (endedAt - this.arrivedAt) / 1000 },
        'call ended',
      );
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'failed to close the call cleanly');
    } finally {
      this.channel.exit();
      this.onEnded(this);
    }
  }

  private scheduleWrapupEnd(agentId: string): void {
    const { deps } = this;
    const t = setTimeout(async () => {
      try {
        const a = await deps.acd.getAgent(agentId);
        if (a?.state === 'wrapup' && a.callId === this.id) {
          await deps.acd.setAgentState(agentId, 'ready');
          await deps.hub.send(agentId, { type: 'state', state: 'ready' });
          deps.requestDispatch('*');
        }
      } catch (err) {
        deps.log.warn({ agentId, err: (err as Error).message }, 'wrap-up end failed');
      }
    }, deps.config.wrapupS * 1000);
    t.unref();
  }
}
