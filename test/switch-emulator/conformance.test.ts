// Conformance: replay the client bytes of each recorded FreeSWITCH 1.10.12 session against the emulator and
// compare what the emulator sends with what FreeSWITCH sent (see conformance/compare.ts for the rules).
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SwitchEmulator, loadXmlDialplan, type CallerScript } from '../../src/switch-emulator/index.ts';
import { compareStreams, type CompareOptions } from './conformance/compare.ts';
import { parseStream, type EslMessage } from './conformance/esl-stream.ts';
import { Replayer, type Hook } from './conformance/replay.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtures = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'esl');
const haveFixtures = existsSync(fixtures);
if (!haveFixtures)
  console.warn(`conformance: ${fixtures} not found, skipping FreeSWITCH transcript comparison`);

const fx = (name: string): string => path.join(fixtures, name);
const recorded = (base: string): EslMessage[] =>
  parseStream(readFileSync(fx(`${base}_raw_from_fs.txt`), 'latin1')).messages;

// The dialplan the recordings ran with (README "Dialplan used"), as FreeSWITCH XML for the emulator's interpreter.
const DIALPLAN = `
<include>
  <context name="public">
    <extension name="outside_call" continue="true">
      <condition>
        <action application="set" data="outside_call=true"/>
        <action application="export" data="RFC2822_DATE=\${strftime(%a, %d %b %Y %T %z)}"/>
      </condition>
    </extension>
    <extension name="socket_basic">
      <condition field="destination_number" expression="^7002$">
        <action application="socket" data="127.0.0.1:$\${router_port} async full"/>
      </condition>
    </extension>
    <extension name="socket_ivr">
      <condition field="destination_number" expression="^(710[123])$">
        <action application="socket" data="127.0.0.1:$\${router_port} async full"/>
      </condition>
    </extension>
    <extension name="loopback_target">
      <condition field="destination_number" expression="^7001$">
        <action application="answer"/>
        <action application="park"/>
      </condition>
    </extension>
    <extension name="answer_park">
      <condition field="destination_number" expression="^7110$">
        <action application="answer"/>
        <action application="park"/>
      </condition>
    </extension>
    <extension name="answer_sleep">
      <condition field="destination_number" expression="^7111$">
        <action application="answer"/>
        <action application="sleep" data="1500"/>
        <action application="hangup"/>
      </condition>
    </extension>
  </context>
</include>`;

// The recorded callers were sipp UACs: user "sipp", profile "internal", context "public", Subject header.
const sipp = (destination: string, extra: Partial<CallerScript> = {}): CallerScript => ({
  destination,
  callerIdNumber: 'sipp',
  callerIdName: 'sipp',
  context: 'public',
  profile: 'internal',
  sipHeaders: { Subject: 'Performance Test' },
  ...extra,
});

async function rawServer(): Promise<{ port: number; accepted: Promise<net.Socket>; close: () => void }> {
  const server = net.createServer();
  let resolve!: (s: net.Socket) => void;
  const accepted = new Promise<net.Socket>((r) => (resolve = r));
  server.on('connection', (s) => resolve(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as net.AddressInfo).port, accepted, close: () => server.close() };
}

function expectConformant(label: string, rec: EslMessage[], emu: EslMessage[], opts?: CompareOptions): void {
  const problems = compareStreams(rec, emu, opts);
  expect(problems, `${label}:\n${problems.join('\n')}`).toEqual([]);
}

