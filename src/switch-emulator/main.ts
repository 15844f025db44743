// Standalone FreeSWITCH emulator: node --import tsx src/switch-emulator/main.ts --esl-port 8021 --router 127.0.0.1:8084
// Optional: --dialplan file.xml (repeatable) --vars vars.xml --password ClueCon --host 127.0.0.1
//           --agent 1001=answer[:ringMs[:talkMs]] (repeatable) --call <destination>:<callerId> (repeatable)
import { readFileSync } from 'node:fs';
import { SwitchEmulator, loadXmlDialplan, readVarsXml, type AgentEndpointScript } from './index.ts';

function parseArgs(argv: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--')) continue;
    const v = argv[i + 1] && !(argv[i + 1] as string).startsWith('--') ? (argv[++i] as string) : 'true';
    out.set(a.slice(2), [...(out.get(a.slice(2)) ?? []), v]);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const one = (k: string): string | undefined => args.get(k)?.[0];
  const [routerHost, routerPort] = (one('router') ?? '127.0.0.1:8084').split(':');
  const dialplanFiles = args.get('dialplan') ?? [];
  const vars = one('vars') ? readVarsXml(readFileSync(one('vars') as string, 'utf8')) : {};
  const emu = new SwitchEmulator({
    host: one('host') ?? '127.0.0.1',
    eslPort: Number(one('esl-port') ?? 8021),
    password: one('password') ?? 'ClueCon',
    routerHost,
    routerPort: Number(routerPort ?? 8084),
    dialplan: dialplanFiles.length
      ? loadXmlDialplan(
          dialplanFiles.map((f) => readFileSync(f, 'utf8')),
          vars,
        )
      : undefined,
    logger: {
      info: (o, m) => console.log('[info]', m ?? '', typeof o === 'string' ? o : JSON.stringify(o)),
      warn: (o, m) => console.warn('[warn]', m ?? '', typeof o === 'string' ? o : JSON.stringify(o)),
      error: (o, m) => console.error('[error]', m ?? '', typeof o === 'string' ? o : JSON.stringify(o)),
      debug: () => undefined,
    },
  });
  for (const spec of args.get('agent') ?? []) {
    const [endpoint = '', rest = 'answer'] = spec.split('=');
    const [behaviour, ring, talk] = rest.split(':');
    const script: AgentEndpointScript = { behaviour: behaviour as AgentEndpointScript['behaviour'] };
    if (ring) script.answerAfterMs = Number(ring);
    if (talk) script.talkMs = Number(talk);
    emu.setAgent(endpoint, script);
  }
  await emu.start();
  console.log(
    `FreeSWITCH EMULATOR (not a real FreeSWITCH) - event socket on ${one('host') ?? '127.0.0.1'}:${emu.eslPort}, ` +
      `outbound socket calls go to ${routerHost}:${routerPort ?? 8084}`,
  );
  emu.on('call:ended', (s) => console.log('[call ended]', JSON.stringify(s)));
  for (const spec of args.get('call') ?? []) {
    const [destination = '12345', callerIdNumber = '13800000000'] = spec.split(':');
    emu.placeCall({ destination, callerIdNumber });
  }
  const shutdown = (): void => {
    void emu.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

void main();
