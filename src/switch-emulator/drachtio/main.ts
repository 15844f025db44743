// Standalone drachtio-server emulator, optionally with emulated FreeSWITCH SIP endpoints feeding a switch emulator:
//   node --import tsx src/switch-emulator/drachtio/main.ts --control 9022 --sip 5070 --secret cymru \
//        [--fs 5080 --fs 5082 --esl-port 8021 --router 127.0.0.1:8084] [--t1 500]
// Everything binds to --host (127.0.0.1 by default).
import { SwitchEmulator } from '../index.ts';
import { FreeSwitchSipEndpoint } from './freeswitch-sip.ts';
import { DrachtioServerEmulator } from './server.ts';

function args(argv: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const v = argv[i + 1] && !argv[i + 1]!.startsWith('--') ? argv[++i]! : 'true';
    out.set(a.slice(2), [...(out.get(a.slice(2)) ?? []), v]);
  }
  return out;
}

async function main(): Promise<void> {
  const a = args(process.argv.slice(2));
  const one = (k: string, d: string) => a.get(k)?.[0] ?? d;
  if (a.has('help')) {
    console.log(
      'usage: drachtio/main.ts --control 9022 --sip 5070 --secret cymru [--host 127.0.0.1] [--t1 500]\n' +
        '       [--fs <sip port> ... --esl-port 8021 --router 127.0.0.1:8084]   (emulated FreeSWITCH pool)',
    );
    return;
  }
  const host = one('host', '127.0.0.1');
  const log = (o: object | string, m?: string) =>
    console.log(JSON.stringify({ ...(typeof o === 'string' ? { msg: o } : o), msg: m }));
  const d = new DrachtioServerEmulator({
    host,
    controlPort: Number(one('control', '9022')),
    sipPort: Number(one('sip', '5070')),
    secret: one('secret', 'cymru'),
    t1Ms: Number(one('t1', '500')),
    logger: { info: log, warn: log, debug: () => undefined },
  });
  await d.start();
  console.log(`drachtio-server emulator: control ${host}:${d.controlPort}, SIP udp/tcp ${host}:${d.sipPort}`);
  const stops: Array<() => Promise<void>> = [() => d.stop()];
  const fsPorts = a.get('fs') ?? [];
  if (fsPorts.length) {
    const [rh, rp] = one('router', '127.0.0.1:8084').split(':');
    const sw = new SwitchEmulator({
      host,
      eslPort: Number(one('esl-port', '8021')),
      routerHost: rh,
      routerPort: Number(rp),
    });
    await sw.start();
    stops.push(() => sw.stop());
    console.log(`FreeSWITCH emulator: event socket ${host}:${sw.eslPort}, socket app -> ${rh}:${rp}`);
    for (const p of fsPorts) {
      const ep = new FreeSwitchSipEndpoint(sw, { host, port: Number(p) });
      await ep.start();
      stops.unshift(() => ep.stop());
      console.log(`FreeSWITCH SIP endpoint: ${ep.address}`);
    }
  }
  const stop = async () => {
    for (const s of stops) await s();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
