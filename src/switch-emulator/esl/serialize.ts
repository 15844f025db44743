// Event serialisation as mod_event_socket writes it: switch_event_serialize (plain, URL-encoded values),
// switch_event_serialize_json (cJSON, raw values, Content-Length/_body for bodies) and switch_event_xmlize.
import type { SwitchEvent } from '../call-model/event.ts';
import { fsUrlEncode } from './url.ts';

export type EventFormat = 'plain' | 'json' | 'xml';

export function serializePlain(ev: SwitchEvent): string {
  let s = '';
  for (const [k, v] of ev.headers) s += `${k}: ${v === '' ? '_undef_' : fsUrlEncode(v)}\n`;
  if (ev.body !== undefined && ev.body !== '')
    s += `Content-Length: ${Buffer.byteLength(ev.body)}\n\n${ev.body}`;
  else s += '\n';
  return s;
}

/** cJSON_PrintUnformatted escaping: quotes, backslash and control characters; '/' and non-ASCII pass as is. */
function cjsonString(v: string): string {
  let out = '"';
  for (const ch of v) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

export function serializeJson(ev: SwitchEvent): string {
  // A JSON object keeps one value per name; FS's duplicate headers (Hangup-Cause twice) collapse into one.
  const seen = new Map<string, string>();
  for (const [k, v] of ev.headers) if (!seen.has(k)) seen.set(k, v);
  const parts = [...seen].map(([k, v]) => `${cjsonString(k)}:${cjsonString(v)}`);
  if (ev.body !== undefined) {
    parts.push(`"Content-Length":${cjsonString(String(Buffer.byteLength(ev.body)))}`);
    parts.push(`"_body":${cjsonString(ev.body)}`);
  }
  return `{${parts.join(',')}}`;
}

const xmlText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function serializeXml(ev: SwitchEvent): string {
  let s = '<event>\n  <headers>\n';
  for (const [k, v] of ev.headers) s += `    <${k}>${xmlText(fsUrlEncode(v))}</${k}>\n`;
  s += '  </headers>\n';
  if (ev.body) {
    s += `  <Content-Length>${Buffer.byteLength(ev.body)}</Content-Length>\n  <body>${xmlText(ev.body)}</body>\n`;
  }
  s += '</event>\n';
  return s;
}

/** The frame an event listener receives: Content-Length first, then Content-Type (listener_run). */
export function eventFrame(ev: SwitchEvent, format: EventFormat): string {
  const body =
    format === 'json' ? serializeJson(ev) : format === 'xml' ? serializeXml(ev) : serializePlain(ev);
  return `Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-${format}\n\n${body}`;
}

export function commandReply(text: string, extra: Array<[string, string]> = []): string {
  let s = `Content-Type: command/reply\nReply-Text: ${text}\n`;
  for (const [k, v] of extra) s += `${k}: ${v}\n`;
  return `${s}\n`;
}

export function apiResponse(body: string): string {
  return `Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`;
}

export const GOODBYE = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';

/** send_disconnect: outbound listeners name the controlled session. */
export function disconnectNotice(message: string, sessionUuid?: string): string {
  const len = Buffer.byteLength(message);
  if (sessionUuid) {
    return `Content-Type: text/disconnect-notice\nControlled-Session-UUID: ${sessionUuid}\nContent-Disposition: disconnect\nContent-Length: ${len}\n\n${message}`;
  }
  return `Content-Type: text/disconnect-notice\nContent-Length: ${len}\n\n${message}`;
}

export function lingerNotice(sessionUuid: string, channelName: string, lingerTime: number): string {
  return (
    `Content-Type: text/disconnect-notice\nControlled-Session-UUID: ${sessionUuid}\nContent-Disposition: linger\n` +
    `Channel-Name: ${channelName}\nLinger-Time: ${lingerTime}\nContent-Length: 0\n\n`
  );
}
