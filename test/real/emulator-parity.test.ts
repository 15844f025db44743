// What test/switch-emulator/real-freeswitch.test.ts expects of the switch emulator, checked on the real FreeSWITCH
// 1.10.12: user/<ext> without a domain, the dialplan going on after a socket session ends (a transfer hunted anew,
// a bridge that outlives the socket), applications queued while another runs (nested), uuid_setvar_multi and
// uuid_answer replies, an unknown application, multiset, three_way. Calls are loopback channels into a probe context; the socket
// client is a bare modesl server.
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import esl, { type Connection, type Event as EslEvent } from 'modesl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeTcpPort, havePeers, type RealFreeSwitch, startFreeSwitch } from './freeswitch.ts';
import { startPhones, type Phones } from './sip.ts';
import { waitFor } from '../helpers/stack.ts';
import {
  RECIPE_EVENTS,
  recipeScript,
  withoutStartPark,
  startRecipeRouter,
  type RecipeRouter,
  type RecipeTrace,
} from '../helpers/outbound-recipe.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MULTI_USAGE = '-USAGE: <uuid> <var>=<value>;<var>=<value>...\n';

describe.skipIf(!havePeers)('real FreeSWITCH: what the switch emulator models', () => {
  let fs: RealFreeSwitch;
  let phones: Phones;
  let server: InstanceType<typeof esl.Server>;
  let inbound: Connection;
  let onCall: (conn: Connection) => Promise<void> = async () => undefined;
  let recipe: RecipeRouter;
  let onRecipeCall: (conn: Connection) => Promise<void> = async () => undefined;
  const events: EslEvent[] = [];

  const api = (cmd: string): Promise<string> =>
    new Promise((r) => inbound.api(cmd, (e: EslEvent) => r(e.getBody() ?? '')));
  const exec = (conn: Connection, app: string, arg = ''): Promise<EslEvent> =>
    new Promise((r) => conn.execute(app, arg, (e: EslEvent) => r(e)));
  const of = (uuid: string) => events.filter((e) => e.getHeader('Unique-ID') === uuid);
  async function gone(uuid: string): Promise<void> {
    const end = Date.now() + 15_000;
    while (!of(uuid).some((e) => e.getHeader('Event-Name') === 'CHANNEL_DESTROY')) {
      if (Date.now() > end) throw new Error(`${uuid} not destroyed`);
      await sleep(20);
    }
  }
  /** A loopback call into context probe; the B leg (which runs the dialplan) is the one returned. */
  async function call(exten: string, script: (conn: Connection) => Promise<void>): Promise<string> {
    let bLeg = '';
    const connected = new Promise<void>((resolve) => {
      onCall = async (conn) => {
        bLeg = conn.getInfo().getHeader('Unique-ID') ?? '';
        resolve();
        await script(conn);
      };
    });
    await api(`bgapi originate loopback/${exten}/probe &park`);
    await connected;
    return bLeg;
  }

  beforeAll(async () => {
    const tcp = net.createServer();
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
    const port = (tcp.address() as net.AddressInfo).port;
    server = await new Promise((resolve) => {
      const s: InstanceType<typeof esl.Server> = new esl.Server({ server: tcp, myevents: true }, () =>
        resolve(s),
      );
    });
    server.on('connection::ready', (conn: Connection) => {
      conn.on('error', () => undefined);
      void onCall(conn).catch(() => undefined);
    });
    recipe = await startRecipeRouter((conn) => onRecipeCall(conn));
    // Loopback legs offer L16; the phones take PCMU only when asked for it.
    const probe = `<include>
<context name="probe">
  <extension name="socket_then_transfer">
    <condition field="destination_number" expression="^socket$">
      <action application="set" data="continue_on_fail=true"/>
      <action application="socket" data="127.0.0.1:${port} async full"/>
      <action application="transfer" data="after XML probe"/>
    </condition>
  </extension>
  <extension name="router_recipe">
    <condition field="destination_number" expression="^recipe$">
      <action application="socket" data="127.0.0.1:${recipe.port} async full"/>
    </condition>
  </extension>
  <extension name="after_served">
    <condition field="destination_number" expression="^after$"/>
    <condition field="\${probe_served}" expression="^true$">
      <action application="hangup" data="CALL_REJECTED"/>
    </condition>
  </extension>
  <extension name="after">
    <condition field="destination_number" expression="^after$">
      <action application="hangup" data="USER_BUSY"/>
    </condition>
  </extension>
  <extension name="multiset">
    <condition field="destination_number" expression="^multiset$">
      <action application="multiset" data="^^|hotline_a=1|hotline_b=two words|hotline_c=x=y"/>
      <action application="multiset" data="hotline_d=4 hotline_e=5"/>
      <action application="hangup" data="NORMAL_CLEARING"/>
    </condition>
  </extension>
  <extension name="talk">
    <condition field="destination_number" expression="^talk$">
      <action application="answer"/>
      <action application="park"/>
    </condition>
  </extension>
  <extension name="parked">
    <condition field="destination_number" expression="^parked$">
      <action application="park"/>
    </condition>
  </extension>
</context>
</include>
`;
    fs = await startFreeSwitch({
      routerPort: await freeTcpPort(),
      extraConf: { 'dialplan/probe.xml': probe },
    });
    phones = await startPhones(fs, ['1001'], { behaviour: 'answer', ringMs: 200, talkMs: 1500 });
    inbound = await new Promise<Connection>((resolve, reject) => {
      const c = new esl.Connection('127.0.0.1', fs.eslPort, 'ClueCon', () => resolve(c));
      c.on('error', reject);
    });
    await new Promise((r) => inbound.events('plain', 'ALL', r));
    inbound.on('esl::event::**', (e: EslEvent) => {
      if (e.getHeader('Unique-ID')) events.push(e);
    });
  });
  afterAll(async () => {
    phones?.stop();
    inbound?.socket?.destroy();
    server?.close();
    await recipe?.close();
    await fs?.stop();
  });

  it('user/1001 without a domain is USER_NOT_REGISTERED at once; user/1001@<agents domain> rings', async () => {
    expect(await api('global_getvar domain')).not.toBe(fs.domain);
    const t = Date.now();
    expect(await api('originate user/1001 &park')).toBe('-ERR USER_NOT_REGISTERED\n');
    expect(Date.now() - t).toBeLessThan(500);
    const ok = await api(`originate {absolute_codec_string=PCMU}user/1001@${fs.domain} &park`);
    expect(ok).toMatch(/^\+OK /);
    // uuid_exists, as channelUp (forced states, the orphan sweep) reads it: "true" while up, "false" once gone.
    const uuid = ok.slice(4).trim();
    expect((await api(`uuid_exists ${uuid}`)).trim()).toBe('true');
    await api(`uuid_kill ${uuid}`);
    await waitFor(async () => (await api(`uuid_exists ${uuid}`)).trim() === 'false', 5000, 'channel gone');
  });

  it('a sofia profile or gateway freeswitch-conf does not have fails at once, as the emulator says', async () => {
    expect(await api('originate sofia/carrier/110@127.0.0.1:5099 &park')).toBe('-ERR INVALID_PROFILE\n');
    expect(await api('originate sofia/gateway/carrier/13800138000 &park')).toBe('-ERR INVALID_GATEWAY\n');
  });

  it('the socket session ends: the dialplan goes on, and a transfer is hunted with what uuid_setvar set', async () => {
    const b = await call('socket', async (conn) => {
      await exec(conn, 'answer');
      const uuid = conn.getInfo().getHeader('Unique-ID') ?? '';
      await new Promise((r) => conn.api(`uuid_setvar ${uuid} probe_served true`, r));
      conn.socket?.destroy();
    });
    await gone(b);
    const mine = of(b);
    expect(mine.find((e) => e.getHeader('Event-Name') === 'CHANNEL_HANGUP')?.getHeader('Hangup-Cause')).toBe(
      'CALL_REJECTED',
    );
    const routing = mine
      .filter(
        (e) => e.getHeader('Event-Name') === 'CHANNEL_STATE' && e.getHeader('Channel-State') === 'CS_ROUTING',
      )
      .at(-1);
    expect(routing?.getHeader('Caller-Destination-Number')).toBe('after');
    expect(routing?.getHeader('Caller-RDNIS')).toBe('socket');
    expect(routing?.getHeader('Caller-Profile-Index')).toBe('2');
  });

  it('a bridge running when the socket dies goes on; the dialplan continues after it', async () => {
    const miss: Array<string | null> = [];
    const b = await call('socket', async (conn) => {
      await exec(conn, 'answer');
      const r = await exec(conn, 'bridge', 'user/1001');
      miss.push(r.getHeader('variable_originate_disposition'), r.getHeader('variable_DIALSTATUS'));
      conn.on('esl::event::CHANNEL_BRIDGE::**', () => setTimeout(() => conn.socket?.destroy(), 100));
      void exec(conn, 'bridge', `{absolute_codec_string=PCMU}user/1001@${fs.domain}`);
    });
    await gone(b);
    expect(miss).toEqual(['USER_NOT_REGISTERED', 'USER_NOT_REGISTERED']);
    const trace = of(b)
      .map((e) => `${e.getHeader('Event-Name')} ${e.getHeader('Application') ?? ''}`.trim())
      .filter((t) => /BRIDGE|EXECUTE|PARK|HANGUP$/.test(t));
    expect(trace.slice(trace.indexOf('CHANNEL_UNBRIDGE'))).toEqual([
      'CHANNEL_UNBRIDGE',
      'CHANNEL_EXECUTE_COMPLETE bridge',
      'CHANNEL_UNPARK',
      'CHANNEL_EXECUTE_COMPLETE socket',
      'CHANNEL_EXECUTE transfer',
      'CHANNEL_EXECUTE_COMPLETE transfer',
      'CHANNEL_EXECUTE hangup',
      'CHANNEL_HANGUP',
      'CHANNEL_EXECUTE_COMPLETE hangup',
    ]);
    expect(
      of(b)
        .find((e) => e.getHeader('Event-Name') === 'CHANNEL_HANGUP')
        ?.getHeader('Hangup-Cause'),
    ).toBe('USER_BUSY');
  });

  // How the router rings an agent (ChannelControl.offerAgent): bgapi originate on the caller's socket, then
  // uuid_answer and uuid_bridge. Checked against test/switch-emulator/real-freeswitch.test.ts.
  /** The caller's events from the socket application's end to the end of the conversation. */
  const JOINED = [
    'CHANNEL_UNPARK',
    'CHANNEL_EXECUTE_COMPLETE socket',
    'CHANNEL_EXECUTE uuid_bridge',
    'CHANNEL_BRIDGE',
    'CHANNEL_UNBRIDGE',
  ];
  for (const parkAfter of [false, true]) {
    it(`uuid_bridge of a caller under the socket application${parkAfter ? ', park_after_bridge' : ''}`, async () => {
      const b = await call('socket', async (conn) => {
        const uuid = conn.getInfo().getHeader('Unique-ID') ?? '';
        const leg = randomUUID();
        if (parkAfter) await new Promise((r) => conn.api(`uuid_setvar ${uuid} park_after_bridge true`, r));
        const job = await new Promise<EslEvent>((r) =>
          conn.bgapi(
            'originate',
            `{origination_uuid=${leg},absolute_codec_string=PCMU}user/1001@${fs.domain} &park()`,
            r,
          ),
        );
        expect(job.getBody()).toBe(`+OK ${leg}\n`);
        await new Promise((r) => conn.api(`uuid_answer ${uuid}`, r));
        const bridged = await new Promise<EslEvent>((r) => conn.api(`uuid_bridge ${uuid} ${leg}`, r));
        expect(bridged.getBody()).toBe(`+OK ${leg}\n`);
        if (!parkAfter) return;
        await new Promise<void>((resolve) => conn.once(`esl::event::CHANNEL_PARK::${uuid}`, () => resolve()));
        await exec(conn, 'playback', 'silence_stream://100');
        conn.send(`sendmsg ${uuid}`, { 'call-command': 'hangup', 'hangup-cause': 'NORMAL_CLEARING' });
      });
      await gone(b);
      const trace = of(b)
        .map((e) => `${e.getHeader('Event-Name')} ${e.getHeader('Application') ?? ''}`.trim())
        .filter((t) => /EXECUTE|PARK|BRIDGE/.test(t));
      expect(trace.slice(trace.indexOf('CHANNEL_UNPARK'))).toEqual(
        parkAfter
          ? [
              ...JOINED,
              'CHANNEL_PARK',
              'CHANNEL_EXECUTE playback',
              'CHANNEL_EXECUTE_COMPLETE playback',
              'CHANNEL_UNPARK',
            ]
          : [
              ...JOINED,
              'CHANNEL_EXECUTE transfer',
              'CHANNEL_EXECUTE_COMPLETE transfer',
              'CHANNEL_EXECUTE hangup',
              'CHANNEL_EXECUTE_COMPLETE hangup',
            ],
      );
      expect(
        of(b)
          .find((e) => e.getHeader('Event-Name') === 'CHANNEL_HANGUP')
          ?.getHeader('Hangup-Cause'),
      ).toBe(parkAfter ? 'NORMAL_CLEARING' : 'USER_BUSY');
    });
  }

  // The router's handshake and originate (src/esl/guarded-connection.ts, ChannelControl.offerAgent), checked against
  // test/switch-emulator/real-freeswitch.test.ts: only the subscribed events of this channel reach the socket (not
  // the socket application's own CHANNEL_PARK, nor CHANNEL_STATE and the rest that myevents turns on), and a bgapi
  // without a Job-UUID header is named in the reply, before its BACKGROUND_JOB.
  it("the router's outbound recipe: myevents json, nixevent ALL, event json <list>; a bare bgapi names its job", async () => {
    const leg = randomUUID();
    const traced = new Promise<RecipeTrace>((resolve) => {
      onRecipeCall = async (conn) =>
        resolve(
          await recipeScript(
            conn,
            `{origination_uuid=${leg},absolute_codec_string=PCMU}user/1001@${fs.domain}`,
            leg,
          ),
        );
    });
    await api('bgapi originate loopback/recipe/probe &park');
    const t = await traced;
    expect(t.job).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.reply).toBe(`+OK Job-UUID: ${t.job}`);
    expect(t.jobEventId).toBe(t.job);
    expect(t.jobBody).toBe(`+OK ${leg}\n`);
    expect(withoutStartPark(t.events)).toEqual(RECIPE_EVENTS);
  });

  it('applications sent while a playback runs start at once, nested; one uuid_break ends both', async () => {
    const seen: Array<{ name: string; data: string; at: number }> = [];
    let t0 = 0;
    const b = await call('socket', async (conn) => {
      conn.on('esl::event::**', (e: EslEvent) => {
        const name = e.getHeader('Event-Name') ?? '';
        if (name.startsWith('CHANNEL_EXECUTE') && e.getHeader('Application') !== 'socket')
          seen.push({ name, data: e.getHeader('Application-Data') ?? '', at: Date.now() - t0 });
      });
      await exec(conn, 'answer');
      seen.length = 0;
      t0 = Date.now();
      await Promise.all([
        exec(conn, 'playback', 'silence_stream://1500'),
        exec(conn, 'set', 'nested=1'),
        exec(conn, 'playback', 'silence_stream://300'),
      ]);
      const uuid = conn.getInfo().getHeader('Unique-ID') ?? '';
      const both = Promise.all([
        exec(conn, 'playback', 'silence_stream://3000'),
        exec(conn, 'playback', 'silence_stream://3000'),
      ]);
      await sleep(300);
      await new Promise((r) => conn.api(`uuid_break ${uuid}`, r));
      await both;
      seen.push({ name: 'both ended', data: '', at: Date.now() - t0 });
      await exec(conn, 'hangup');
    });
    await gone(b);
    expect(seen.slice(0, 6).map((x) => `${x.name} ${x.data}`)).toEqual([
      'CHANNEL_EXECUTE silence_stream://1500',
      'CHANNEL_EXECUTE nested=1',
      'CHANNEL_EXECUTE_COMPLETE nested=1',
      'CHANNEL_EXECUTE silence_stream://300',
      'CHANNEL_EXECUTE_COMPLETE silence_stream://300',
      'CHANNEL_EXECUTE_COMPLETE silence_stream://1500',
    ]);
    expect(seen[5]!.at - seen[0]!.at).toBeGreaterThanOrEqual(1750);
    const bothEnded = seen.find((x) => x.name === 'both ended')!.at;
    const started = seen[6]!.at;
    expect(bothEnded - started).toBeLessThan(1500);
  });

  it('uuid_setvar_multi and uuid_answer replies; an unknown application hangs up', async () => {
    let parked = '';
    const b = await call('socket', async (conn) => {
      await exec(conn, 'answer');
      conn.sendRecv('sendmsg', { 'call-command': 'execute', 'execute-app-name': 'no_such_app' });
    });
    await gone(b);
    expect(
      of(b)
        .find((e) => e.getHeader('Event-Name') === 'CHANNEL_HANGUP')
        ?.getHeader('Hangup-Cause'),
    ).toBe('DESTINATION_OUT_OF_ORDER');
    expect(of(b).some((e) => e.getHeader('Application') === 'no_such_app')).toBe(false);

    const originated = api('bgapi originate {originate_timeout=20}loopback/parked/probe &park');
    await originated;
    const end = Date.now() + 5000;
    while (!parked && Date.now() < end) {
      const rows = (JSON.parse(await api('show channels as json')).rows ?? []) as Array<
        Record<string, string>
      >;
      parked = rows.find((r) => r.name === 'loopback/parked-b')?.uuid ?? '';
      if (!parked) await sleep(50);
    }
    const a = (
      (JSON.parse(await api('show channels as json')).rows ?? []) as Array<Record<string, string>>
    ).find((r) => r.name === 'loopback/parked-a')?.uuid;
    expect(await api('uuid_setvar_multi')).toBe(MULTI_USAGE);
    expect(await api(`uuid_setvar_multi ${parked}`)).toBe('-ERR no reply\n');
    expect(await api('uuid_setvar_multi 00000000-0000-0000-0000-000000000000 a=1')).toBe(
      `-ERR No such channel!\n${MULTI_USAGE}`,
    );
    expect(await api(`uuid_setvar_multi ${parked} =1;pc=3`)).toBe('-ERR No variable specified\n+OK\n');
    expect(await api(`uuid_setvar_multi ${parked} pd= 4 ;pe='x;y';pf=a\\;b`)).toBe('+OK\n');
    expect(await api(`uuid_getvar ${parked} pd`)).toBe(' 4');
    expect(await api(`uuid_getvar ${parked} pe`)).toBe('x;y');
    expect(await api(`uuid_getvar ${parked} pf`)).toBe('a;b');
    expect(await api('uuid_answer 00000000-0000-0000-0000-000000000000')).toBe('-ERROR\n');
    // The outbound A leg: +OK, still not answered.
    expect(await api(`uuid_answer ${a}`)).toBe('+OK\n');
    await sleep(200);
    expect(of(a ?? '').some((e) => e.getHeader('Event-Name') === 'CHANNEL_ANSWER')).toBe(false);
    expect(await api(`uuid_answer ${parked}`)).toBe('+OK\n');
    await sleep(200);
    expect(of(parked).some((e) => e.getHeader('Event-Name') === 'CHANNEL_ANSWER')).toBe(true);
    await api(`uuid_kill ${parked}`);
    await gone(parked);
    expect(await api(`uuid_answer ${parked}`)).toBe('-ERROR\n');
  });

  it('multiset sets each variable, split on spaces or on the ^^ delimiter', async () => {
    const before = events.length;
    await api('bgapi originate loopback/multiset/probe &park');
    const end = Date.now() + 10_000;
    let done: EslEvent | undefined;
    while (!done && Date.now() < end) {
      done = events
        .slice(before)
        .find(
          (e) =>
            e.getHeader('Event-Name') === 'CHANNEL_HANGUP_COMPLETE' &&
            e.getHeader('Channel-Name') === 'loopback/multiset-b',
        );
      if (!done) await sleep(50);
    }
    expect(['a', 'b', 'c', 'd', 'e'].map((k) => done?.getHeader(`variable_hotline_${k}`))).toEqual([
      '1',
      'two words',
      'x=y',
      '4',
      '5',
    ]);
  });

  it('three_way joins a channel without a bridge, stays while it is up, and returns at once without it', async () => {
    const target = (await api('originate loopback/talk/probe &park')).trim();
    expect(target).toMatch(/^\+OK /);
    const joined = (await api(`originate loopback/talk/probe &three_way(${target.slice(4)})`)).trim();
    expect(joined).toMatch(/^\+OK /);
    const leg = joined.slice(4);
    await sleep(500);
    expect(await api(`uuid_exists ${leg}`)).toBe('true');
    expect((await api('show channels')).split('\n').find((l) => l.startsWith(`${leg},`))).toContain(
      `,three_way,${target.slice(4)},`,
    );
    await api(`uuid_kill ${target.slice(4)}`);
    await gone(leg);
    const lone = (await api('originate loopback/talk/probe &three_way(00000000-0000-4000-8000-000000000000)'))
      .trim()
      .slice(4);
    await gone(lone);
  });
});
