// The inbound connection's commands reach FreeSWITCH whole and at once: modesl writes a command in pieces (its
// line, then the blank line that ends it), and with Nagle's algorithm the last piece waited 40 ms for the peer's
// delayed ACK of the first (a bgapi originate seen 42 ms late with tcpdump). A peer that reads what arrived shows it.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection } from 'modesl';
import { inboundConnection } from '../../src/esl/guarded-connection.ts';

/** Speaks just enough ESL: asks for auth, accepts it, answers api with a body; records each chunk it receives. */
function fakeSwitch(): Promise<{ server: net.Server; port: number; chunks: string[] }> {
  const chunks: string[] = [];
  const server = net.createServer((s) => {
    s.write('Content-Type: auth/request\n\n');
    let buf = '';
    s.on('data', (d: Buffer) => {
      chunks.push(d.toString());
      buf += d.toString();
      for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
        const cmd = buf.slice(0, end);
        buf = buf.slice(end + 2);
        if (cmd.startsWith('auth ')) s.write('Content-Type: command/reply\nReply-Text: +OK accepted\n\n');
        else if (cmd.startsWith('api ')) {
          const body = '+OK\n';
          s.write(`Content-Type: api/response\nContent-Length: ${body.length}\n\n${body}`);
        } else s.write('Content-Type: command/reply\nReply-Text: +OK\n\n');
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as net.AddressInfo).port, chunks }),
    ),
  );
}

describe('inbound ESL connection writes', () => {
  let server: net.Server | undefined;
  let conn: Connection | undefined;
  afterEach(async () => {
    conn?.socket?.destroy();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });

  it('sends each command, and the commands of one tick, in one write', async () => {
    const fake = await fakeSwitch();
    server = fake.server;
    const c = inboundConnection('127.0.0.1', fake.port, 'ClueCon', () => undefined);
    conn = c;
    await new Promise<void>((r) => c.once('esl::ready', () => r()));
    // modesl's own subscription after auth has been answered; what follows is ours.
    await new Promise((r) => setTimeout(r, 50));
    fake.chunks.length = 0;
    await new Promise<void>((resolve) => {
      let n = 0;
      const done = () => ++n === 2 && resolve();
      c.api('uuid_pre_answer 1234', done);
      c.api('uuid_bridge 1234 5678', done);
    });
    expect(fake.chunks).toEqual(['api uuid_pre_answer 1234\n\napi uuid_bridge 1234 5678\n\n']);
  });
});
