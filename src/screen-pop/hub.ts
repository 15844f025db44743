// Agent WebSocket hub: agents' desktops connect with their token; every message for an agent gets a
// per-agent sequence number, is kept for a bounded time in a Redis stream and is published through
// Redis, so that an agent connected to any router instance gets what any other decided, and a desktop
// that reconnects gets exactly what it missed. See PROTOCOL.md.
import { runScript } from '../redis/run-script.ts';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import type { Duplex } from 'node:stream';
import type { Redis } from 'ioredis';
import { WebSocket, WebSocketServer } from 'ws';
import type { AcdStore } from '../acd/store.ts';
import type { Logger } from '../logging/logger.ts';
import type { Keys } from '../redis/keys.ts';
import { checkAgentToken, revokeAgentTokens, type TokenClaims } from './agent-token.ts';
import { completeOffer } from './context.ts';
import {
  type ClientMessage,
  type OfferInput,
  type Outgoing,
  parseClientMessage,
  PROTOCOL_VERSION,
  SEQUENCED,
  type ServerMessage,
  type TransferTarget,
} from './messages.ts';

export type { Outgoing } from './messages.ts';

export interface HubOptions {
  /** This router instance's name (presence entries, transfer routing). */
  instanceId: string;
  /** The server pings every desktop this often (WebSocket ping frames); desktops ping back with `ping`. */
  heartbeatMs: number;
  /** A socket that sent nothing (not even a pong) for this long is dead and terminated. */
  deadAfterMs: number;
  /** After an agent's last desktop went away, how long a reconnect may take before it counts as lost. */
  lostGraceMs: number;
  /** A socket opened without ?token= must send `login` within this time. */
  loginTimeoutMs: number;
  /** How long messages are kept for resume. */
  replayTtlS: number;
  /** At most this many messages are kept per agent. */
  replayMax: number;
  /** Wrap-up length used for `wrapup_started` when the ACD does not say (agent field wrapupUntil). */
  wrapupS: number;
  /** Desktops one agent may have open on this instance; a newer one closes the oldest. */
  maxDesktopsPerAgent: number;
  /** Logins one agent may make per 10 s on this instance; more are refused (close code 4429). */
  loginsPerAgentPer10s: number;
  /**
   * Sockets being set up at once (token checks under way, sockets not logged in yet); more are refused with 503.
   * A login flood then costs a bounded amount of work, and /health and the calls stay fast.
   */
  maxPendingSockets: number;
}

export const DEFAULT_HUB_OPTIONS: HubOptions = {
  instanceId: `${os.hostname()}-${process.pid}`,
  heartbeatMs: 10_000,
  deadAfterMs: 25_000,
  lostGraceMs: 4_000,
  loginTimeoutMs: 10_000,
  replayTtlS: 600,
  replayMax: 1000,
  wrapupS: 5,
  maxDesktopsPerAgent: 3,
  loginsPerAgentPer10s: 10,
  maxPendingSockets: 200,
};

export interface TransferRequest {
  agentId: string;
  callId: string;
  target: TransferTarget;
  ref?: string;
}
/** Returns null when the call is not this handler's (another instance owns it). */
export type TransferHandler = (req: TransferRequest) => Promise<{ ok: boolean; message?: string } | null>;
export type DesktopLostListener = (agentId: string) => void;

interface Conn {
  id: string;
  ws: WebSocket;
  agentId: string | null;
  claims: TokenClaims | null;
  lastSeen: number;
  /** Delivering live messages; false while a replay is being sent. */
  live: boolean;
  /** Live messages that arrived during a replay, in order. */
  buffer: Array<{ seq: number; text: string }> | null;
  /** Highest sequence number sent on this socket. */
  maxSeq: number;
  loggedOut: boolean;
  loginTimer: NodeJS.Timeout | null;
  /** Tells the hub this socket is no longer being set up (logged in, or gone). */
  setUp: () => void;
}

type Envelope =
  | { k: 'm'; a: string; m: { seq?: number } }
  | { k: 'lost'; a: string; i: string }
  | { k: 'revoke'; a: string; until: number }
  | { k: 'xfer'; to: string; req: TransferRequest };

// INCR the agent's counter, keep the message in its stream (bounded by count and age), publish it,
// all in one step, so that publication order is sequence order whichever instance sends.
// KEYS: seq, log. ARGV: channel, agentId, message JSON (an object, without seq), ttlMs, maxLen.
const SEND_SCRIPT = `
local seq = redis.call('INCR', KEYS[1])
local m = '{"seq":' .. seq .. ',' .. string.sub(ARGV[3], 2)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 's', seq, 'm', m)
redis.call('XTRIM', KEYS[2], 'MINID', tostring(now - tonumber(ARGV[4])))
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[1], '{"k":"m","a":' .. cjson.encode(ARGV[2]) .. ',"m":' .. m .. '}')
return seq
`;

