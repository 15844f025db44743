// drachtio's control-link framing: `<decimal byte count>#<payload>`, frames back to back in both directions
// (drachtio-srf lib/wire-protocol.js send/_onData; drachtio-server src/client.cpp readMessageLength, which
// accepts at most five digits before '#' and drops the client on anything else).

export function encodeFrame(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}#`, 'latin1'), body]);
}

export class FrameError extends Error {}

/** Accumulates TCP chunks and yields whole payloads; throws FrameError on a bad length specifier. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): string[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: string[] = [];
    for (;;) {
      const hash = this.buf.indexOf(0x23);
      if (hash < 0) {
        // Only digits so far: the length specifier may be split across reads.
        if (this.buf.length > 5 || !/^\d*$/.test(this.buf.toString('latin1')))
          throw new FrameError('invalid message length specifier');
        return out;
      }
      const spec = this.buf.subarray(0, hash).toString('latin1');
      if (!/^\d{1,5}$/.test(spec) || Number(spec) === 0)
        throw new FrameError('invalid message length specifier');
      const len = Number(spec);
      if (this.buf.length < hash + 1 + len) return out;
      out.push(this.buf.subarray(hash + 1, hash + 1 + len).toString('utf8'));
      this.buf = this.buf.subarray(hash + 1 + len);
    }
  }
}

/** The first line's '|' tokens and the SIP text after CRLF (drachtio-server splitMsg/splitTokens). */
export function splitPayload(payload: string): { tokens: string[]; sip: string } {
  const crlf = payload.indexOf('\r\n');
  const first = crlf < 0 ? payload : payload.slice(0, crlf);
  return { tokens: first.split('|'), sip: crlf < 0 ? '' : payload.slice(crlf + 2) };
}
