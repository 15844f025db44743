// mod_dptools three_way <uuid>: switch_ivr_eavesdrop_session with ED_MUX_READ | ED_MUX_WRITE. The channel
// running it joins the target's audio both ways (hears what the target hears and says, is heard by the target
// and its bridged peer) without bridging: the target stays in whatever it runs, and the eavesdropper stays in
// until the target is gone or the eavesdropper's own channel is (switch_ivr_async.c, the loop on
// switch_channel_up_nosig(tchannel) && switch_channel_ready(channel)). No target: an error log and a return.
import type { Channel } from '../channel.ts';
import type { AppFn } from '../session.ts';

const threeWay: AppFn = async (ctx, data) => {
  const { core, channel: ch } = ctx;
  const uuid = data.trim();
  const target = uuid ? core.channels.get(uuid) : undefined;
  if (!target?.up || target === ch) return;
  // eavesdrop pre-answers the eavesdropper before it attaches (switch_channel_pre_answer).
  if (!ch.answered) core.preAnswer(ch);
  core.emit('channel:joined', ch);
  await new Promise<void>((resolve) => {
    const onHangup = (gone: Channel) => {
      if (gone !== target) return;
      core.off('channel:hangup', onHangup);
      resolve();
    };
    core.on('channel:hangup', onHangup);
    void ctx.wait(-1).then(() => {
      core.off('channel:hangup', onHangup);
      resolve();
    });
  });
};

export const threeWayApps: Record<string, AppFn> = { three_way: threeWay };
