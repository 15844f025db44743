// The part of drachtio-srf 5.0.29 the edge uses, typed from its source (node_modules/drachtio-srf/lib: srf.js,
// dialog.js, request.js, response.js); the package's own declarations miss register/options and mistype several
// signatures. `createSrf` builds the real, unmodified client.
import type { EventEmitter } from 'node:events';
import Srf from 'drachtio-srf';

export interface SrfMessage {
  method?: string;
  uri: string;
  body: string;
  status?: number;
  reason?: string;
  headers: Record<string, string>;
  get(name: string): string | undefined;
  has(name: string): boolean;
}

export interface SrfRequest extends SrfMessage, EventEmitter {
  method: string;
  source_address: string;
  source_port: number;
  protocol: string;
  stackTxnId?: string;
  stackDialogId?: string;
  callingNumber: string;
  calledNumber: string;
  /** A request the application sent (uac): cancels it with a CANCEL. */
  cancel(opts?: { headers?: Record<string, string> }, cb?: (err: unknown) => void): void;
}

export interface SrfResponse extends SrfMessage {
  status: number;
  finalResponseSent: boolean;
  send(status: number, reason?: string, opts?: { headers?: Record<string, string>; body?: string }): void;
  send(status: number, opts?: { headers?: Record<string, string>; body?: string }): void;
}

export interface SrfDialog extends EventEmitter {
  id: string;
  type: 'uas' | 'uac';
  connected: boolean;
  sip: { callId: string; localTag: string; remoteTag: string };
  local: { uri: string; sdp: string; contact: string };
  remote: { uri: string; sdp: string };
  destroy(opts?: { headers?: Record<string, string> }): Promise<unknown>;
  modify(sdp: string): Promise<string>;
  request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<SrfMessage>;
  on(event: 'destroy', fn: (req: SrfRequest, reason?: string) => void): this;
  on(event: 'info' | 'refer' | 'notify' | 'modify', fn: (req: SrfRequest, res: SrfResponse) => void): this;
  on(event: 'ack', fn: (req: SrfRequest) => void): this;
}

export interface SrfSipError extends Error {
  status?: number;
  reason?: string;
}

export interface B2buaOptions {
  headers?: Record<string, string>;
  localSdpB?: string;
  passFailure?: boolean;
  proxy?: string;
  callingNumber?: string;
  callingName?: string;
}

export type Handler = (req: SrfRequest, res: SrfResponse) => void;

export interface SrfClient extends EventEmitter {
  connect(opts: { host: string; port: number; secret: string }): void;
  disconnect(): void;
  invite(fn: Handler): void;
  register(fn: Handler): void;
  options(fn: Handler): void;
  createB2BUA(
    req: SrfRequest,
    res: SrfResponse,
    uri: string,
    opts: B2buaOptions,
    progress?: { cbRequest?: (err: unknown, req: SrfRequest) => void },
  ): Promise<{ uas: SrfDialog; uac: SrfDialog }>;
  createUAS(
    req: SrfRequest,
    res: SrfResponse,
    opts: { localSdp?: string; headers?: Record<string, string> },
  ): Promise<SrfDialog>;
  createUAC(
    uri: string,
    opts: { headers?: Record<string, string>; localSdp?: string; callingNumber?: string; proxy?: string },
    progress?: { cbRequest?: (err: unknown, req: SrfRequest) => void },
  ): Promise<SrfDialog>;
  request(
    uri: string,
    opts: { method: string; headers?: Record<string, string>; body?: string },
    cb: (err: unknown, req: SrfRequest) => void,
  ): void;
}

export function createSrf(): SrfClient {
  return new (Srf as unknown as new () => SrfClient)();
}

/**
 * Disconnects and stops drachtio-srf's reconnect loop for good: `disconnect()` alone throws when no connection
 * is up and leaves an already scheduled retry timer armed (lib/wire-protocol.js _onConnectionGone).
 */
export function shutdownSrf(srf: SrfClient): void {
  const wp = (srf as unknown as { _app?: { client?: { wp?: WireInternals } } })._app?.client?.wp;
  if (wp) wp.closing = true;
  try {
    srf.disconnect();
  } catch {
    // not connected: nothing to close
  }
  if (wp?.reconnectVars?.retryTimer) clearTimeout(wp.reconnectVars.retryTimer);
  if (wp?.reconnectVars) wp.reconnectVars.retryTimer = null;
  if (wp?.socket && !wp.socket.destroyed) wp.socket.destroy();
}

interface WireInternals {
  closing?: boolean;
  reconnectVars?: { retryTimer: NodeJS.Timeout | null };
  socket?: { destroyed: boolean; destroy(): void };
}
