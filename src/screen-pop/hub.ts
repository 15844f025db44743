// Agent WebSocket hub: agents connect with their token; messages for an agent are published through
// Redis so that an agent connected to any router instance gets offers decided by any other.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Redis } from 'ioredis';
import { WebSocket, WebSocketServer } from 'ws';
import type { AcdStore } from '../acd/store.ts';
import type { Logger } from '../logging/logger.ts';
import type { Keys } from '../redis/keys.ts';
import { verifyAgentToken } from './agent-token.ts';
import { PROTOCOL_VERSION, parseClientMessage, type ServerMessage } from './messages.ts';

type Outgoing = ServerMessage extends infer M
  ? M extends ServerMessage
    ? Omit<M, 'v' | 'at'>
    : never
  : never;

export class ScreenPopHub {
  readonly wss = new WebSocketServer({ noServer: true });
  private readonly local = new Map<string, Set<WebSocket>>();
  delivered = 0;

  constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly keys: Keys,
    private readonly acd: AcdStore,
    private readonly secret: string,
    private readonly log: Logger,
    private readonly onAgentReady: (agentId: string) => void,
  ) {}

  async start(): Promise<void> {
    await this.sub.subscribe(this.keys.screenPopChannel());
    this.sub.on('message', (channel: string, text: string) => {
      if (channel !== this.keys.screenPopChannel()) return;
      const { agentId, msg } = JSON.parse(text) as { agentId: string; msg: ServerMessage };
      this.deliverLocal(agentId, msg);
    });
  }

  /** Sends to the agent wherever it is connected. */
  async send(agentId: string, msg: Outgoing): Promise<void> {
    const full = { ...msg, v: PROTOCOL_VERSION, at: Date.now() } as ServerMessage;
    await this.pub.publish(this.keys.screenPopChannel(), JSON.stringify({ agentId, msg: full }));
  }

  connectedAgents(): string[] {
    return [...this.local.keys()];
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const token = url.searchParams.get('token') ?? bearer(req.headers.authorization);
    const check = token
      ? verifyAgentToken(this.secret, token)
      : { ok: false as const, reason: 'missing token' };
    if (!check.ok) {
      this.log.warn({ reason: check.reason }, 'agent websocket refused');
      socket.write(
        `HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${check.reason}\n`,
      );
      socket.destroy();
      return;
    }
    const agentId = check.claims.agentId;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, agentId));
  }

  close(): void {
    for (const set of this.local.values()) for (const ws of set) ws.terminate();
    this.wss.close();
  }

  private onConnection(ws: WebSocket, agentId: string): void {
    let set = this.local.get(agentId);
    if (!set) this.local.set(agentId, (set = new Set()));
    set.add(ws);
    this.log.info({ agentId }, 'agent desktop connected');
    this.sendDirect(ws, { type: 'hello', agentId });
    ws.on('message', (data) => void this.onClientMessage(ws, agentId, data.toString()));
    ws.on('close', () => {
      set.delete(ws);
      if (!set.size) this.local.delete(agentId);
      this.log.info({ agentId }, 'agent desktop disconnected');
    });
    ws.on('error', () => ws.terminate());
  }

  private async onClientMessage(ws: WebSocket, agentId: string, text: string): Promise<void> {
    const msg = parseClientMessage(text);
    if (typeof msg === 'string') {
      this.sendDirect(ws, { type: 'error', error: msg });
      return;
    }
    try {
      if (msg.type === 'ready') {
        await this.acd.setAgentState(agentId, 'ready');
        await this.send(agentId, { type: 'state', state: 'ready' });
        this.onAgentReady(agentId);
      } else if (msg.type === 'not_ready') {
        await this.acd.setAgentState(agentId, 'not_ready', msg.reason ?? 'break');
        await this.send(agentId, { type: 'state', state: 'not_ready', reason: msg.reason ?? 'break' });
      }
    } catch (err) {
      this.sendDirect(ws, { type: 'error', error: (err as Error).message });
    }
  }

  private deliverLocal(agentId: string, msg: ServerMessage): void {
    const set = this.local.get(agentId);
    if (!set) return;
    const text = JSON.stringify(msg);
    for (const ws of set) {
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(text);
        this.delivered++;
      }
    }
  }

  private sendDirect(ws: WebSocket, msg: Outgoing): void {
    if (ws.readyState === WebSocket.OPEN)
      ws.send(JSON.stringify({ ...msg, v: PROTOCOL_VERSION, at: Date.now() }));
  }
}

function bearer(h: string | undefined): string | null {
  return h?.startsWith('Bearer ') ? h.slice(7) : null;
}
