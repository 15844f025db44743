// Public API of the FreeSWITCH 1.10 emulator: a call model (channels, apps, scripted callers and agents)
// spoken to over the real event-socket protocol (inbound server + outbound `socket` connections).
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Core } from './call-model/core.ts';
import { basicApps } from './call-model/apps/basic.ts';
import { bridgeApps } from './call-model/apps/bridge.ts';
import { playbackApps } from './call-model/apps/playback.ts';
import { socketApps } from './call-model/apps/socket.ts';
import { threeWayApps } from './call-model/apps/three-way.ts';
import { placeCall } from './call-model/inbound-call.ts';
import { silentLogger, type Logger } from './call-model/logger.ts';
import { knownSoundsDurationMs } from './call-model/sounds.ts';
import type {
  AgentEndpointScript,
  CallerScript,
  CallSummary,
  Dialplan,
  DialplanAction,
  DialplanCall,
  EmulatedCall,
} from './call-model/types.ts';
import { InboundServer } from './esl/inbound-server.ts';
import { OutboundConnector } from './esl/outbound-connector.ts';

export { loadXmlDialplan, readVarsXml } from './dialplan/interpreter.ts';
export { knownSoundsDurationMs, soundFilesIn } from './call-model/sounds.ts';
export type {
  AgentEndpointScript,
  CallerScript,
  CallSummary,
  Dialplan,
  DialplanAction,
  DialplanCall,
  EmulatedCall,
};

/**
 * The part of dialplans/hotline_inbound.xml that the router relies on, for tests and the demo that do not load
 * the XML: the call is marked as one from a carrier (`hotline_ingress`, on which the router's inbound event
 * filter and the switch reconciler key), then handed to each router socket in turn.
 */
export function hotlineDialplan(...sockets: string[]): DialplanAction[] {
  return [
    { app: 'set', data: 'hotline_ingress=carrier' },
    ...sockets.map((s) => ({ app: 'socket', data: `${s} async full` })),
  ];
}

/**
 * dialplans/hotline_inbound.xml in brief: the router's sockets in turn, then the failover hunt. A caller an agent
 * has served (the conversation over, or its router gone) asks the routers again, and the one that holds the call
 * keeps the socket (the survey); with none it is hung up. Any other caller whose socket sessions all ended is hung
 * up, as after the last action.
 */
export function hotlineCallDialplan(...sockets: string[]): Dialplan {
  return (call) => {
    if (call.destination !== 'hotline_router_gone')
      return [
        ...hotlineDialplan(...sockets),
        { app: 'transfer', data: 'hotline_router_gone XML hotline_inbound' },
      ];
    if (call.variables.hotline_agent_answered !== 'true') return [{ app: 'hangup', data: 'NORMAL_CLEARING' }];
    return [
      { app: 'set', data: 'socket_resume=true' },
      ...sockets.map((s) => ({ app: 'socket', data: `${s} async full` })),
      { app: 'hangup', data: 'NORMAL_CLEARING' },
    ];
  };
}

export interface SwitchEmulatorOptions {
  host?: string;
  eslPort?: number;
  password?: string;
  hostname?: string;
  dialplan?: Dialplan;
  routerHost?: string;
  routerPort?: number;
  /**
   * The directory domain where scripted agents register (setAgent('1001', ...) is 1001@agentsDomain, reached by
   * user/1001@agentsDomain). Default hotline.local, like freeswitch-conf's hotline_agents_domain.
   */
  agentsDomain?: string;
  /**
   * The sofia profiles and gateways this switch has; any other is INVALID_PROFILE / INVALID_GATEWAY at once. Default:
   * freeswitch-conf's (hotline_carrier with gateway carrier_telecom, hotline_agents) and the stock internal/external.
   */
  sofiaProfiles?: string[];
  sofiaGateways?: string[];
  /**
   * The global `domain` variable, where user/<ext> without a domain is looked up. Default: the host address, as the
   * stock vars.xml sets it to the machine's IP; so user/1001 does not reach a phone registered in agentsDomain.
   */
  domain?: string;
  /**
   * How long a sound file plays, or null for a file FreeSWITCH cannot open (playback: FILE NOT FOUND at once;
   * play_and_get_digits: back at once, no read_result). Default: the files shipped in freeswitch-conf/hotline_sounds
   * (what a FreeSWITCH installed with this project's configuration has) play 1 s, any other file is missing.
   */
  fileDurationMs?: (file: string) => number | null;
  logger?: Logger;
}

/** What the SIP side of a SIP-originated call hears from the call model (see placeSipCall). */
export interface SipCallHooks {
  answered(): void;
  hungUp(cause: string, by: string): void;
}

export interface ProtocolErrorInfo {
  listener: 'inbound' | 'outbound';
  reason: string;
  command?: string;
}

export class SwitchEmulator extends EventEmitter {
  private readonly core: Core;
  private readonly inbound: InboundServer;
  private readonly outbound: OutboundConnector;
  private readonly host: string;
  private readonly requestedPort: number;
  private port = 0;
  private readonly calls = new Map<string, EmulatedCall>();
  private readonly counters = { callsPlaced: 0, protocolErrors: 0 };

