// Client->server framing as read_packet (mod_event_socket.c) reads it: a command line, optional
// "Name: value" lines, a blank line; a content-length header pulls in a body of that many bytes.
// Leading CR/LF noise is skipped; CR is ignored in line ends.
export interface ClientCommand {
  command: string;
  headers: Array<[string, string]>;
  body?: string;
}

const MAX_CONTENT_LENGTH = 1024 * 1024 * 10;

export class CommandParser {
  private buf: Buffer = Buffer.alloc(0);
  /** Set when the stream is unusable (oversized content-length): the caller closes the socket. */
  fatal?: string;

  push(chunk: Buffer): ClientCommand[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: ClientCommand[] = [];
    for (;;) {
      let start = 0;
      while (start < this.buf.length && (this.buf[start] === 0x0a || this.buf[start] === 0x0d)) start++;
      if (start) this.buf = this.buf.subarray(start);
      const end = findBlankLine(this.buf);
      if (end < 0) break;
      // FreeSWITCH treats header bytes as UTF-8 text (file names, caller names in Chinese).
      const head = this.buf.subarray(0, end.valueOf()).toString('utf8').replace(/\r/g, '');
      let rest = this.buf.subarray(end + blankLen(this.buf, end));
      const lines = head.split('\n');
      const command = lines[0] ?? '';
      const headers: Array<[string, string]> = [];
      let clen = 0;
      for (const line of lines.slice(1)) {
        if (!line) continue;
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ +/, '');
        headers.push([name, value]);
        if (name.toLowerCase() === 'content-length') {
          clen = Number.parseInt(value, 10);
          if (!Number.isFinite(clen) || clen < 0 || clen > MAX_CONTENT_LENGTH) {
            this.fatal = `Rejecting Content-Length '${value}' (out of range)`;
            return out;
          }
        }
      }
      let body: string | undefined;
      if (clen > 0) {
        if (rest.length < clen) break;
        body = rest.subarray(0, clen).toString('utf8');
        rest = rest.subarray(clen);
      }
      this.buf = rest;
      out.push({ command, headers, body });
    }
    return out;
  }
}

/** Index of the first "\n\n" (allowing "\r" between) that ends a header block, or -1. */
function findBlankLine(b: Buffer): number {
  for (let i = 0; i < b.length; i++) {
    if (b[i] !== 0x0a) continue;
    let j = i + 1;
    if (b[j] === 0x0d) j++;
    if (b[j] === 0x0a) return i;
  }
  return -1;
}

function blankLen(b: Buffer, at: number): number {
  return b[at + 1] === 0x0d ? 3 : 2;
}
