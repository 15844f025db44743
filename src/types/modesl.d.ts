// Type declarations for the parts of `modesl` (FreeSWITCH Event Socket client, plain JS) that the project uses.
declare module 'modesl' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  export class Event {
    constructor(type?: string, subclass?: string);
    getHeader(name: string): string | null;
    getBody(): string;
    getType(): string;
    addHeader(name: string, value: string): void;
    addBody(value: string): void;
    serialize(format?: 'plain' | 'json' | 'xml'): string;
    headers: Array<{ name: string; value: string }>;
    type: string;
    body: string;
  }

  export type EventCallback = (evt: Event) => void;

  /** EventEmitter2 with wildcard '::' delimiters; typed as a plain EventEmitter. */
  export class Connection extends EventEmitter {
    /** Inbound: connect to FreeSWITCH's event socket. */
    constructor(host: string, port: number, password: string, cb?: () => void);
    /** Outbound: wrap a socket FreeSWITCH opened to us. */
    constructor(socket: Socket, cb?: () => void);
    socket: Socket | null;
    channelData: Event | undefined;
    reqEvents: string[];
    connected(): boolean;
    getInfo(): Event;
    send(command: string, args?: Record<string, string>): void;
    sendRecv(command: string, args?: Record<string, string> | EventCallback, cb?: EventCallback): void;
    api(command: string, args?: string | string[] | EventCallback, cb?: EventCallback): void;
    bgapi(
      command: string,
      args?: string | string[] | EventCallback,
      jobid?: string | EventCallback,
      cb?: EventCallback,
    ): void;
    events(type: 'plain' | 'json' | 'xml', events: string | string[], cb?: EventCallback): void;
    subscribe(events: string | string[], cb?: EventCallback): void;
    filter(header: string, value: string, cb?: EventCallback): void;
    execute(app: string, arg?: string, uuid?: string | EventCallback, cb?: EventCallback): string;
    executeAsync(app: string, arg?: string, uuid?: string | EventCallback, cb?: EventCallback): string;
    setEventLock(value: boolean): void;
    disconnect(): void;
  }

  export interface ServerOptions {
    port?: number;
    host?: string;
    server?: NetServer;
    myevents?: boolean;
  }

  export class Server extends EventEmitter {
    constructor(opts?: ServerOptions, readyCb?: () => void);
    server: NetServer;
    port: number;
    connections: Record<string, Connection>;
    close(cb?: (err?: Error) => void): void;
  }

  const esl: { Connection: typeof Connection; Server: typeof Server; Event: typeof Event };
  export default esl;
}