describe.skipIf(!haveFixtures)('conformance with FreeSWITCH 1.10.12 transcripts', () => {
  let emu: SwitchEmulator | undefined;
  const cleanups: Array<() => void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) c();
    await emu?.stop();
    emu = undefined;
  });

  async function outbound(
    base: string,
    caller: CallerScript,
    agents: Record<string, Parameters<SwitchEmulator['setAgent']>[1]> = {},
    extra?: (ids: Map<string, string>, router: Replayer) => Hook[],
  ): Promise<{ rec: EslMessage[]; got: EslMessage[]; ids: Map<string, string> }> {
    const router = await rawServer();
    cleanups.push(router.close);
    emu = new SwitchEmulator({ dialplan: loadXmlDialplan([DIALPLAN], { router_port: String(router.port) }) });
    await emu.start();
    for (const [k, v] of Object.entries(agents)) emu.setAgent(k, v);
    emu.placeCall(caller);
    const sock = await router.accepted;
    cleanups.push(() => sock.destroy());
    const rec = recorded(base);
    const ids = new Map<string, string>();
    const replay = new Replayer(sock, rec, ids);
    await replay.run(fx(`${base}.txt`), extra?.(ids, replay) ?? []);
    return { rec, got: replay.messages, ids };
  }

  async function inboundConn(
    base: string,
    ids: Map<string, string>,
    hooks: Hook[] = [],
  ): Promise<EslMessage[]> {
    const sock = net.connect({ host: '127.0.0.1', port: (emu as SwitchEmulator).eslPort });
    cleanups.push(() => sock.destroy());
    const replay = new Replayer(sock, recorded(base), ids);
    await replay.run(fx(`${base}.txt`), hooks);
    return replay.messages;
  }

  it('outbound_basic: connect, myevents, linger, answer, playback, hangup, exit', async () => {
    const { rec, got } = await outbound('outbound_basic', sipp('7002'));
    expectConformant('outbound_basic', rec, got);
  });

  it('outbound_caller_abandons: the caller hangs up during a long playback', async () => {
    const { rec, got } = await outbound(
      'outbound_caller_abandons',
      sipp('7103', { hangupAfterAnswerMs: 1000 }),
    );
    expectConformant('outbound_caller_abandons', rec, got);
  });

  it('outbound_bridge_agent: bridge to an agent who answers and hangs up', async () => {
    const { rec, got } = await outbound('outbound_bridge_agent', sipp('7102'), {
      '1001': { behaviour: 'answer', answerAfterMs: 500, talkMs: 1500 },
    });
    expectConformant('outbound_bridge_agent', rec, got);
  });

  it('outbound_ivr_dtmf: play_and_get_digits with a digit injected over a second inbound connection', async () => {
    let injected: Promise<EslMessage[]> | undefined;
    const { rec, got } = await outbound(
      'outbound_ivr_dtmf',
      sipp('7101', { hangupAfterAnswerMs: 2500 }),
      {},
      (ids) => [
        {
          // The play_and_get_digits sendmsg is client block 4; the injector starts 500 ms after it.
          beforeBlock: 5,
          afterMessages: 8,
          run: () => {
            injected = new Promise((r) => setTimeout(r, 500)).then(() =>
              inboundConn('outbound_ivr_dtmf_injector_inbound', ids),
            );
          },
        },
      ],
    );
    expectConformant('outbound_ivr_dtmf', rec, got);
    const inj = await (injected as Promise<EslMessage[]>);
    expectConformant(
      'outbound_ivr_dtmf_injector_inbound',
      recorded('outbound_ivr_dtmf_injector_inbound'),
      inj,
    );
  });

  it('inbound_basic: events, status, bgapi originate loopback, DTMF, callcenter events, uuid_kill, null', async () => {
    emu = new SwitchEmulator({ dialplan: loadXmlDialplan([DIALPLAN], { router_port: '1' }) });
    await emu.start();
    const got = await inboundConn('inbound_basic', new Map());
    expectConformant('inbound_basic', recorded('inbound_basic'), got, { floating: ['BACKGROUND_JOB'] });
  });

  it('inbound_originate_outcomes_badauth: wrong password', async () => {
    emu = new SwitchEmulator();
    await emu.start();
    const got = await inboundConn('inbound_originate_outcomes_badauth', new Map());
    expectConformant('badauth', recorded('inbound_originate_outcomes_badauth'), got);
  });

  it('inbound_originate_outcomes: no answer, busy, unreachable, answered + uuid_bridge, kill', async () => {
    emu = new SwitchEmulator({ dialplan: loadXmlDialplan([DIALPLAN], { router_port: '1' }) });
    await emu.start();
    emu.setAgent('1002@127.0.0.1:5098', { behaviour: 'no-answer' });
    emu.setAgent('1002@127.0.0.1:5099', { behaviour: 'busy' });
    emu.setAgent('1002@127.0.0.1:5097', { behaviour: 'answer', answerAfterMs: 300 });
    const base = 'inbound_originate_outcomes';
    const rec = recorded(base);
    // Leg A (sipp -> 7110) is placed by the harness before the fourth bgapi (client block 5), after the
    // third originate's BACKGROUND_JOB; CHANNEL_CREATE and CHANNEL_ANSWER of A precede that bgapi.
    const got = await inboundConn(base, new Map(), [
      { beforeBlock: 5, afterMessages: 19, run: () => void emu?.placeCall(sipp('7110')) },
    ]);
    expectConformant(base, rec, got, { floating: ['BACKGROUND_JOB'] });
  });

  it.each(['plain', 'json', 'xml'])(
    'inbound_plain_vs_json_%s: CHANNEL_ANSWER in each format',
    async (fmt) => {
      emu = new SwitchEmulator({ dialplan: loadXmlDialplan([DIALPLAN], { router_port: '1' }) });
      await emu.start();
      const base = `inbound_plain_vs_json_${fmt}`;
      const got = await inboundConn(base, new Map(), [
        { beforeBlock: 2, afterMessages: 3, run: () => void emu?.placeCall(sipp('7111')) },
      ]);
      expectConformant(base, recorded(base), got);
    },
  );
});
