// Validates ESL frames before modesl's parser sees them. modesl throws from a socket 'data' handler
// on a bad %-escape or an unparsable JSON body, which would take the whole router down; here such a
// frame is dropped, reported, and the stream resynchronises on the next frame boundary.

export interface FrameProblem {
  reason: string;
  /** The start of the offending bytes, for the log (the logger masks personal data). */
  sample: string;
}

const MAX_BODY = 8 * 1024 * 1024;

/** A complete, valid frame; a JSON event's body comes parsed (the guard had to parse it to check it). */
export interface GuardedFrame {
  bytes: Buffer;
  /** The frame's own headers (Content-Type, Content-Length, Reply-Text ...), still %-encoded. */
  headers: Map<string, string>;
  /** text/event-json only: the event's headers and `_body`, parsed. */
  json?: Record<string, unknown>;
  /** text/event-json only: the body as text. */
  body?: string;
}

export class EslFrameGuard {
  private buf: Buffer = Buffer.alloc(0);

  /** Feeds bytes in; returns the complete, valid frames and the problems found. */
  push(chunk: Buffer): { frames: Buffer[]; problems: FrameProblem[] } {
    const { frames, problems } = this.pushParsed(chunk);
    return { frames: frames.map((f) => f.bytes), problems };
  }

  /** push, with each frame's headers and (for JSON events) its parsed body. */
  pushParsed(chunk: Buffer): { frames: GuardedFrame[]; problems: FrameProblem[] } {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: GuardedFrame[] = [];
    const problems: FrameProblem[] = [];
    for (;;) {
      const headEnd = this.buf.indexOf('\n\n');
      if (headEnd < 0) {
        if (this.buf.length > MAX_BODY) {
          problems.push({ reason: 'header block too long', sample: sample(this.buf) });
          this.buf = Buffer.alloc(0);
        }
        break;
      }
      if (headEnd === 0) {
        // Stray blank lines between frames carry nothing; FreeSWITCH never sends them.
        this.buf = this.buf.subarray(1);
        continue;
      }
      const head = this.buf.subarray(0, headEnd).toString('utf8');
      const headers = parseHeaderBlock(head);
      if (typeof headers === 'string') {
        problems.push({ reason: headers, sample: sample(this.buf.subarray(0, headEnd)) });
        this.buf = this.buf.subarray(headEnd + 2);
        continue;
      }
      const lenText = headers.get('Content-Length');
      let total = headEnd + 2;
      if (lenText !== undefined) {
        if (!/^\d+$/.test(lenText) || Number(lenText) > MAX_BODY) {
          problems.push({
            reason: `bad Content-Length ${JSON.stringify(lenText)}`,
            sample: sample(Buffer.from(head)),
          });
          this.buf = this.buf.subarray(headEnd + 2);
          continue;
        }
        total += Number(lenText);
        if (this.buf.length < total) break;
      }
      const frame = this.buf.subarray(0, total);
      this.buf = this.buf.subarray(total);
      const type = headers.get('Content-Type');
      if (type === 'text/event-json') {
        const body = frame.subarray(headEnd + 2).toString('utf8');
        const json = parseJsonEvent(body);
        if (typeof json === 'string') problems.push({ reason: json, sample: sample(frame) });
        else frames.push({ bytes: Buffer.from(frame), headers, json, body });
        continue;
      }
      const bodyProblem = checkBody(type, frame.subarray(headEnd + 2));
      if (bodyProblem) problems.push({ reason: bodyProblem, sample: sample(frame) });
      else frames.push({ bytes: Buffer.from(frame), headers });
    }
    return { frames, problems };
  }
}

function parseHeaderBlock(text: string): Map<string, string> | string {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(': ');
    if (i <= 0) return `malformed header line ${JSON.stringify(line.slice(0, 60))}`;
    const value = line.slice(i + 2);
    try {
      // modesl decodes every header value; a bad escape would throw inside it.
      decodeURIComponent(value);
    } catch {
      return `undecodable header value in ${JSON.stringify(line.slice(0, i))}`;
    }
    out.set(line.slice(0, i), value);
  }
  return out;
}

function parseJsonEvent(body: string): Record<string, unknown> | string {
  try {
    const v: unknown = JSON.parse(body);
    if (!v || typeof v !== 'object' || Array.isArray(v)) return 'JSON event body is not an object';
    return v as Record<string, unknown>;
  } catch {
    return 'JSON event body does not parse';
  }
}

function checkBody(contentType: string | undefined, body: Buffer): string | null {
  if (contentType === 'text/event-plain') {
    const text = body.toString('utf8');
    const end = text.indexOf('\n\n');
    const inner = parseHeaderBlock(end >= 0 ? text.slice(0, end) : text.replace(/\n$/, ''));
    if (typeof inner === 'string') return `plain event: ${inner}`;
  }
  return null;
}

function sample(b: Buffer): string {
  return b.subarray(0, 120).toString('latin1');
}