  constructor(opts: SwitchEmulatorOptions = {}) {
    super();
    this.host = opts.host ?? '127.0.0.1';
    this.requestedPort = opts.eslPort ?? 0;
    const routerHost = opts.routerHost ?? '127.0.0.1';
    const routerPort = opts.routerPort ?? 8084;
    const logger = opts.logger ?? silentLogger;
    this.core = new Core({
      identity: {
        coreUuid: randomUUID(),
        hostname: opts.hostname ?? 'hotline-emu',
        ipv4: this.host,
        ipv6: '::1',
      },
      localIp: this.host,
      fileDurationMs: opts.fileDurationMs ?? knownSoundsDurationMs(),
      logger,
      dialplan: opts.dialplan ?? hotlineCallDialplan(`${routerHost}:${routerPort}`),
      agentsDomain: opts.agentsDomain ?? 'hotline.local',
      sofiaProfiles: opts.sofiaProfiles ?? ['hotline_carrier', 'hotline_agents', 'internal', 'external'],
      sofiaGateways: opts.sofiaGateways ?? ['carrier_telecom'],
    });
    this.core.globals.domain = opts.domain ?? this.host;
    for (const set of [basicApps, playbackApps, bridgeApps, socketApps, threeWayApps]) {
      for (const [name, fn] of Object.entries(set)) this.core.apps.set(name, fn);
    }
    const deps = {
      password: opts.password ?? 'ClueCon',
      protocolError: (info: ProtocolErrorInfo): void => {
        this.counters.protocolErrors++;
        logger.debug(info, 'event socket protocol error');
        this.emit('protocol-error', info);
      },
    };
    this.inbound = new InboundServer(this.core, deps);
    this.outbound = new OutboundConnector(this.core, deps);
    this.core.socketConnector = this.outbound.connect;
    this.core.on('call:ended', (s: CallSummary) => this.emit('call:ended', s));
    this.core.on('agent:ringing', (endpoint: string, uuid: string) =>
      this.emit('agent:ringing', endpoint, uuid),
    );
    this.core.on('agent:answered', (endpoint: string, uuid: string) =>
      this.emit('agent:answered', endpoint, uuid),
    );
  }

  get stats(): { callsPlaced: number; protocolErrors: number; inboundConnections: number } {
    return { ...this.counters, inboundConnections: this.inbound.connections };
  }

  get eslPort(): number {
    return this.port;
  }

  async start(): Promise<void> {
    this.port = await this.inbound.listen(this.host, this.requestedPort);
  }

  async stop(): Promise<void> {
    for (const ch of [...this.core.channels.values()]) {
      if (ch.up) this.core.hangup(ch, 'SYSTEM_SHUTDOWN', 'switch');
    }
    this.outbound.closeAll();
    await this.inbound.close();
    // Let the hangups report (HANGUP_COMPLETE, call:ended) before returning.
    await new Promise((r) => setTimeout(r, 10));
  }

  /** Stages an overloaded switch: every outbound socket's `connect` is answered this many ms late (0: at once). */
  setConnectDelay(ms: number): void {
    this.core.connectDelayMs = ms;
  }

  /** Stages an overloaded switch: every uuid_bridge joins its legs this many ms late (0: at once). */
  setJoinDelay(ms: number): void {
    this.core.joinDelayMs = ms;
  }

  setAgent(endpoint: string, script: AgentEndpointScript): void {
    this.core.agents.set(endpoint, script);
  }

  placeCall(script: CallerScript): EmulatedCall {
    this.counters.callsPlaced++;
    const call = placeCall(this.core, script);
    this.calls.set(call.uuid, call);
    void call.ended.then(() => this.calls.delete(call.uuid));
    return call;
  }

  // --- SIP edge (issue 7): added so that a call arriving as SIP (drachtio/freeswitch-sip.ts) can enter the
  // --- call model and learn when its channel is answered or hung up. Additive only.
  /** placeCall for a SIP-originated caller: `hooks` hear the channel's answer and hangup (to send 200 / BYE). */
  placeSipCall(script: CallerScript, hooks: SipCallHooks): EmulatedCall {
    const call = this.placeCall(script);
    const onAnswered = (ch: { uuid: string }): void => {
      if (ch.uuid === call.uuid) hooks.answered();
    };
    const onHangup = (ch: { uuid: string; hangupCause?: string; hangupBy?: string }): void => {
      if (ch.uuid === call.uuid) hooks.hungUp(ch.hangupCause ?? 'NORMAL_CLEARING', ch.hangupBy ?? 'switch');
    };
    this.core.on('channel:answered', onAnswered);
    this.core.on('channel:hangup', onHangup);
    void call.ended.then(() => {
      this.core.off('channel:answered', onAnswered);
      this.core.off('channel:hangup', onHangup);
    });
    return call;
  }

  channels(): Array<{
    uuid: string;
    name: string;
    state: string;
    callState: string;
    answered: boolean;
    bridgedTo?: string;
    variables: Record<string, string>;
  }> {
    return [...this.core.channels.values()].map((ch) => ({
      uuid: ch.uuid,
      name: ch.name,
      state: ch.runningState,
      callState: ch.callState,
      answered: ch.answered,
      bridgedTo: ch.bridgedTo,
      variables: ch.vars.toObject(),
    }));
  }

  dropInboundConnections(): void {
    this.inbound.dropAll();
  }

  injectRaw(target: 'inbound' | string, bytes: string): void {
    if (target === 'inbound') this.inbound.inject(bytes);
    else this.outbound.bySession.get(target)?.inject(bytes);
  }

  /** Switch-global variables ($${name} in runtime expansion, global_getvar). */
  setGlobal(name: string, value: string): void {
    this.core.globals[name] = value;
  }
}
