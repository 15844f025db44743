import { afterEach, describe, expect, it } from 'vitest';
import type { SwitchEmulator } from '../../src/switch-emulator/index.ts';
import { api, exec, inboundClient, rawClient, sleep, startEmulator, startRouter } from './helpers.ts';

describe('robustness: garbage and faults never take the emulator down', () => {
  let emu: SwitchEmulator | undefined;
  afterEach(async () => {
    await emu?.stop();
    emu = undefined;
  });

  it('answers garbage as FreeSWITCH does and counts it', async () => {
    emu = await startEmulator();
    const errors: unknown[] = [];
    emu.on('protocol-error', (e) => errors.push(e));
    const c = await rawClient(emu.eslPort);
    await c.waitFor(/auth\/request\n\n/);
    // Before auth anything but auth is "command not found" and the connection stays.
    c.sock.write('hello\n\n');
    await c.waitFor(/-ERR command not found\n\n/);
    c.sock.write('auth ClueCon\n\n');
    await c.waitFor(/\+OK accepted/);
    c.sock.write(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a, 0x0a]));
    c.sock.write('\x1b[2J nonsense: value\nmore garbage\n\n');
    c.sock.write('event plain NOT_AN_EVENT\n\n');
    c.sock.write('sendmsg 00000000-0000-0000-0000-000000000000\ncall-command: execute\n\n');
    c.sock.write('api no_such_cmd with args\n\n');
    await c.waitFor(/-ERR no_such_cmd Command not found!\n/);
    const text = c.data();
    expect(text.match(/-ERR command not found/g)?.length).toBeGreaterThanOrEqual(3);
    expect(text).toContain('-ERR no keywords supplied');
    expect(text).toContain('-ERR invalid session id [00000000-0000-0000-0000-000000000000]');
    expect(emu.stats.protocolErrors).toBeGreaterThanOrEqual(5);
    expect(errors.length).toBe(emu.stats.protocolErrors);
    // The connection still works.
    c.sock.write('api uuid_exists 00000000-0000-0000-0000-000000000000\n\n');
    await c.waitFor(/Content-Length: 5\n\nfalse/);
    c.sock.destroy();
  });

  it('drops a client that announces an absurd Content-Length, and keeps serving others', async () => {
    emu = await startEmulator();
    const c = await rawClient(emu.eslPort);
    await c.waitFor(/auth\/request/);
    c.sock.write('auth ClueCon\n\nsendmsg\ncontent-length: 99999999999\n\n');
    await new Promise<void>((r) => c.sock.once('close', () => r()));
    expect(emu.stats.protocolErrors).toBe(1);
    const conn = await inboundClient(emu.eslPort);
    expect((await api(conn, 'uuid_exists', 'x')).getBody()).toBe('false');
    conn.disconnect();
  });

  it('wrong password: -ERR invalid, disconnect notice, socket closed', async () => {
    emu = await startEmulator();
    const c = await rawClient(emu.eslPort);
    await c.waitFor(/auth\/request/);
    c.sock.write('auth nope\n\n');
    await new Promise<void>((r) => c.sock.once('close', () => r()));
    expect(c.data()).toBe(
      'Content-Type: auth/request\n\nContent-Type: command/reply\nReply-Text: -ERR invalid\n\n' +
        'Content-Type: text/disconnect-notice\nContent-Length: 67\n\nDisconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n',
    );
  });

  it('survives dropped inbound connections, raw injection and a router spewing garbage mid-call', async () => {
    const router = await startRouter((conn) => {
      void (async () => {
        await exec(conn, 'answer');
        conn.socket?.write('\x00\x01garbage line\n\nsendmsg\ncall-command: nonsense\n\n');
        await sleep(50);
        await exec(conn, 'hangup', 'NORMAL_CLEARING');
      })();
    });
    emu = await startEmulator({ routerPort: router.port });
    const watcher = await inboundClient(emu.eslPort);
    emu.injectRaw('inbound', 'Content-Type: text/garbage\nContent-Length: 3\n\nxyz');
    emu.dropInboundConnections();
    await sleep(50);
    const s = await emu.placeCall({ destination: '12345', callerIdNumber: '13800000009' }).ended;
    expect(s.hangupBy).toBe('router');
    expect(emu.stats.protocolErrors).toBeGreaterThanOrEqual(1);
    const again = await inboundClient(emu.eslPort);
    expect((await api(again, 'status')).getBody()).toContain('is ready');
    again.disconnect();
    watcher.socket?.destroy();
    await router.close();
  });
});
