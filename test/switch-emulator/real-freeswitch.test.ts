// Behaviours of a real FreeSWITCH 1.10.12 that the emulator once got wrong, each checked on the real server (the
// project's configuration from freeswitch-conf/ and dialplans/, sipp phones registered on the agents profile,
// loopback and sipp callers, modesl on both sockets) and against its source (mod_dptools user_outgoing_channel,
// mod_event_socket socket_function, switch_ivr_parse_event / switch_ivr_play_file, mod_commands). What the real
// server did is quoted in each test.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection, Event as EslEvent } from 'modesl';
import {
  loadXmlDialplan,
  readVarsXml,
  type CallSummary,
  type Dialplan,
  type DialplanCall,
  type SwitchEmulator,
} from '../../src/switch-emulator/index.ts';
import {
  api,
  bgapi,
  exec,
  inboundClient,
  recordEvents,
  sleep,
  startEmulator,
  startRouter,
} from './helpers.ts';
import {
  RECIPE_EVENTS,
  recipeScript,
  startRecipeRouter,
  type RecipeTrace,
} from '../helpers/outbound-recipe.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MULTI_USAGE = '-USAGE: <uuid> <var>=<value>;<var>=<value>...\n';

type Router = { port: number; close: () => Promise<void> };

describe('the emulator does what a real FreeSWITCH 1.10.12 does', () => {
  let emu: SwitchEmulator | undefined;
  const routers: Router[] = [];
  const conns: Connection[] = [];
  afterEach(async () => {
    for (const c of conns.splice(0)) c.socket?.destroy();
    await emu?.stop();
    emu = undefined;
    for (const r of routers.splice(0)) await r.close();
  });

  async function router(onCall: (conn: Connection) => Promise<void>): Promise<Router> {
    const r = await startRouter((conn) => void onCall(conn).catch(() => undefined));
    routers.push(r);
    return r;
  }

  async function watcher(e: SwitchEmulator): Promise<Array<{ name: string; e: EslEvent }>> {
    const c = await inboundClient(e.eslPort);
    conns.push(c);
    await new Promise((r) => c.events('plain', 'ALL', r));
    return recordEvents(c);
  }

  /** Until the watcher has seen the channel's CHANNEL_DESTROY. */
  async function destroyed(events: Array<{ name: string; e: EslEvent }>, uuid: string): Promise<void> {
    const end = Date.now() + 3000;
    while (!events.some((x) => x.name === 'CHANNEL_DESTROY' && x.e.getHeader('Unique-ID') === uuid)) {
      if (Date.now() > end) throw new Error('no CHANNEL_DESTROY');
      await sleep(10);
    }
  }

  /** A port nothing listens on. */
  async function closedPort(): Promise<number> {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }

  describe('user/<ext>: the directory domain', () => {
    // Real: `originate user/1001 &park` with 1001 registered in hotline.local -> "-ERR USER_NOT_REGISTERED" after
    // 45 ms (a round trip); `user/1001@hotline.local` rang the phone. `global_getvar domain` was the machine's IP
    // (the stock vars.xml). In a socket session `bridge user/1001` completed in 1 ms with originate_disposition and
    // DIALSTATUS USER_NOT_REGISTERED and no originate_causes (no leg was created).
    it('without @domain it looks in the global domain: a phone registered in hotline.local is not found', async () => {
      const seen: Record<string, string | null | number> = {};
      const r = await router(async (conn) => {
        await exec(conn, 'answer');
        await exec(conn, 'set', 'continue_on_fail=true');
        const t = Date.now();
        const miss = await exec(conn, 'bridge', 'user/1001');
        seen.ms = Date.now() - t;
        seen.disposition = miss.getHeader('variable_originate_disposition');
        seen.dialstatus = miss.getHeader('variable_DIALSTATUS');
        seen.causes = miss.getHeader('variable_originate_causes');
        seen.dialedDomain = miss.getHeader('variable_dialed_domain');
        const hit = await exec(conn, 'bridge', 'user/1001@hotline.local');
        seen.hit = hit.getHeader('variable_originate_disposition');
        seen.hitDomain = hit.getHeader('variable_dialed_domain');
        await exec(conn, 'hangup');
      });
      emu = await startEmulator({ routerPort: r.port });
      emu.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50, talkMs: 100 });
      const rung: string[] = [];
      emu.on('agent:ringing', (ep: string) => rung.push(ep));
      const s = await emu.placeCall({ destination: '12345', callerIdNumber: '13800000101' }).ended;
      expect(seen).toMatchObject({
        disposition: 'USER_NOT_REGISTERED',
        dialstatus: 'USER_NOT_REGISTERED',
        causes: null,
        dialedDomain: '127.0.0.1',
        hit: 'SUCCESS',
        hitDomain: 'hotline.local',
      });
      expect(seen.ms).toBeLessThan(100);
      expect(rung).toEqual(['1001']);
      expect(s.bridgedTo).toBeDefined();
    });

    it('over the inbound socket, with phones registered in other domains and the global domain', async () => {
      emu = await startEmulator({ agentsDomain: 'agents.example' });
      emu.setAgent('1001', { behaviour: 'answer', answerAfterMs: 20 });
      emu.setAgent('1002', { behaviour: 'answer', answerAfterMs: 20, domain: '127.0.0.1' });
      emu.setAgent('1003@hotline.local', { behaviour: 'answer', answerAfterMs: 20 });
      const c = await inboundClient(emu.eslPort);
      conns.push(c);
      const originate = async (target: string) => (await api(c, 'originate', `${target} &park`)).getBody();
      expect((await api(c, 'global_getvar', 'domain')).getBody()).toBe('127.0.0.1');
      expect(await originate('user/1001')).toBe('-ERR USER_NOT_REGISTERED\n');
      expect(await originate('user/1001@hotline.local')).toBe('-ERR USER_NOT_REGISTERED\n');
      expect(await originate('user/1001@agents.example')).toMatch(/^\+OK /);
      expect(await originate('user/1002')).toMatch(/^\+OK /);
      expect(await originate('user/1002@agents.example')).toBe('-ERR USER_NOT_REGISTERED\n');
      expect(await originate('user/1003@hotline.local')).toMatch(/^\+OK /);
      expect(await originate('user/1003')).toBe('-ERR USER_NOT_REGISTERED\n');
    });
  });

  describe('the socket session ends with the channel up: the dialplan goes on', () => {
    /** dialplans/hotline_inbound.xml as a function: primary router, then the failover extensions, hunted anew. */
    function failover(primary: number, backup: number, hunts: DialplanCall[]): Dialplan {
      return (call) => {
        hunts.push({ ...call, variables: { ...call.variables } });
        if (call.destination === 'hotline_router_gone') {
          if (call.variables.hotline_agent_answered === 'true')
            return [{ app: 'hangup', data: 'NORMAL_CLEARING' }];
          return [
            { app: 'socket', data: `127.0.0.1:${backup} async full` },
            { app: 'transfer', data: 'hotline_backup_gone XML hotline_inbound' },
          ];
        }
        if (call.destination === 'hotline_backup_gone') {
          return [
            { app: 'answer', data: '' },
            { app: 'playback', data: 'hotline_apology_zh.wav' },
            { app: 'hangup', data: 'NORMAL_TEMPORARY_FAILURE' },
          ];
        }
        return [
          { app: 'set', data: 'hotline_ingress=carrier' },
          { app: 'socket', data: `127.0.0.1:${primary} async full` },
          { app: 'transfer', data: 'hotline_router_gone XML hotline_inbound' },
        ];
      };
    }

    // Real (context probe: socket without socket_resume, then `transfer after XML probe`; the router set a variable
    // with uuid_setvar and closed its socket): CHANNEL_UNPARK, EXECUTE_COMPLETE socket, EXECUTE transfer,
    // EXECUTE_COMPLETE transfer, CHANNEL_STATE CS_ROUTING and CS_EXECUTE with Caller-Destination-Number "after",
    // and the extension matching the variable ran (hangup CALL_REJECTED).
    it('a served caller (hotline_agent_answered=true set by api) is hung up by the failover extension', async () => {
      const hunts: DialplanCall[] = [];
      let backupCalls = 0;
      const backup = await router(async () => void backupCalls++);
      const primary = await router(async (conn) => {
        await exec(conn, 'answer');
        const uuid = conn.getInfo().getHeader('Unique-ID') as string;
        await api(conn, 'uuid_setvar', `${uuid} hotline_agent_answered true`);
        conn.socket?.destroy();
      });
      emu = await startEmulator({ dialplan: failover(primary.port, backup.port, hunts) });
      const events = await watcher(emu);
      const s = await emu.placeCall({ destination: '12345', callerIdNumber: '13800000102' }).ended;
      expect(s).toMatchObject({ hangupCause: 'NORMAL_CLEARING', hangupBy: 'switch', answered: true });
      expect(hunts.map((h) => [h.destination, h.context])).toEqual([
        ['12345', 'hotline_inbound'],
        ['hotline_router_gone', 'hotline_inbound'],
      ]);
      expect(hunts[1]?.variables).toMatchObject({
        hotline_agent_answered: 'true',
        hotline_ingress: 'carrier',
      });
      expect(backupCalls).toBe(0);
      await destroyed(events, s.uuid);
      const mine = events.filter((x) => x.e.getHeader('Unique-ID') === s.uuid);
      const trace = mine
        .map((x) =>
          x.name === 'CHANNEL_STATE'
            ? `CHANNEL_STATE ${x.e.getHeader('Channel-State')}`
            : `${x.name} ${x.e.getHeader('Application') ?? ''}`.trim(),
        )
        .filter((t) => /EXECUTE|PARK|STATE CS_ROUTING/.test(t));
      expect(trace.slice(trace.indexOf('CHANNEL_UNPARK'))).toEqual([
        'CHANNEL_UNPARK',
        'CHANNEL_EXECUTE_COMPLETE socket',
        'CHANNEL_EXECUTE transfer',
        'CHANNEL_EXECUTE_COMPLETE transfer',
        'CHANNEL_STATE CS_ROUTING',
        'CHANNEL_STATE CS_EXECUTE',
        'CHANNEL_EXECUTE hangup',
        'CHANNEL_EXECUTE_COMPLETE hangup',
      ]);
      const routing = mine
        .filter((x) => x.name === 'CHANNEL_STATE' && x.e.getHeader('Channel-State') === 'CS_ROUTING')
        .at(-1)?.e;
      expect(routing?.getHeader('Caller-Destination-Number')).toBe('hotline_router_gone');
      expect(routing?.getHeader('Caller-RDNIS')).toBe('12345');
      expect(routing?.getHeader('Caller-Profile-Index')).toBe('2');
      expect(routing?.getHeader('Caller-Transfer-Source')).toMatch(
        new RegExp(`^\\d+:${s.uuid}:bl_xfer:hotline_router_gone/hotline_inbound/XML$`),
      );
      const complete = mine.find((x) => x.name === 'CHANNEL_HANGUP_COMPLETE')?.e;
      expect(complete?.getHeader('variable_max_forwards')).toBe('69');
    });

    it('a caller not yet served goes to the backup router, then to the apology when no router is left', async () => {
      const hunts: DialplanCall[] = [];
      let adopted: string | null = null;
      let backupDest: string | null = null;
      const backup = await router(async (conn) => {
        adopted = conn.getInfo().getHeader('Unique-ID');
        backupDest = conn.getInfo().getHeader('Caller-Destination-Number');
        await exec(conn, 'hangup', 'USER_BUSY');
      });
      const primary = await router(async (conn) => {
        await exec(conn, 'answer');
        conn.socket?.destroy();
      });
      emu = await startEmulator({
        dialplan: failover(primary.port, backup.port, hunts),
        fileDurationMs: () => 50,
      });
      const s = await emu.placeCall({ destination: '12345', callerIdNumber: '13800000103' }).ended;
      expect(s.hangupCause).toBe('USER_BUSY');
      expect(adopted).toBe(s.uuid);
      expect(backupDest).toBe('hotline_router_gone');

      // Neither router there: the apology, then the extension's last action.
      await emu.stop();
      hunts.length = 0;
      emu = await startEmulator({
        dialplan: failover(await closedPort(), await closedPort(), hunts),
        fileDurationMs: () => 50,
      });
      const s2 = await emu.placeCall({ destination: '12345', callerIdNumber: '13800000104' }).ended;
      expect(s2).toMatchObject({ hangupCause: 'NORMAL_TEMPORARY_FAILURE', answered: true });
      expect(hunts.map((h) => h.destination)).toEqual([
        '12345',
        'hotline_router_gone',
        'hotline_backup_gone',
      ]);
    });

    it("the project's dialplans/hotline_inbound.xml, loaded as XML, fails over the same way", async () => {
      // A served caller asks the routers again (after a conversation the agent ended, the one that holds the call
      // keeps the socket); routers that do not hold it close the socket, and the dialplan hangs up.
      const servedAsks: string[] = [];
      const served = await router(async (conn) => {
        if (conn.getInfo().getHeader('variable_hotline_agent_answered') === 'true') {
          servedAsks.push('primary');
          conn.socket?.destroy();
          return;
        }
        await exec(conn, 'answer');
        const uuid = conn.getInfo().getHeader('Unique-ID') as string;
        await api(conn, 'uuid_setvar_multi', `${uuid} hotline_agent_answered=true`);
        conn.socket?.destroy();
      });
      let backupSaw: string | null = null;
      const backup = await router(async (conn) => {
        if (conn.getInfo().getHeader('variable_hotline_agent_answered') === 'true') {
          servedAsks.push('backup');
          conn.socket?.destroy();
          return;
        }
        backupSaw = conn.getInfo().getHeader('variable_hotline_router_failover');
        await exec(conn, 'hangup', 'USER_BUSY');
      });
      const notServed = await router(async (conn) => {
        await exec(conn, 'answer');
        conn.socket?.destroy();
      });
      const vars = readVarsXml(readFileSync(path.join(repo, 'freeswitch-conf', 'hotline_vars.xml'), 'utf8'));
      const xml = readFileSync(path.join(repo, 'dialplans', 'hotline_inbound.xml'), 'utf8');
      const dialplanTo = (primary: number) =>
        loadXmlDialplan([xml], {
          ...vars,
          hotline_router_esl_port: String(primary),
          hotline_router_backup_port: String(backup.port),
        });
      emu = await startEmulator({ dialplan: dialplanTo(served.port) });
      const a = await emu.placeCall({ destination: '12345', callerIdNumber: '13800000105' }).ended;
      expect(a).toMatchObject({ hangupCause: 'NORMAL_CLEARING', hangupBy: 'switch' });
      expect(servedAsks).toEqual(['primary', 'backup']);
      await emu.stop();
      emu = await startEmulator({ dialplan: dialplanTo(notServed.port) });
      const b = await emu.placeCall({ destination: '12315', callerIdNumber: '13800000106' }).ended;
      expect(b.hangupCause).toBe('USER_BUSY');
      expect(backupSaw).toBe('backup');
    });

    // Real: the router closed its socket 200 ms after CHANNEL_BRIDGE; the conversation went on until the agent's
    // phone hung up 2.2 s later: CHANNEL_UNBRIDGE, EXECUTE_COMPLETE bridge, CHANNEL_UNPARK, EXECUTE_COMPLETE socket,
    // then the transfer and the failover extension (hangup USER_BUSY).
    it('a bridge in progress when the socket dies goes on; the dialplan continues when it ends', async () => {
      const r = await router(async (conn) => {
        await exec(conn, 'answer');
        conn.on('esl::event::CHANNEL_BRIDGE::**', () => setTimeout(() => conn.socket?.destroy(), 100));
        void exec(conn, 'bridge', 'user/1001@hotline.local');
      });
      emu = await startEmulator({
        dialplan: () => [
          { app: 'socket', data: `127.0.0.1:${r.port} async full` },
          { app: 'hangup', data: 'USER_BUSY' },
        ],
      });
      emu.setAgent('1001', { behaviour: 'answer', answerAfterMs: 50, talkMs: 700 });
      const events = await watcher(emu);
      const started = Date.now();
      const s: CallSummary = await emu.placeCall({ destination: '12345', callerIdNumber: '13800000107' })
        .ended;
      expect(Date.now() - started).toBeGreaterThanOrEqual(700);
      expect(s).toMatchObject({ hangupCause: 'USER_BUSY', hangupBy: 'switch' });
      expect(s.bridgedTo).toBeDefined();
      await destroyed(events, s.uuid);
      const trace = events
        .filter((x) => x.e.getHeader('Unique-ID') === s.uuid)
        .map((x) => `${x.name} ${x.e.getHeader('Application') ?? ''}`.trim())
        .filter((t) => /BRIDGE|EXECUTE|PARK/.test(t));
      expect(trace.slice(trace.indexOf('CHANNEL_UNBRIDGE'))).toEqual([
        'CHANNEL_UNBRIDGE',
        'CHANNEL_EXECUTE_COMPLETE bridge',
        'CHANNEL_UNPARK',
        'CHANNEL_EXECUTE_COMPLETE socket',
        'CHANNEL_EXECUTE hangup',
        'CHANNEL_EXECUTE_COMPLETE hangup',
      ]);
    });
  });

  // Real (mod_dptools multiset_function): items split on spaces, or on the character after a leading "^^"; each
  // item is a set. The project's dialplans set their variables with one multiset (one pair of execute events).
  it('three_way joins a channel without a bridge, stays while it is up, and returns at once without it', async () => {
    // Real (test/real/emulator-parity.test.ts): `originate loopback/talk/probe &three_way(<T>)`, T an answered,
    // parked loopback leg, answered +OK and ran three_way (show channels) until T was killed, then hung up; with
    // a uuid that no channel has, the leg hung up at once (switch_ivr_eavesdrop_session finds no session).
    emu = await startEmulator({
      dialplan: () => [
        { app: 'answer', data: '' },
        { app: 'park', data: '' },
      ],
    });
    const c = await inboundClient(emu.eslPort);
    conns.push(c);
    const events = await watcher(emu);
    const target = (await api(c, 'originate', 'loopback/talk/probe &park')).getBody()!.trim().slice(4);
    const joined = (await api(c, 'originate', `loopback/talk/probe &three_way(${target})`)).getBody()!.trim();
    expect(joined).toMatch(/^\+OK /);
    const leg = joined.slice(4);
    await sleep(500);
    expect((await api(c, 'uuid_exists', leg)).getBody()).toBe('true');
    await api(c, 'uuid_kill', target);
    await destroyed(events, leg);
    const lone = (
      await api(c, 'originate', 'loopback/talk/probe &three_way(00000000-0000-4000-8000-000000000000)')
    )
      .getBody()!
      .trim()
      .slice(4);
    await destroyed(events, lone);
  });

  it('multiset sets each variable, split on spaces or on the ^^ delimiter', async () => {
    emu = await startEmulator({
      dialplan: () => [
        { app: 'multiset', data: '^^|hotline_a=1|hotline_b=two words|hotline_c=x=y' },
        { app: 'multiset', data: 'hotline_d=4 hotline_e=5' },
        { app: 'hangup', data: 'NORMAL_CLEARING' },
      ],
    });
    const events = await watcher(emu);
    const s = await emu.placeCall({ destination: '12345', callerIdNumber: '13800000109' }).ended;
    await destroyed(events, s.uuid);
    const done = events.find(
      (x) => x.name === 'CHANNEL_HANGUP_COMPLETE' && x.e.getHeader('Unique-ID') === s.uuid,
    )!;
    expect(['a', 'b', 'c', 'd', 'e'].map((k) => done.e.getHeader(`variable_hotline_${k}`))).toEqual([
      '1',
      'two words',
      'x=y',
      '4',
      '5',
    ]);
  });

  describe('api uuid_setvar_multi and uuid_answer (mod_commands)', () => {
    // Real replies, channel B a parked, unanswered inbound leg, A an outbound leg still ringing.
    it('replies and effects, over the inbound socket', async () => {
      emu = await startEmulator({ dialplan: () => [{ app: 'park', data: '' }] });
      emu.setAgent('1001', { behaviour: 'answer', answerAfterMs: 1500 });
      const c = await inboundClient(emu.eslPort);
      conns.push(c);
      const call = emu.placeCall({ destination: '12345', callerIdNumber: '13800000108' });
      await sleep(50);
      const B = call.uuid;
      const body = async (cmd: string, args = '') => (await api(c, cmd, args)).getBody();
      const getvar = (name: string) => body('uuid_getvar', `${B} ${name}`);

      expect(await body('uuid_setvar_multi')).toBe(MULTI_USAGE);
      // A uuid and nothing else: the command writes nothing (the event socket then says so).
      expect(await body('uuid_setvar_multi', B)).toBe('-ERR no reply\n');
      expect(await body('uuid_setvar_multi', '00000000-0000-0000-0000-000000000000 a=1')).toBe(
        `-ERR No such channel!\n${MULTI_USAGE}`,
      );
      expect(await body('uuid_setvar_multi', `${B} pa=1;pb=2`)).toBe('+OK\n');
      expect([await getvar('pa'), await getvar('pb')]).toEqual(['1', '2']);
      expect(await body('uuid_setvar_multi', `${B} =1`)).toBe(`-ERR No variable specified\n${MULTI_USAGE}`);
      expect(await body('uuid_setvar_multi', `${B} =1;pc=3`)).toBe('-ERR No variable specified\n+OK\n');
      expect(await body('uuid_setvar_multi', `${B} ;`)).toBe(`-ERR No variable specified\n${MULTI_USAGE}`);
      expect(await body('uuid_setvar_multi', `${B} pa;pd= 4 ;pe='x;y';pf=a\\;b;pg=\${x};ph=`)).toBe('+OK\n');
      expect(await body('uuid_setvar_multi', `${B} pi=1 pj=2`)).toBe('+OK\n');
      const got: Record<string, string | undefined> = {};
      for (const v of ['pa', 'pb', 'pc', 'pd', 'pe', 'pf', 'pg', 'ph', 'pi']) got[v] = await getvar(v);
      expect(got).toEqual({
        pa: '_undef_',
        pb: '2',
        pc: '3',
        pd: ' 4',
        pe: 'x;y',
        pf: 'a;b',
        pg: '_undef_',
        ph: '_undef_',
        pi: '1 pj=2',
      });

      expect(await body('uuid_answer', '00000000-0000-0000-0000-000000000000')).toBe('-ERROR\n');
      expect(await body('uuid_answer')).toBe('-ERROR\n');
      // An outbound leg: +OK, and it goes on ringing (switch_channel_answer does nothing for outbound legs).
      const A = 'aaaaaaaa-0000-0000-0000-000000000001';
      const pending = bgapi(c, 'originate', `{origination_uuid=${A}}user/1001@hotline.local &park`);
      await sleep(200);
      expect(await body('uuid_answer', A)).toBe('+OK\n');
      const leg = () => emu?.channels().find((x) => x.uuid === A);
      await sleep(50);
      expect(leg()).toMatchObject({ answered: false, callState: 'RINGING' });
      // The inbound leg is answered at once.
      expect(emu.channels().find((x) => x.uuid === B)?.answered).toBe(false);
      expect(await body('uuid_answer', B)).toBe('+OK\n');
      expect(emu.channels().find((x) => x.uuid === B)).toMatchObject({ answered: true, callState: 'ACTIVE' });
      expect(await body('uuid_answer', B)).toBe('+OK\n');
      expect((await pending).getBody()).toBe(`+OK ${A}\n`);
      call.hangup();
      await call.ended;
      expect(await body('uuid_answer', B)).toBe('-ERROR\n');
      expect(await body('uuid_setvar_multi', `${B} a=1`)).toBe(`-ERR No such channel!\n${MULTI_USAGE}`);
    });

    it('over the outbound socket: the variables are there for the next application', async () => {
      const seen: Record<string, string | null> = {};
      const r = await router(async (conn) => {
        const uuid = conn.getInfo().getHeader('Unique-ID') as string;
        seen.answer = (await api(conn, 'uuid_answer', uuid)).getBody();
        seen.multi = (
          await api(conn, 'uuid_setvar_multi', `${uuid} continue_on_fail=true;hotline_x=1`)
        ).getBody();
        const e = await exec(conn, 'set', 'y=2');
        seen.cof = e.getHeader('variable_continue_on_fail');
        seen.x = e.getHeader('variable_hotline_x');
        seen.answered = e.getHeader('Answer-State');
        await exec(conn, 'hangup');
      });
      emu = await startEmulator({ routerPort: r.port });
      await emu.placeCall({ destination: '12345', callerIdNumber: '13800000109' }).ended;
      expect(seen).toEqual({ answer: '+OK\n', multi: '+OK\n', cof: 'true', x: '1', answered: 'answered' });
    });
  });

  describe('CHANNEL_EXECUTE and the order in which queued applications run', () => {
    /** Runs `script` on a call and returns the EXECUTE / EXECUTE_COMPLETE events the socket saw, timed. */
    async function executes(
      script: (conn: Connection, uuid: string) => Promise<void>,
      setup?: (e: SwitchEmulator) => void,
    ): Promise<Array<{ name: string; app: string; data: string; id: string; at: number }>> {
      const out: Array<{ name: string; app: string; data: string; id: string; at: number }> = [];
      const t0 = Date.now();
      const r = await router(async (conn) => {
        conn.on('esl::event::**', (e: EslEvent) => {
          const name = e.getHeader('Event-Name') ?? '';
          if (name !== 'CHANNEL_EXECUTE' && name !== 'CHANNEL_EXECUTE_COMPLETE') return;
          out.push({
            name: name === 'CHANNEL_EXECUTE' ? 'start' : 'end',
            app: e.getHeader('Application') ?? '',
            data: e.getHeader('Application-Data') ?? '',
            id: e.getHeader('Application-UUID') ?? '',
            at: Date.now() - t0,
          });
        });
        await exec(conn, 'answer');
        await script(conn, conn.getInfo().getHeader('Unique-ID') as string);
        await exec(conn, 'hangup');
      });
      emu = await startEmulator({ routerPort: r.port });
      setup?.(emu);
      await emu.placeCall({ destination: '12345', callerIdNumber: '13800000110' }).ended;
      await sleep(50);
      return out.filter((x) => !['answer', 'hangup', 'socket'].includes(x.app));
    }

    const execute = (conn: Connection, app: string, arg: string) => {
      let id = '';
      const done = new Promise<EslEvent>((r) => {
        id = conn.execute(app, arg, (e: EslEvent) => r(e)) as unknown as string;
      });
      return { id, done };
    };

    // Real: playback silence_stream://1500, set and playback silence_stream://300 sent back to back: the set
    // started 1 ms after the first playback, the second playback right after it, and finished 300 ms later; the
    // first playback finished 1.8 s after it started (it stood still while the nested one played).
    it('an application sent while a playback runs starts at once, nested inside it; the playback waits', async () => {
      const ids: string[] = [];
      const out = await executes(async (conn) => {
        const a = execute(conn, 'playback', 'silence_stream://1500');
        const b = execute(conn, 'set', 'nested=1');
        const c = execute(conn, 'playback', 'silence_stream://300');
        ids.push(a.id, b.id, c.id);
        await Promise.all([a.done, b.done, c.done]);
      });
      expect(out.map((x) => `${x.name} ${x.app} ${x.data}`)).toEqual([
        'start playback silence_stream://1500',
        'start set nested=1',
        'end set nested=1',
        'start playback silence_stream://300',
        'end playback silence_stream://300',
        'end playback silence_stream://1500',
      ]);
      // Every CHANNEL_EXECUTE carries the Event-UUID its sendmsg carried.
      expect(out.filter((x) => x.name === 'start').map((x) => x.id)).toEqual(ids);
      const at = (name: string, data: string) => out.find((x) => x.name === name && x.data === data)?.at ?? 0;
      expect(at('start', 'silence_stream://300') - at('start', 'silence_stream://1500')).toBeLessThan(100);
      const outer = at('end', 'silence_stream://1500') - at('start', 'silence_stream://1500');
      expect(outer).toBeGreaterThanOrEqual(1750);
      expect(outer).toBeLessThan(2300);
    });

    // Real: sleep 1000 then set: the set ran 1 ms later. play_and_get_digits: a set 100 ms in (during the prompt)
    // and 900 ms in (waiting for a key) each ran at once. bridge: a playback sent while the far end rang started and
    // ended (FILE PLAYED) before CHANNEL_BRIDGE; another sent while bridged ran at once.
    it('the same inside sleep, play_and_get_digits and bridge (ringing and bridged)', async () => {
      const out = await executes(
        async (conn) => {
          const s = execute(conn, 'sleep', '1000');
          const s2 = execute(conn, 'set', 'in_sleep=1');
          await Promise.all([s.done, s2.done]);
          const p = execute(
            conn,
            'play_and_get_digits',
            '1 1 1 1500 # silence_stream://500 silence_stream://100 d \\d',
          );
          await sleep(100);
          const p2 = execute(conn, 'set', 'in_prompt=1');
          await sleep(800);
          const p3 = execute(conn, 'set', 'in_wait=1');
          await Promise.all([p.done, p2.done, p3.done]);
          const b = execute(conn, 'bridge', 'user/1001@hotline.local');
          await sleep(200);
          const b2 = execute(conn, 'playback', 'silence_stream://200');
          await b2.done;
          await sleep(400);
          const b3 = execute(conn, 'set', 'in_bridge=1');
          await Promise.all([b.done, b3.done]);
        },
        (e) => e.setAgent('1001', { behaviour: 'answer', answerAfterMs: 600, talkMs: 800 }),
      );
      const seq = out.map((x) => `${x.name} ${x.app}${x.app === 'set' ? ` ${x.data}` : ''}`);
      expect(seq).toEqual([
        'start sleep',
        'start set in_sleep=1',
        'end set in_sleep=1',
        'end sleep',
        'start play_and_get_digits',
        'start set in_prompt=1',
        'end set in_prompt=1',
        'start set in_wait=1',
        'end set in_wait=1',
        'end play_and_get_digits',
        'start bridge',
        'start playback',
        'end playback',
        'start set in_bridge=1',
        'end set in_bridge=1',
        'end bridge',
      ]);
    });

    // With event-lock: true (CF_EVENT_LOCK) nothing queued is dequeued while the application runs.
    it('event-lock keeps them in order', async () => {
      const out = await executes(async (conn) => {
        conn.setEventLock(true);
        const a = execute(conn, 'playback', 'silence_stream://400');
        const b = execute(conn, 'set', 'after=1');
        await Promise.all([a.done, b.done]);
        conn.setEventLock(false);
      });
      expect(out.map((x) => `${x.name} ${x.app}`)).toEqual([
        'start playback',
        'end playback',
        'start set',
        'end set',
      ]);
    });

    // Real: one uuid_break with two socket-sent playbacks nested ended both (the inner at once, the outer on its
    // next frame); a uuid_break while the agent's phone rang, and another while bridged, did nothing to the bridge.
    it('uuid_break ends nested socket playbacks together and leaves a bridge alone', async () => {
      const seen: Record<string, string | null> = {};
      const out = await executes(
        async (conn, uuid) => {
          const a = execute(conn, 'playback', 'silence_stream://3000');
          const b = execute(conn, 'playback', 'silence_stream://3000');
          await sleep(300);
          await api(conn, 'uuid_break', uuid);
          const [ea, eb] = await Promise.all([a.done, b.done]);
          seen.outer = ea.getHeader('Application-Response');
          seen.inner = eb.getHeader('Application-Response');
          const br = execute(conn, 'bridge', 'user/1001@hotline.local');
          await sleep(150);
          await api(conn, 'uuid_break', uuid);
          await sleep(500);
          await api(conn, 'uuid_break', uuid);
          const e = await br.done;
          seen.bridge = e.getHeader('variable_originate_disposition');
          seen.lastBridge = e.getHeader('variable_last_bridge_hangup_cause');
        },
        (e) => e.setAgent('1001', { behaviour: 'answer', answerAfterMs: 300, talkMs: 700 }),
      );
      const ends = out.filter((x) => x.name === 'end' && x.app === 'playback').map((x) => x.at);
      expect(ends).toHaveLength(2);
      expect(Math.abs((ends[1] ?? 0) - (ends[0] ?? 0))).toBeLessThan(200);
      expect(ends[1]! - out[0]!.at).toBeLessThan(1000);
      expect(seen).toEqual({
        outer: 'FILE PLAYED',
        inner: 'FILE PLAYED',
        bridge: 'SUCCESS',
        lastBridge: 'NORMAL_CLEARING',
      });
    });

    // Real: an application FreeSWITCH does not know: no CHANNEL_EXECUTE, the channel hung up with
    // DESTINATION_OUT_OF_ORDER. transfer, record and Application-UUID-Name (from Event-UUID-Name) as on the real one.
    it('every application reports CHANNEL_EXECUTE with its Application-UUID; an unknown one hangs up', async () => {
      const seen: Record<string, string | null> = {};
      let events: Array<{ name: string; e: EslEvent }> = [];
      const r = await router(async (conn) => {
        events = recordEvents(conn);
        await exec(conn, 'answer');
        const rec = await exec(conn, 'record', '/tmp/hotline-test.wav 2 200 1');
        seen.silence = rec.getHeader('variable_silence_hits_exhausted');
        seen.recordMs = rec.getHeader('variable_record_ms');
        await exec(conn, 'gentones', '%(100,0,440)');
        await new Promise((done) =>
          conn.sendRecv(
            'sendmsg',
            {
              'call-command': 'execute',
              'execute-app-name': 'playback',
              'execute-app-arg': 'silence_stream://100',
              'Event-UUID': 'abcabcab-0000-0000-0000-000000000001',
              'Event-UUID-Name': 'hold-music',
            },
            done,
          ),
        );
        await sleep(300);
        conn.sendRecv('sendmsg', { 'call-command': 'execute', 'execute-app-name': 'no_such_app' });
      });
      emu = await startEmulator({ routerPort: r.port });
      const s = await emu.placeCall({ destination: '12345', callerIdNumber: '13800000111' }).ended;
      expect(s.hangupCause).toBe('DESTINATION_OUT_OF_ORDER');
      expect(seen).toEqual({ silence: 'true', recordMs: '0' });
      const starts = events.filter((x) => x.name === 'CHANNEL_EXECUTE').map((x) => x.e);
      expect(starts.map((e) => e.getHeader('Application'))).toEqual([
        'answer',
        'record',
        'gentones',
        'playback',
      ]);
      expect(starts.every((e) => /^[0-9a-f-]{36}$/.test(e.getHeader('Application-UUID') ?? ''))).toBe(true);
      const named = starts[3];
      expect(named?.getHeader('Application-UUID')).toBe('abcabcab-0000-0000-0000-000000000001');
      expect(named?.getHeader('Application-UUID-Name')).toBe('hold-music');
    });
  });

  // Real (test/real/emulator-parity.test.ts): the router's outbound socket (src/esl/guarded-connection.ts) sends
  // `myevents json`, `nixevent ALL`, `event json <OUTBOUND_EVENTS>` and `linger` right behind `connect`; of the
  // channel's events only those come (not the socket application's own CHANNEL_PARK), and a `bgapi` without a
  // Job-UUID header is named in the reply ("+OK Job-UUID: <id>"), before its BACKGROUND_JOB.
  it("the router's outbound recipe: only the subscribed events; a bare bgapi names its job", async () => {
    const leg = randomUUID();
    let traced: Promise<RecipeTrace> | undefined;
    const r = await startRecipeRouter(async (conn) => {
      traced = recipeScript(conn, `{origination_uuid=${leg}}user/1001@hotline.local`, leg);
      await traced;
    });
    routers.push(r);
    emu = await startEmulator({
      dialplan: () => [{ app: 'socket', data: `127.0.0.1:${r.port} async full` }],
    });
    emu.setAgent('1001@hotline.local', { behaviour: 'answer', answerAfterMs: 50, talkMs: 2000 });
    await emu.placeCall({ destination: 'recipe', callerIdNumber: '13800000110' }).ended;
    expect(traced).toBeDefined();
    const t = await traced!;
    expect(t.job).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.reply).toBe(`+OK Job-UUID: ${t.job}`);
    expect(t.jobEventId).toBe(t.job);
    expect(t.jobBody).toBe(`+OK ${leg}\n`);
    expect(t.events).toEqual(RECIPE_EVENTS);
  });

  describe('uuid_bridge of a caller under the socket application (how the router rings an agent)', () => {
    // Real (test/real/emulator-parity.test.ts; also read in switch_ivr_bridge.c): `bgapi originate ... &park()`
    // on the caller's socket, uuid_answer and uuid_bridge on +OK. The socket application completes at once (the
    // caller goes to CS_HIBERNATE) while its listener stays attached; FreeSWITCH fires CHANNEL_EXECUTE uuid_bridge
    // and CHANNEL_BRIDGE on the caller, CHANNEL_UNBRIDGE when the agent hangs up, and then the caller goes on in
    // its extension after the socket application (transfer, the next extension: hung up USER_BUSY); with
    // park_after_bridge=true it is parked instead (CHANNEL_PARK) and runs what the socket sends.
    /** The caller's events from the socket application's end to the end of the conversation. */
    const JOINED = [
      'CHANNEL_UNPARK',
      'CHANNEL_EXECUTE_COMPLETE socket',
      'CHANNEL_EXECUTE uuid_bridge',
      'CHANNEL_BRIDGE',
      'CHANNEL_UNBRIDGE',
    ];

    function probe(port: number): Dialplan {
      return (call) =>
        call.destination === 'after'
          ? [{ app: 'hangup', data: 'USER_BUSY' }]
          : [
              { app: 'set', data: 'continue_on_fail=true' },
              { app: 'socket', data: `127.0.0.1:${port} async full` },
              { app: 'transfer', data: 'after XML probe' },
            ];
    }

    async function joined(parkAfter: boolean): Promise<{ trace: string[]; cause?: string }> {
      let callerUuid = '';
      const r = await router(async (conn) => {
        const uuid = conn.getInfo().getHeader('Unique-ID') as string;
        callerUuid = uuid;
        const leg = randomUUID();
        if (parkAfter) await api(conn, 'uuid_setvar', `${uuid} park_after_bridge true`);
        const job = await bgapi(
          conn,
          'originate',
          `{origination_uuid=${leg}}user/1001@hotline.local &park()`,
        );
        expect(job.getBody()).toBe(`+OK ${leg}\n`);
        await api(conn, 'uuid_answer', uuid);
        expect((await api(conn, 'uuid_bridge', `${uuid} ${leg}`)).getBody()).toBe(`+OK ${leg}\n`);
        if (!parkAfter) return;
        await new Promise<void>((resolve) => conn.once(`esl::event::CHANNEL_PARK::${uuid}`, () => resolve()));
        await exec(conn, 'playback', 'silence_stream://100');
        conn.send(`sendmsg ${uuid}`, { 'call-command': 'hangup', 'hangup-cause': 'NORMAL_CLEARING' });
      });
      emu = await startEmulator({ dialplan: probe(r.port) });
      emu.setAgent('1001@hotline.local', { behaviour: 'answer', answerAfterMs: 50, talkMs: 300 });
      const events = await watcher(emu);
      const s = await emu.placeCall({ destination: 'socket', callerIdNumber: '13800000109' }).ended;
      expect(s.uuid).toBe(callerUuid);
      await destroyed(events, s.uuid);
      const mine = events.filter((x) => x.e.getHeader('Unique-ID') === s.uuid);
      const trace = mine
        .map((x) => `${x.name} ${x.e.getHeader('Application') ?? ''}`.trim())
        .filter((t) => /EXECUTE|PARK|BRIDGE/.test(t));
      return { trace: trace.slice(trace.indexOf('CHANNEL_UNPARK')), cause: s.hangupCause };
    }

    it('the agent hangs up: the caller goes on in the extension after the socket application', async () => {
      const { trace, cause } = await joined(false);
      expect(trace).toEqual([
        ...JOINED,
        'CHANNEL_EXECUTE transfer',
        'CHANNEL_EXECUTE_COMPLETE transfer',
        'CHANNEL_EXECUTE hangup',
        'CHANNEL_EXECUTE_COMPLETE hangup',
      ]);
      expect(cause).toBe('USER_BUSY');
    });

    it('park_after_bridge: the caller is parked and runs what the socket sends', async () => {
      const { trace, cause } = await joined(true);
      expect(trace).toEqual([
        ...JOINED,
        'CHANNEL_PARK',
        'CHANNEL_EXECUTE playback',
        'CHANNEL_EXECUTE_COMPLETE playback',
        'CHANNEL_UNPARK',
      ]);
      expect(cause).toBe('NORMAL_CLEARING');
    });
  });
});
