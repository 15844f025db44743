// Places the callbacks of virtual hold: when the ACD reserves an agent for a call kept in line
// without a channel, ring the agent first, then call the citizen back and bridge the two, over the
// inbound event socket (originate, uuid_bridge).
import { randomUUID } from 'node:crypto';
import { agentUserEndpoint, callerIdForDial, channelVars, dialNumber } from '../esl/dial-string.ts';
import type { AcdConfigStore } from '../acd/config-store.ts';
import type { AcdStore, StoredCall } from '../acd/store.ts';
import type { Config } from '../config/env.ts';
import type { FreeSwitchLink } from '../esl/inbound-client.ts';
import type { Logger } from '../logging/logger.ts';
import { MERGE_MODE_LABELS, type MergeMode } from '../number-plan/lines.ts';
import { type CallRecordStore, type Outcome, recordBase } from '../records/call-records.ts';
import type { ScreenPopHub } from '../screen-pop/hub.ts';

export interface CallbackDeps {
  config: Config;
  acd: AcdStore;
  acdConfig: AcdConfigStore;
  records: CallRecordStore;
  hub: ScreenPopHub;
  link: FreeSwitchLink;
  requestDispatch: () => void;
  log: Logger;
}

export class CallbackPlacer {
  active = 0;

  constructor(private readonly deps: CallbackDeps) {}

  async place(call: StoredCall, agentId: string): Promise<void> {
    const { deps } = this;
    const log = deps.log.child({ callId: call.id, agentId });
    const agent = await deps.acd.getAgent(agentId);
    if (!agent || deps.link.state !== 'connected') {
      await deps.acd.release(call.id, agentId);
      return;
    }
    this.active++;
    try {
      const { queues, settings } = await deps.acdConfig.load();
      await deps.acd.setRinging(agentId, call.id);
      await deps.hub.send(agentId, {
        type: 'offer',
        callId: call.id,
        caller: call.callbackNumber || call.caller,
        dialled: call.dialled,
        line: call.line,
        lineName: call.lineName,
        mergeMode: call.mergeMode,
        mergeModeLabel: MERGE_MODE_LABELS[call.mergeMode as MergeMode] ?? call.mergeMode,
        ivrPath: [...call.ivrPath, '预约回拨'],
        priority: call.priority,
        waitS: Math.round((Date.now() - call.firstQueuedAt) / 1000),
      });
      const agentUuid = randomUUID();
      const ring = await deps.link
        .bgapi(
          `originate ${channelVars({
            origination_uuid: agentUuid,
            originate_timeout: deps.config.ringTimeoutS,
            hotline_call_id: call.id,
            hotline_callback_leg: 'true',
            origination_caller_id_number: callerIdForDial(call.callbackNumber),
          })}${agentUserEndpoint(agent.extension, deps.config.agentsDomain)} &park`,
        )
        .catch((e: Error) => `-ERR ${e.message}`);
      if (!ring.startsWith('+OK')) {
        const st = await deps.acd.noAnswer(call.id, agentId, settings.maxNoAnswer);
        log.info({ result: ring.trim(), agentState: st }, 'callback: agent did not answer');
        await deps.hub.send(agentId, { type: 'ended', callId: call.id, outcome: 'missed' });
        deps.requestDispatch();
        return;
      }
      await deps.acd.connect(call.id, agentId);
      await deps.hub.send(agentId, { type: 'answered', callId: call.id });
      const citizenUuid = randomUUID();
      const dial = deps.config.callbackDial.replace(
        '{number}',
        dialNumber(call.callbackNumber, 'callback number'),
      );
      const out = await deps.link
        .bgapi(
          `originate ${channelVars({
            origination_uuid: citizenUuid,
            originate_timeout: 30,
            origination_caller_id_number: dialNumber(call.line, 'line'),
            hotline_call_id: call.id,
            hotline_callback_leg: 'true',
          })}${dial} &park`,
        )
        .catch((e: Error) => `-ERR ${e.message}`);
      const answeredAt = Date.now();
      let outcome: Outcome = 'answered';
      if (!out.startsWith('+OK')) {
        log.warn({ result: out.trim() }, 'callback: the citizen did not answer');
        await deps.link.api(`uuid_kill ${agentUuid}`).catch(() => undefined);
        outcome = 'callback-failed';
      } else {
        const ended = deps.link.whenHungUp([agentUuid, citizenUuid]).gone;
        const bridged = await deps.link
          .api(`uuid_bridge ${agentUuid} ${citizenUuid}`)
          .catch((e: Error) => `-ERR ${e.message}`);
        if (!bridged.startsWith('+OK')) {
          // The agent hung up while the citizen's phone rang, or the link failed: end both legs.
          log.warn({ result: bridged.trim() }, 'callback: could not bridge agent and citizen');
          for (const u of [agentUuid, citizenUuid])
            await deps.link.api(`uuid_kill ${u}`).catch(() => undefined);
          outcome = 'callback-failed';
        } else {
          log.info('callback bridged');
          const first = await ended;
          await deps.link
            .api(`uuid_kill ${first === agentUuid ? citizenUuid : agentUuid}`)
            .catch(() => undefined);
        }
      }
      const wrapupS = outcome === 'answered' ? (queues.get(call.skill)?.wrapupS ?? deps.config.wrapupS) : 0;
      await deps.acd.finish(call.id, wrapupS);
      await deps.records.write(
        {
          ...recordBase(call),
          uuid: citizenUuid,
          answeredAt,
          endedAt: Date.now(),
          agent: agentId,
          outcome,
          hangupCause: 'NORMAL_CLEARING',
          callback: true,
          ...(call.callbackKind === 'missed' ? { missedCallback: true } : {}),
          instance: deps.config.instanceId,
        },
        queues.get(call.skill)?.serviceLevelS,
      );
      await deps.hub.send(agentId, { type: 'ended', callId: call.id, outcome });
      if (wrapupS > 0) await deps.hub.wrapupStarted(agentId, call.id, wrapupS);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'callback failed');
      // Before the agent answered, the call goes back to its place; after, it ends (agent freed).
      const cur = await deps.acd.getCall(call.id).catch(() => null);
      if (cur?.state === 'talking') await deps.acd.finish(call.id, 0).catch(() => undefined);
      else await deps.acd.release(call.id, agentId).catch(() => undefined);
    } finally {
      this.active--;
    }
  }
}
