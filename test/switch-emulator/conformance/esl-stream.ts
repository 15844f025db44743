// Parsing of recorded and live FS->client byte streams into ESL messages, and of the annotated transcripts.
import { readFileSync } from 'node:fs';

export interface EslMessage {
  /** Envelope headers in wire order. */
  envelope: Array<[string, string]>;
  body: string;
  /** For text/event-*: the event's headers in order (values as on the wire: URL-encoded for plain/xml). */
  event?: Array<[string, string]>;
  /** Body carried inside the event (BACKGROUND_JOB result). */
  eventBody?: string;
}

export function envelopeValue(m: EslMessage, name: string): string | undefined {
  return m.envelope.find(([k]) => k === name)?.[1];
}

export function eventValue(m: EslMessage, name: string): string | undefined {
  return m.event?.find(([k]) => k === name)?.[1];
}

function splitLines(head: string): Array<[string, string]> {
  return head
    .split('\n')
    .filter((l) => l.length)
    .map((l) => {
      const i = l.indexOf(': ');
      return i < 0 ? [l, ''] : [l.slice(0, i), l.slice(i + 2)];
    });
}

function parseEventBody(type: string, body: string): { event: Array<[string, string]>; eventBody?: string } {
  if (type === 'text/event-json') {
    const obj = JSON.parse(body) as Record<string, string>;
    const event = Object.entries(obj).filter(([k]) => k !== '_body') as Array<[string, string]>;
    return { event, eventBody: obj._body };
  }
  if (type === 'text/event-xml') {
    const event: Array<[string, string]> = [];
    const re = /^\s*<([^>\s/]+)>([^<]*)<\/\1>$/gm;
    const headers = /<headers>([\s\S]*)<\/headers>/.exec(body)?.[1] ?? '';
    let m: RegExpExecArray | null;
    while ((m = re.exec(headers))) event.push([m[1] as string, m[2] as string]);
    const eventBody = /<body>([\s\S]*)<\/body>/.exec(body)?.[1];
    return { event, eventBody };
  }
  const end = body.indexOf('\n\n');
  const event = splitLines(end < 0 ? body : body.slice(0, end));
  const clen = event.find(([k]) => k === 'Content-Length');
  let eventBody: string | undefined;
  if (clen && end >= 0) {
    eventBody = Buffer.from(body, 'latin1')
      .subarray(Buffer.byteLength(body.slice(0, end + 2), 'latin1'))
      .subarray(0, Number(clen[1]))
      .toString('latin1');
  }
  return { event, eventBody };
}

/** Split a byte stream (latin1 string) into complete ESL messages; `rest` is an incomplete tail. */
export function parseStream(data: string): { messages: EslMessage[]; rest: string } {
  const messages: EslMessage[] = [];
  const buf = Buffer.from(data, 'latin1');
  let i = 0;
  while (i < buf.length) {
    const end = buf.indexOf('\n\n', i);
    if (end < 0) break;
    const envelope = splitLines(buf.subarray(i, end).toString('latin1'));
    let j = end + 2;
    const clen = Number(envelope.find(([k]) => k === 'Content-Length')?.[1] ?? 0);
    if (j + clen > buf.length) break;
    const body = buf.subarray(j, j + clen).toString('latin1');
    j += clen;
    const msg: EslMessage = { envelope, body };
    const type = envelope.find(([k]) => k === 'Content-Type')?.[1] ?? '';
    if (type.startsWith('text/event-')) {
      const utf8 = Buffer.from(body, 'latin1').toString('utf8');
      Object.assign(msg, parseEventBody(type, type === 'text/event-json' ? utf8 : body));
    }
    messages.push(msg);
    i = j;
  }
  return { messages, rest: buf.subarray(i).toString('latin1') };
}

export interface TranscriptBlock {
  dir: 'FS->CLIENT' | 'CLIENT->FS';
  t: number;
  bytes: string;
}

/** Blocks of an annotated transcript (`##### FS->CLIENT t=..s bytes=N #####` ... `##### END ... #####`). */
export function readTranscript(path: string): TranscriptBlock[] {
  const text = readFileSync(path, 'latin1');
  const blocks: TranscriptBlock[] = [];
  const re = /^##### (FS->CLIENT|CLIENT->FS) t=([\d.]+)s bytes=(\d+) #####\n/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const start = m.index + m[0].length;
    const n = Number(m[3]);
    blocks.push({
      dir: m[1] as TranscriptBlock['dir'],
      t: Number(m[2]),
      bytes: text.slice(start, start + n),
    });
  }
  return blocks;
}

/** For each client block: how many complete FS messages had arrived before it was sent. */
export function syncPoints(blocks: TranscriptBlock[]): Array<{ send: string; after: number; t: number }> {
  let fs = '';
  const out: Array<{ send: string; after: number; t: number }> = [];
  for (const b of blocks) {
    if (b.dir === 'FS->CLIENT') fs += b.bytes;
    else out.push({ send: b.bytes, after: parseStream(fs).messages.length, t: b.t });
  }
  return out;
}
