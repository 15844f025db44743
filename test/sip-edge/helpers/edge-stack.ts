// A router with its SIP edge, end to end on real protocols: the drachtio-server emulator (the unmodified
// drachtio-srf client inside the router connects to it), emulated FreeSWITCH SIP endpoints forming the pool and
// feeding the switch emulator's call model (whose outbound sockets reach the router as usual), real Redis, and
// sipp as carriers, sub-centers and softphones. All on 127.0.0.1, ephemeral ports.
import { DrachtioServerEmulator } from '../../../src/switch-emulator/drachtio/server.ts';
import { FreeSwitchSipEndpoint } from '../../../src/switch-emulator/drachtio/freeswitch-sip.ts';
import type { SipEdge } from '../../../src/sip-edge/edge.ts';
import { startStack, waitFor, type Stack } from '../../helpers/stack.ts';

export const DRACHTIO_SECRET = 'edge-test-secret';
export const AGENT_PASSWORD = 'secret';

export interface EdgeStack extends Stack {
  drachtio: DrachtioServerEmulator;
  fs: FreeSwitchSipEndpoint[];
  edge: SipEdge;
  /** host:port carriers send SIP to. */
  sip: string;
}

export async function startEdgeStack(
  opts: { poolSize?: number; env?: Record<string, string>; fileDurationMs?: (f: string) => number } = {},
): Promise<EdgeStack> {
  const drachtio = new DrachtioServerEmulator({ secret: DRACHTIO_SECRET });
  await drachtio.start();
  const ref: { stack?: Stack } = {};
  const fs: FreeSwitchSipEndpoint[] = [];
  for (let i = 0; i < (opts.poolSize ?? 1); i++) {
    const ep = new FreeSwitchSipEndpoint(() => ref.stack!.emulator);
    await ep.start();
    fs.push(ep);
  }
  const stack = await startStack(
    {
      HOTLINE_DRACHTIO_HOST: '127.0.0.1',
      HOTLINE_DRACHTIO_PORT: String(drachtio.controlPort),
      HOTLINE_DRACHTIO_SECRET: DRACHTIO_SECRET,
      HOTLINE_SIP_FS_POOL: fs.map((f) => f.address).join(','),
      HOTLINE_SIP_OPTIONS_INTERVAL_MS: '200',
      HOTLINE_SIP_OPTIONS_TIMEOUT_MS: '300',
      HOTLINE_SIP_OPTIONS_FAILURES: '2',
      HOTLINE_SIP_FS_ANSWER_TIMEOUT_MS: '3000',
      HOTLINE_SIP_SUBCENTER_TIMEOUT_S: '3',
      HOTLINE_SIP_SUBCENTER_HOURS: '00:00-24:00',
      HOTLINE_AGENT_SIP_PASSWORD: AGENT_PASSWORD,
      HOTLINE_SIP_REALM: 'hotline.test',
      // Most edge tests script agents on the emulated FreeSWITCH (user/NNNN); the registration tests
      // switch to agents registering at the edge.
      HOTLINE_SIP_AGENT_REGISTRAR: 'freeswitch',
      ...opts.env,
    },
    { fileDurationMs: opts.fileDurationMs },
  );
  ref.stack = stack;
  const edge = stack.router.sipEdge!;
  await edge.ready(5000);
  // Every FreeSWITCH answered a ping at least once: the pool is known to be healthy.
  await waitFor(() => fs.every((f) => f.stats.options > 0), 5000, 'first OPTIONS pings');
  const base = stack;
  return {
    ...base,
    drachtio,
    fs,
    edge,
    sip: `127.0.0.1:${drachtio.sipPort}`,
    async stop() {
      await base.stop();
      for (const f of fs) await f.stop();
      await drachtio.stop();
    },
  };
}