// What is kept for resume: the counter, the oldest kept seq, and every kept message after ARGV[2].
// KEYS: seq, log. ARGV: ttlMs, afterSeq.
const REPLAY_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local entries = redis.call('XRANGE', KEYS[2], tostring(now - tonumber(ARGV[1])), '+')
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local after = tonumber(ARGV[2])
local oldest = -1
local out = {}
for _, e in ipairs(entries) do
  local f = e[2]
  local s = tonumber(f[2])
  if oldest < 0 then oldest = s end
  if s > after then table.insert(out, f[2]); table.insert(out, f[4]) end
end
return {cur, oldest, out}
`;

// KEYS: acks hash. ARGV: agentId, seq. Keeps the highest acknowledged seq.
const ACK_SCRIPT = `
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local s = tonumber(ARGV[2])
if s > cur then redis.call('HSET', KEYS[1], ARGV[1], s) end
return math.max(s, cur)
`;

export class ScreenPopHub {
  readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly local = new Map<string, Set<Conn>>();
  private readonly conns = new Set<Conn>();
  private readonly lostListeners = new Set<DesktopLostListener>();
  private readonly transferHandlers = new Set<TransferHandler>();
  private readonly lostTimers = new Map<string, NodeJS.Timeout>();
  private readonly wrapupTimers = new Map<string, NodeJS.Timeout>();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private closing = false;
  private explicitWrapup = false;
  private onMessage: ((channel: string, text: string) => void) | null = null;
  opts: HubOptions = { ...DEFAULT_HUB_OPTIONS };
  /** Counters for /health and the benchmark. */
  readonly stats = { delivered: 0, replayed: 0, malformed: 0, desktopsLost: 0, refused: 0, floodRefused: 0 };
  /** Sockets being set up (see HubOptions.maxPendingSockets). */
  private pendingSockets = 0;
  /** Recent login times per agent (see HubOptions.loginsPerAgentPer10s). */
  private readonly logins = new Map<string, number[]>();

  constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly keys: Keys,
    private readonly acd: AcdStore,
    private readonly secret: string,
    private readonly log: Logger,
    private readonly onAgentReady: (agentId: string) => void,
  ) {}

  /** Messages delivered to local sockets (kept for the v1 name). */
  get delivered(): number {
    return this.stats.delivered;
  }

  /** Changes options; heartbeat changes apply from the next tick. */
  configure(opts: Partial<HubOptions>): void {
    const hb = this.opts.heartbeatMs;
    this.opts = { ...this.opts, ...opts };
    if (this.heartbeatTimer && hb !== this.opts.heartbeatMs) this.startHeartbeat();
  }

  // ---- keys ----
  private seqKey = (agentId: string) => `${this.keys.prefix}sp:seq:${agentId}`;
  private logKey = (agentId: string) => `${this.keys.prefix}sp:log:${agentId}`;
  private presenceKey = (agentId: string) => `${this.keys.prefix}sp:desk:${agentId}`;
  private wrapupKey = (agentId: string) => `${this.keys.prefix}sp:wrapup:${agentId}`;
  private acksKey = () => `${this.keys.prefix}sp:acks`;

  async start(): Promise<void> {
    const channel = this.keys.screenPopChannel();
    await this.sub.subscribe(channel);
    this.onMessage = (ch: string, text: string) => {
      if (ch === channel) this.onEnvelope(text);
    };
    this.sub.on('message', this.onMessage);
    this.startHeartbeat();
  }

  close(): void {
    this.closing = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    for (const t of [...this.lostTimers.values(), ...this.wrapupTimers.values()]) clearTimeout(t);
    if (this.onMessage) this.sub.off('message', this.onMessage);
    for (const c of this.conns) c.ws.terminate();
    this.wss.close();
  }

  // ---- sending ----

  /**
   * Sends to the agent wherever it is connected. Agent events (offer, answered, ended, wrap-up, state,
   * tidal, supervisor) get the next sequence number and are kept for resume; other types go to the
   * agent's live desktops only. An offer is completed with the caller's history, links and labels.
   * Resolves with the sequence number (0 for unsequenced messages).
   */
  /**
   * Whether an agent's softphone is registered, when a SIP edge keeps registrations (null: no such
   * check here). Set by the router.
   */
  softphoneStatus: ((agentId: string) => Promise<boolean | null>) | null = null;

  private async softphoneOf(agentId: string): Promise<'registered' | 'unregistered' | undefined> {
    const r = await this.softphoneStatus?.(agentId).catch(() => null);
    return r === true ? 'registered' : r === false ? 'unregistered' : undefined;
  }

  async send(agentId: string, msg: Outgoing): Promise<number> {
    if (msg.type === 'offer') {
      this.clearWrapupTimer(agentId);
      msg = await completeOffer(this.pub, this.keys, msg as OfferInput, (err) =>
        this.log.warn({ err: err.message }, 'screen-pop context lookup failed'),
      );
    } else if (msg.type === 'state' && msg.state === 'ready' && !this.explicitWrapup) {
      // The call flow ended the wrap-up by setting the agent ready: say so first.
      await this.endWrapup(agentId, 'timer', false);
    }
    const body = JSON.stringify({ ...msg, v: PROTOCOL_VERSION, at: Date.now() });
    // Where the call left the agent is read in the same round trip as the message goes out: the call flow wrote
    // it (the agent's release) before it sent `ended`, on this connection.
    const left = msg.type === 'ended' && !this.explicitWrapup ? this.agentAfterCall(agentId) : null;
    let seq = 0;
    if (SEQUENCED.has(msg.type)) {
      seq = (await runScript(
        this.pub,
        SEND_SCRIPT,
        2,
        this.seqKey(agentId),
        this.logKey(agentId),
        this.keys.screenPopChannel(),
        agentId,
        body,
        this.opts.replayTtlS * 1000,
        this.opts.replayMax,
      )) as number;
    } else {
      await this.publish({ k: 'm', a: agentId, m: JSON.parse(body) as { seq?: number } });
    }
    if (left && msg.type === 'ended') await this.afterEnded(agentId, msg.callId, msg.outcome, await left);
    return seq;
  }

  /**
   * The call flow calls this when the agent's after-call work begins (after `ended`). Once called,
   * the hub stops deriving wrap-up messages from `ended` and `state` on its own.
   */
  async wrapupStarted(agentId: string, callId: string, durationS: number): Promise<void> {
    this.explicitWrapup = true;
    await this.openWrapup(agentId, callId, durationS);
  }

  /**
   * The call flow (or the ACD's timer) calls this when the agent's wrap-up ended, before sending the
   * new `state`. Sends `wrapup_ended` once per wrap-up, whoever ends it first.
   */
  async wrapupEnded(
    agentId: string,
    by: 'timer' | 'agent' | 'supervisor' | 'system',
    callId?: string,
  ): Promise<void> {
    this.explicitWrapup = true;
    await this.endWrapup(agentId, by, true, callId);
  }

  /** Tells the agent the state the ACD set (a convenience for `send(agentId, {type:'state', ...})`). */
  async stateChanged(agentId: string, state: string, reason?: string, callId?: string): Promise<void> {
    await this.send(agentId, { type: 'state', state, reason, callId });
  }

  /**
   * Tidal staffing notice: the agent moves to `toPool` ('front' line or 'back' office) at
   * `effectiveAt`; `text` defaults to a Chinese sentence naming the time.
   */
  async tidalNotice(
    agentId: string,
    notice: { effectiveAt: number; toPool: string; fromPool?: string; text?: string },
  ): Promise<number> {
    const time = hhmm(notice.effectiveAt);
    const where =
      notice.toPool === 'front' ? '一线接听' : notice.toPool === 'back' ? '二线工单处理' : notice.toPool;
    return this.send(agentId, {
      type: 'tidal',
      effectiveAt: notice.effectiveAt,
      time,
      toPool: notice.toPool,
      fromPool: notice.fromPool,
      text: notice.text ?? `潮汐排班：您将于 ${time} 转到${where}。`,
    });
  }

  /** A supervisor's message to the agent. */
  async supervisorMessage(
    agentId: string,
    from: string,
    text: string,
    level: 'info' | 'urgent' = 'info',
  ): Promise<number> {
    return this.send(agentId, { type: 'supervisor', from, text, level });
  }

  // ---- presence, desktop loss, transfers ----

  /** Agents with a desktop connected to this instance. */
  connectedAgents(): string[] {
    return [...this.local.entries()]
      .filter(([, s]) => [...s].some((c) => c.live || c.buffer))
      .map(([a]) => a);
  }

  /** A desktop of the agent is connected to this instance. */
  hasLocalDesktop(agentId: string): boolean {
    return !!this.local.get(agentId)?.size;
  }

  /** A live desktop of the agent is connected to any instance (heartbeat within deadAfterMs). */
  async hasLiveDesktop(agentId: string): Promise<boolean> {
    if (this.hasLocalDesktop(agentId)) return true;
    return (await this.pub.zcount(this.presenceKey(agentId), String(Date.now()), '+inf')) > 0;
  }

  /**
   * Registers a listener called on every instance when an agent's last desktop is gone (dead socket,
   * or closed and not back within lostGraceMs). The instance whose call is ringing that agent should
   * end the ring as a no-answer and re-offer. Returns an unsubscribe function.
   */
  onDesktopLost(listener: DesktopLostListener): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /**
   * Registers what carries out an agent's transfer request on the instance that owns the call.
   * Without a handler the desktop is told transfers are not available. Returns an unsubscribe function.
   */
  onTransferRequest(handler: TransferHandler): () => void {
    this.transferHandlers.add(handler);
    return () => this.transferHandlers.delete(handler);
  }

  /** Refuses the agent's tokens issued up to now and closes its desktops everywhere. */
  async revokeTokens(agentId: string): Promise<number> {
    const until = await revokeAgentTokens(this.pub, this.keys, agentId);
    await this.publish({ k: 'revoke', a: agentId, until });
    return until;
  }

  /** The highest sequence number the agent's desktop acknowledged. */
  async lastAck(agentId: string): Promise<number> {
    return Number((await this.pub.hget(this.acksKey(), agentId)) ?? 0);
  }

  /** The agent's latest sequence number. */
  async lastSeq(agentId: string): Promise<number> {
    return Number((await this.pub.get(this.seqKey(agentId))) ?? 0);
  }

  // ---- sockets ----

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    void this.upgrade(req, socket, head).catch((err: Error) => {
      this.log.error({ err: err.message }, 'agent websocket upgrade failed');
      socket.destroy();
    });
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (this.pendingSockets >= this.opts.maxPendingSockets) {
      this.stats.refused++;
      this.stats.floodRefused++;
      socket.write(
        'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nRetry-After: 2\r\nConnection: close\r\n\r\ntoo many desktop connections being set up; try again\n',
      );
      socket.destroy();
      return;
    }
    this.pendingSockets++;
    let released = false;
    const release = () => {
      if (!released) this.pendingSockets--;
      released = true;
    };
    try {
      await this.upgradeChecked(req, socket, head, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  private async upgradeChecked(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    release: () => void,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const token = url.searchParams.get('token') ?? bearer(req.headers.authorization);
    let claims: TokenClaims | null = null;
    if (token) {
      const check = await this.checkToken(token);
      if (!check.ok) {
        this.stats.refused++;
        this.log.warn({ reason: check.reason }, 'agent websocket refused');
        socket.write(
          `HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${check.reason}\n`,
        );
        socket.destroy();
        release();
        return;
      }
      claims = check.claims;
    }
    const lastSeqParam = url.searchParams.get('lastSeq');
    const lastSeq =
      lastSeqParam !== null && /^\d{1,15}$/.test(lastSeqParam) ? Number(lastSeqParam) : undefined;
    // A socket with a token is set up now; one without stays pending until it logs in or goes.
    socket.once('close', release);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (claims) release();
      this.onConnection(ws, claims, lastSeq, release);
    });
  }

  private async checkToken(
    token: string,
  ): Promise<{ ok: true; claims: TokenClaims } | { ok: false; reason: string }> {
    const check = await checkAgentToken(this.pub, this.keys, this.secret, token);
    if (!check.ok) return check;
    if (!(await this.acd.getAgent(check.claims.agentId))) return { ok: false, reason: 'unknown agent' };
    return check;
  }

  private onConnection(
    ws: WebSocket,
    claims: TokenClaims | null,
    lastSeq: number | undefined,
    setUp: () => void = () => undefined,
  ): void {
    const conn: Conn = {
      id: randomUUID().slice(0, 8),
      ws,
      agentId: null,
      claims: null,
      lastSeen: Date.now(),
      live: false,
      buffer: null,
      maxSeq: 0,
      loggedOut: false,
      loginTimer: null,
      setUp,
    };
    if (this.closing) {
      ws.terminate();
      return;
    }
    this.conns.add(conn);
    ws.on('pong', () => (conn.lastSeen = Date.now()));
    ws.on('message', (data, isBinary) => {
      conn.lastSeen = Date.now();
      void this.onClientFrame(conn, isBinary ? '' : data.toString());
    });
    ws.on('close', () => this.onClose(conn));
    ws.on('error', () => ws.terminate());
    if (claims) {
      if (this.authenticate(conn, claims)) void this.startSession(conn, lastSeq);
    } else {
      conn.loginTimer = setTimeout(() => {
        if (!conn.agentId) {
          this.sendConn(conn, {
            type: 'error',
            code: 'unauthorized',
            error: 'log in first (login with a token)',
          });
          ws.close(4408, 'login timeout');
        }
      }, this.opts.loginTimeoutMs);
    }
  }

  /** Refuses a login over the agent's rate (close code 4429); true when the login may go on. */
  private loginAllowed(conn: Conn, agentId: string): boolean {
    const now = Date.now();
    const recent = (this.logins.get(agentId) ?? []).filter((t) => t > now - 10_000);
    if (recent.length >= this.opts.loginsPerAgentPer10s) {
      this.logins.set(agentId, recent);
      this.stats.refused++;
      this.stats.floodRefused++;
      this.log.warn({ agentId }, 'agent desktop login refused: too many logins');
      this.sendConn(conn, {
        type: 'error',
        code: 'unauthorized',
        error: 'too many logins; wait a few seconds',
      });
      conn.ws.close(4429, 'too many logins');
      return false;
    }
    recent.push(now);
    this.logins.set(agentId, recent);
    return true;
  }

  private authenticate(conn: Conn, claims: TokenClaims): boolean {
    const agentId = claims.agentId;
    if (!this.loginAllowed(conn, agentId)) return false;
    conn.agentId = agentId;
    conn.claims = claims;
    conn.setUp();
    if (conn.loginTimer) clearTimeout(conn.loginTimer);
    let set = this.local.get(agentId);
    if (!set) this.local.set(agentId, (set = new Set()));
    // One agent, a few desktops at most: the newest wins (an agent reopening a crashed page gets in).
    while (set.size >= this.opts.maxDesktopsPerAgent) {
      const oldest = set.values().next().value as Conn;
      set.delete(oldest);
      this.sendConn(oldest, {
        type: 'error',
        code: 'unauthorized',
        error: '已在其他窗口登录 (replaced by a newer desktop)',
      });
      oldest.ws.close(4409, 'replaced by a newer desktop');
    }
    set.add(conn);
    const t = this.lostTimers.get(agentId);
    if (t) {
      clearTimeout(t);
      this.lostTimers.delete(agentId);
    }
    void this.touchPresence([conn]);
    this.log.info({ agentId, conn: conn.id }, 'agent desktop connected');
    return true;
  }

  /** hello, then what the desktop missed since lastSeq, then live messages, each exactly once in order. */
  private async startSession(conn: Conn, lastSeq: number | undefined): Promise<void> {
    const agentId = conn.agentId!;
    conn.live = false;
    conn.buffer = [];
    try {
      const after = lastSeq ?? 0;
      const [agent, raw] = await Promise.all([
        this.acd.getAgent(agentId),
        runScript(
          this.pub,
          REPLAY_SCRIPT,
          2,
          this.seqKey(agentId),
          this.logKey(agentId),
          this.opts.replayTtlS * 1000,
          after,
        ),
      ]);
      const [cur, oldest, flat] = raw as [number, number, string[]];
      let entries: Array<{ seq: number; text: string }> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ seq: Number(flat[i]), text: flat[i + 1]! });
      let gap = false;
      if (lastSeq === undefined) {
        // A fresh start: bring back the card of the call the agent is on, if any.
        const callId = agent?.callId;
        let from = -1;
        if (callId) {
          entries.forEach((e, i) => {
            if (e.text.includes('"type":"offer"') && e.text.includes(`"callId":${JSON.stringify(callId)}`))
              from = i;
          });
        }
        entries = from >= 0 ? entries.slice(from) : [];
      } else if (lastSeq > cur) {
        gap = true; // the counter went back (Redis was reset): everything kept is new
      } else if (cur > lastSeq) {
        gap = oldest < 0 || oldest > lastSeq + 1;
      }
      this.sendConn(conn, {
        type: 'hello',
        agentId,
        agentName: agent?.name,
        instance: this.opts.instanceId,
        lastSeq: cur,
        resumed: entries.length,
        gap,
        state: agent?.state,
        reason: agent?.reason,
        callId: agent?.callId,
        heartbeatMs: this.opts.heartbeatMs,
        softphone: await this.softphoneOf(agentId),
      });
      for (const e of entries) this.sendText(conn, e.text);
      this.stats.replayed += entries.length;
      conn.maxSeq = Math.max(lastSeq !== undefined && !gap ? lastSeq : 0, entries.at(-1)?.seq ?? 0);
      if (entries.length) {
        this.log.info({ agentId, lastSeq, replayed: entries.length, gap }, 'desktop resumed');
      }
    } catch (err) {
      this.log.error({ agentId, err: (err as Error).message }, 'resume failed');
      this.sendConn(conn, { type: 'error', code: 'internal', error: 'resume failed; reconnect' });
    } finally {
      const buffered = conn.buffer ?? [];
      conn.buffer = null;
      conn.live = true;
      for (const b of buffered) this.deliverTo(conn, b.seq, b.text);
    }
  }

  private onClose(conn: Conn): void {
    this.conns.delete(conn);
    conn.setUp();
    if (conn.loginTimer) clearTimeout(conn.loginTimer);
    const agentId = conn.agentId;
    if (!agentId) return;
    const set = this.local.get(agentId);
    set?.delete(conn);
    if (set && !set.size) this.local.delete(agentId);
    if (this.closing) return;
    void this.pub.zrem(this.presenceKey(agentId), this.presenceMember(conn)).catch(() => undefined);
    this.log.info({ agentId, conn: conn.id }, 'agent desktop disconnected');
    if (conn.loggedOut || this.hasLocalDesktop(agentId)) return;
    const old = this.lostTimers.get(agentId);
    if (old) clearTimeout(old);
    const t = setTimeout(() => {
      this.lostTimers.delete(agentId);
      void this.checkLost(agentId);
    }, this.opts.lostGraceMs);
    t.unref();
    this.lostTimers.set(agentId, t);
  }

  private async checkLost(agentId: string): Promise<void> {
    if (this.closing || (await this.hasLiveDesktop(agentId).catch(() => true))) return;
    this.stats.desktopsLost++;
    this.log.warn({ agentId }, 'agent desktop lost');
    await this.publish({ k: 'lost', a: agentId, i: this.opts.instanceId }).catch(() => undefined);
  }

  private startHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.opts.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  private heartbeat(): void {
    const now = Date.now();
    const alive: Conn[] = [];
    for (const c of this.conns) {
      if (now - c.lastSeen > this.opts.deadAfterMs) {
        this.log.warn({ agentId: c.agentId, conn: c.id }, 'agent desktop heartbeat lost; closing socket');
        c.ws.terminate();
        continue;
      }
      if (c.claims && c.claims.expiresAt * 1000 <= now) {
        this.sendConn(c, { type: 'error', code: 'unauthorized', error: 'token expired' });
        c.ws.close(4401, 'token expired');
        continue;
      }
      if (c.ws.readyState === WebSocket.OPEN) c.ws.ping();
      if (c.agentId) alive.push(c);
    }
    void this.touchPresence(alive);
  }

  private presenceMember(c: Conn): string {
    return `${this.opts.instanceId}/${c.id}`;
  }

  private async touchPresence(conns: Conn[]): Promise<void> {
    if (!conns.length) return;
    const until = Date.now() + this.opts.deadAfterMs + this.opts.heartbeatMs;
    const pipe = this.pub.pipeline();
    for (const c of conns) {
      const key = this.presenceKey(c.agentId!);
      pipe.zadd(key, until, this.presenceMember(c));
      pipe.zremrangebyscore(key, '-inf', String(Date.now()));
      pipe.pexpire(key, until - Date.now());
    }
    await pipe.exec().catch((err: Error) => this.log.warn({ err: err.message }, 'presence refresh failed'));
  }

  // ---- client messages ----

  private async onClientFrame(conn: Conn, text: string): Promise<void> {
    const msg = parseClientMessage(text);
    if (typeof msg === 'string') {
      this.stats.malformed++;
      this.log.debug({ agentId: conn.agentId, problem: msg }, 'malformed desktop message');
      this.sendConn(conn, { type: 'error', code: 'bad_message', error: msg });
      return;
    }
    if (msg.v !== undefined && msg.v > PROTOCOL_VERSION) {
      this.sendConn(conn, {
        type: 'error',
        code: 'version',
        error: `protocol version ${msg.v} is not supported; this router speaks ${PROTOCOL_VERSION}`,
      });
      return;
    }
    if (msg.type === 'ping') {
      this.sendConn(conn, { type: 'pong', t: msg.t });
      return;
    }
    if (msg.type === 'login') return this.onLogin(conn, msg);
    if (!conn.agentId) {
      this.sendConn(conn, {
        type: 'error',
        code: 'unauthorized',
        error: 'log in first (login with a token)',
      });
      return;
    }
    const agentId = conn.agentId;
    const ref = 'ref' in msg ? msg.ref : undefined;
    try {
      switch (msg.type) {
        case 'ack':
          await runScript(this.pub, ACK_SCRIPT, 1, this.acksKey(), agentId, msg.seq);
          return;
        case 'ready':
        case 'wrapup_end':
          return await this.onReady(conn, agentId, msg.type, ref);
        case 'not_ready':
          return await this.onNotReady(conn, agentId, msg.reason ?? 'break', ref);
        case 'transfer':
          return await this.onTransfer(conn, { agentId, callId: msg.callId, target: msg.target, ref });
        case 'logout':
          return await this.onLogout(conn, agentId, ref);
      }
    } catch (err) {
      this.log.warn({ agentId, type: msg.type, err: (err as Error).message }, 'desktop command failed');
      this.sendConn(conn, { type: 'error', code: 'internal', error: (err as Error).message, ref });
    }
  }

  private async onLogin(conn: Conn, msg: Extract<ClientMessage, { type: 'login' }>): Promise<void> {
    if (!conn.agentId) {
      const check = msg.token
        ? await this.checkToken(msg.token)
        : ({ ok: false, reason: 'missing token' } as const);
      if (!check.ok) {
        this.stats.refused++;
        this.log.warn({ reason: check.reason }, 'agent desktop login refused');
        this.sendConn(conn, { type: 'error', code: 'unauthorized', error: check.reason });
        conn.ws.close(4401, check.reason);
        return;
      }
      if (!this.authenticate(conn, check.claims)) return;
    } else if (msg.token) {
      const check = await this.checkToken(msg.token);
      if (!check.ok || check.claims.agentId !== conn.agentId) {
        this.sendConn(conn, {
          type: 'error',
          code: 'unauthorized',
          error: check.ok ? 'token is for another agent' : check.reason,
        });
        return;
      }
    }
    await this.startSession(conn, msg.lastSeq);
  }

  private async onReady(
    conn: Conn,
    agentId: string,
    command: 'ready' | 'wrapup_end',
    ref?: string,
  ): Promise<void> {
    const agent = await this.acd.getAgent(agentId);
    if (!agent) throw new Error('unknown agent');
    if (command === 'wrapup_end' && agent.state !== 'wrapup') {
      this.sendConn(conn, { type: 'result', command, ok: false, ref, message: '当前不在话后整理中' });
      return;
    }
    if (isBusy(agent.state)) {
      this.sendConn(conn, {
        type: 'error',
        code: 'busy',
        ref,
        error: `agent is ${agent.state}; change state after the call`,
      });
      return;
    }
    if (agent.state === 'wrapup') {
      await this.endWrapupInAcd(agentId);
      await this.endWrapup(agentId, 'agent', true, agent.callId);
    } else {
      await this.acd.setAgentState(agentId, 'ready');
    }
    await this.send(agentId, { type: 'state', state: 'ready' });
    this.sendConn(conn, { type: 'result', command, ok: true, ref });
    this.onAgentReady(agentId);
  }

  private async onNotReady(conn: Conn, agentId: string, reason: string, ref?: string): Promise<void> {
    const agent = await this.acd.getAgent(agentId);
    if (!agent) throw new Error('unknown agent');
    if (isBusy(agent.state)) {
      this.sendConn(conn, {
        type: 'error',
        code: 'busy',
        ref,
        error: `agent is ${agent.state}; change state after the call`,
      });
      return;
    }
    await this.acd.setAgentState(agentId, 'not_ready', reason);
    if (agent.state === 'wrapup') await this.endWrapup(agentId, 'agent', true, agent.callId);
    await this.send(agentId, { type: 'state', state: 'not_ready', reason });
    this.sendConn(conn, { type: 'result', command: 'not_ready', ok: true, ref });
  }

  private async onLogout(conn: Conn, agentId: string, ref?: string): Promise<void> {
    const agent = await this.acd.getAgent(agentId);
    if (agent && isBusy(agent.state)) {
      this.sendConn(conn, {
        type: 'error',
        code: 'busy',
        ref,
        error: `agent is ${agent.state}; log out after the call`,
      });
      return;
    }
    await this.acd.setAgentState(agentId, 'logged_out');
    if (agent?.state === 'wrapup') await this.endWrapup(agentId, 'agent', true, agent.callId);
    await this.send(agentId, { type: 'state', state: 'logged_out' });
    this.sendConn(conn, { type: 'result', command: 'logout', ok: true, ref });
    conn.loggedOut = true;
    conn.ws.close(1000, 'logged out');
  }

  private async onTransfer(conn: Conn, req: TransferRequest): Promise<void> {
    const agent = await this.acd.getAgent(req.agentId);
    if (agent?.state !== 'talking' || agent.callId !== req.callId) {
      this.sendConn(conn, {
        type: 'error',
        code: 'not_in_call',
        ref: req.ref,
        error: 'transfer needs a call the agent is talking on',
      });
      return;
    }
    const call = await this.acd.getCall(req.callId);
    const owner = call?.owner ?? '';
    if (!owner || owner === this.opts.instanceId) {
      await this.runTransfer(req);
      return;
    }
    if (!(await this.pub.exists(this.keys.instanceAlive(owner)))) {
      await this.transferResult(req, false, '通话所在的路由实例不可用');
      return;
    }
    await this.publish({ k: 'xfer', to: owner, req });
  }

  private async runTransfer(req: TransferRequest): Promise<void> {
    for (const h of this.transferHandlers) {
      try {
        const r = await h(req);
        if (r) return this.transferResult(req, r.ok, r.message);
      } catch (err) {
        return this.transferResult(req, false, (err as Error).message);
      }
    }
    await this.transferResult(req, false, '转接暂不可用');
  }

  private async transferResult(req: TransferRequest, ok: boolean, message?: string): Promise<void> {
    this.log.info(
      { agentId: req.agentId, callId: req.callId, target: req.target.kind, ok },
      'transfer request',
    );
    await this.send(req.agentId, { type: 'result', command: 'transfer', ok, ref: req.ref, message });
  }

  // ---- wrap-up ----

  /** The agent's state, wrap-up end, call and reason, as afterEnded reads them. */
  private agentAfterCall(agentId: string): Promise<Array<string | null>> {
    const read = this.pub.hmget(this.keys.agent(agentId), 'state', 'wrapupUntil', 'callId', 'reason');
    // Awaited only after the message's own write: a failed read must not surface as an unhandled rejection.
    read.catch(() => undefined);
    return read;
  }

  private async afterEnded(
    agentId: string,
    callId: string,
    outcome: string,
    [state, until, cid, reason]: Array<string | null>,
  ): Promise<void> {
    if (this.explicitWrapup) return;
    // Until the call flow reports wrap-up and states itself, tell the desktop where the call left
    // the agent: in wrap-up (with its length), or the state the ACD set.
    if (!state || (cid && cid !== callId)) return;
    if (state === 'wrapup' && outcome === 'answered') {
      const durationS = until ? Math.max(0, (Number(until) - Date.now()) / 1000) : this.opts.wrapupS;
      await this.openWrapup(agentId, callId, Math.round(durationS * 10) / 10);
    } else if (!isBusy(state)) {
      await this.send(agentId, { type: 'state', state, reason: reason || undefined });
    }
  }

  private async openWrapup(agentId: string, callId: string, durationS: number): Promise<void> {
    const endsAt = Date.now() + durationS * 1000;
    await this.pub.set(this.wrapupKey(agentId), callId, 'EX', Math.ceil(durationS) + 3600);
    await this.send(agentId, { type: 'wrapup_started', callId, durationS, endsAt });
    // When the ACD ends the wrap-up by itself without telling us, tell the desktop.
    this.clearWrapupTimer(agentId);
    let tries = 0;
    const check = async (): Promise<void> => {
      this.wrapupTimers.delete(agentId);
      const a = await this.acd.getAgent(agentId).catch(() => null);
      if (!a || this.closing) return;
      if (a.state === 'wrapup' && a.callId === callId) {
        if (++tries < 30) this.armWrapupTimer(agentId, 1000, check);
        return;
      }
      if (await this.endWrapup(agentId, 'timer', false, callId)) {
        await this.send(agentId, { type: 'state', state: a.state, reason: a.reason, callId: a.callId });
      }
    };
    this.armWrapupTimer(agentId, durationS * 1000 + 1000, check);
  }

  private armWrapupTimer(agentId: string, ms: number, fn: () => Promise<void>): void {
    const t = setTimeout(() => void fn().catch(() => undefined), ms);
    t.unref();
    this.wrapupTimers.set(agentId, t);
  }

  private clearWrapupTimer(agentId: string): void {
    const t = this.wrapupTimers.get(agentId);
    if (t) clearTimeout(t);
    this.wrapupTimers.delete(agentId);
  }

  /** Sends wrapup_ended if a wrap-up is open (or `force`); true when it was sent. */
  private async endWrapup(
    agentId: string,
    by: 'timer' | 'agent' | 'supervisor' | 'system',
    force: boolean,
    callId?: string,
  ): Promise<boolean> {
    const open = await this.pub.getdel(this.wrapupKey(agentId));
    if (!open && !force) return false;
    this.clearWrapupTimer(agentId);
    await this.send(agentId, { type: 'wrapup_ended', callId: open ?? callId, by });
    return true;
  }

  /** Ends the ACD's wrap-up: the ACD's own operation when it has one, else a plain state change. */
  private async endWrapupInAcd(agentId: string): Promise<void> {
    const acd = this.acd as unknown as { endWrapup?: (id: string) => Promise<boolean> };
    if (typeof acd.endWrapup === 'function') {
      if (await acd.endWrapup.call(this.acd, agentId)) return;
    }
    await this.acd.setAgentState(agentId, 'ready');
  }

  // ---- delivery ----

  private async publish(env: Envelope): Promise<void> {
    await this.pub.publish(this.keys.screenPopChannel(), JSON.stringify(env));
  }

  private onEnvelope(text: string): void {
    let env: Envelope;
    try {
      env = JSON.parse(text) as Envelope;
    } catch {
      return;
    }
    switch (env.k) {
      case 'm': {
        const set = this.local.get(env.a);
        if (!set) return;
        // The message exactly as published (no re-serialisation): it follows `"m":` to the end.
        const i = text.indexOf(',"m":');
        const body = i >= 0 ? text.slice(i + 5, -1) : JSON.stringify(env.m);
        const seq = env.m.seq ?? 0;
        for (const c of set) {
          if (c.live) this.deliverTo(c, seq, body);
          else c.buffer?.push({ seq, text: body });
        }
        return;
      }
      case 'lost':
        for (const l of this.lostListeners) {
          try {
            l(env.a);
          } catch (err) {
            this.log.warn({ err: (err as Error).message }, 'desktop-lost listener failed');
          }
        }
        return;
      case 'revoke':
        for (const c of this.local.get(env.a) ?? []) {
          if ((c.claims?.issuedAt ?? 0) <= env.until) {
            this.sendConn(c, { type: 'error', code: 'unauthorized', error: 'token revoked' });
            c.ws.close(4401, 'token revoked');
          }
        }
        return;
      case 'xfer':
        if (env.to === this.opts.instanceId) void this.runTransfer(env.req);
        return;
    }
  }

  private deliverTo(c: Conn, seq: number, text: string): void {
    if (seq && seq <= c.maxSeq) return; // already sent (replayed)
    if (seq) c.maxSeq = seq;
    this.sendText(c, text);
  }

  private sendText(c: Conn, text: string): void {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    c.ws.send(text);
    this.stats.delivered++;
  }

  private sendConn(c: Conn, msg: Outgoing): void {
    if (c.ws.readyState === WebSocket.OPEN) {
      c.ws.send(JSON.stringify({ ...msg, v: PROTOCOL_VERSION, at: Date.now() }));
    }
  }
}

/** The agent is on a call (or about to be): state buttons wait until it is over. */
function isBusy(state: string): boolean {
  return state === 'reserved' || state === 'ringing' || state === 'talking';
}

function bearer(h: string | undefined): string | null {
  return h?.startsWith('Bearer ') ? h.slice(7) : null;
}

/** HH:MM in China Standard Time. */
export function hhmm(epochMs: number): string {
  return new Date(epochMs + 8 * 3600_000).toISOString().slice(11, 16);
}

export type { ServerMessage };
