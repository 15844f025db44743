// Comparison of a recorded FreeSWITCH stream with the emulator's: framing, header sets and order, event
// order, value encoding, and the values that carry meaning. Ids, times, sequence numbers and host values
// (hostnames, addresses, ports, SDP/SSRC) are allowed to differ.
import { envelopeValue, eventValue, type EslMessage } from './esl-stream.ts';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const normIds = (s: string): string => s.replace(UUID, '<uuid>');
/** Ports and IPs inside (possibly URL-encoded) values. */
const normHosts = (s: string): string =>
  normIds(s)
    .replace(/(\d{1,3}\.){3}\d{1,3}/g, '<ip>')
    .replace(/(%3A|:)\d{2,5}/g, '$1<port>');

// Headers whose values must match (after id/host normalisation).
const STABLE = new Set([
  'Event-Name',
  'Event-Subclass',
  'Event-Calling-File',
  'Event-Calling-Function',
  'Event-Calling-Line-Number',
  'Channel-State',
  'Channel-Call-State',
  'Channel-State-Number',
  'Call-Direction',
  'Presence-Call-Direction',
  'Channel-HIT-Dialplan',
  'Answer-State',
  'Hangup-Cause',
  'Channel-Read-Codec-Name',
  'Channel-Read-Codec-Rate',
  'Channel-Write-Codec-Name',
  'Caller-Direction',
  'Caller-Logical-Direction',
  'Caller-Dialplan',
  'Caller-Source',
  'Caller-Context',
  'Caller-Destination-Number',
  'Caller-Callee-ID-Name',
  'Caller-Callee-ID-Number',
  'Other-Type',
  'Other-Leg-Direction',
  'Other-Leg-Logical-Direction',
  'Other-Leg-Callee-ID-Name',
  'Other-Leg-Destination-Number',
  'Application',
  'Application-Data',
  'Application-Response',
  'DTMF-Digit',
  'DTMF-Duration',
  'DTMF-Source',
  'Job-Command',
  'Job-Command-Arg',
  'Content-Type',
  'Reply-Text',
  'Socket-Mode',
  'Control',
  'variable_direction',
  'variable_read_result',
  'variable_ivr_digit',
  'variable_originate_disposition',
  'variable_DIALSTATUS',
  'variable_hangup_cause',
  'variable_hangup_cause_q850',
  'variable_last_bridge_hangup_cause',
  'variable_bridge_hangup_cause',
  'variable_endpoint_disposition',
  'variable_current_application',
  'variable_sip_hangup_disposition',
  'variable_sip_term_status',
  'variable_sip_invite_failure_status',
  'variable_last_app',
  'variable_export_vars',
  'variable_outside_call',
  'variable_originate_early_media',
  'variable_is_outbound',
  'variable_dtmf_type',
  'variable_read_codec',
  'variable_DP_MATCH',
]);

const UNSAFE_RAW = /[\s:;=<>#&+?@"{}|\\^`[\]]/;
const ESCAPED = /%[0-9A-F]{2}/;

export interface CompareOptions {
  /** Event names whose position relative to other events may vary between runs (compared among themselves). */
  floating?: string[];
  /** Values that legitimately depend on timing in this scenario. */
  skipValues?: string[];
}

function kind(m: EslMessage): string {
  const type = envelopeValue(m, 'Content-Type') ?? '?';
  if (type.startsWith('text/event-')) return `${type} ${eventValue(m, 'Event-Name') ?? ''}`;
  if (type === 'command/reply') {
    if (envelopeValue(m, 'Event-Name') === 'CHANNEL_DATA') return 'command/reply CHANNEL_DATA';
    return `${type} ${normIds(envelopeValue(m, 'Reply-Text') ?? '')}`;
  }
  if (type === 'api/response') return `${type} ${apiShape(m.body)}`;
  if (type === 'text/disconnect-notice') return `${type} ${envelopeValue(m, 'Content-Disposition') ?? ''}`;
  return type;
}

/** api/response bodies whose content depends on the moment (status, show) are compared by shape. */
function apiShape(body: string): string {
  if (body.startsWith('UP ')) return body.replace(/\d+(\.\d+)?/g, 'N');
  if (body.startsWith('{"row_count"')) {
    try {
      const j = JSON.parse(body) as { row_count: number; rows?: Array<Record<string, string>> };
      return `json rows=${j.row_count} keys=${Object.keys(j.rows?.[0] ?? {}).join(',')}`;
    } catch {
      return body;
    }
  }
  return normIds(body);
}

function compareHeaders(
  where: string,
  rec: Array<[string, string]>,
  emu: Array<[string, string]>,
  format: 'plain' | 'json' | 'xml',
  opts: CompareOptions,
): string[] {
  const problems: string[] = [];
  const recNames = new Set(rec.map(([k]) => k));
  const emuNames = new Set(emu.map(([k]) => k));
  const missing = [...recNames].filter((n) => !emuNames.has(n));
  const extra = [...emuNames].filter((n) => !recNames.has(n));
  if (missing.length) problems.push(`${where}: missing headers ${missing.join(', ')}`);
  if (extra.length) problems.push(`${where}: extra headers ${extra.join(', ')}`);
  const fixedOrder = (h: Array<[string, string]>): string[] =>
    h.map(([k]) => k).filter((k) => !k.startsWith('variable_') && recNames.has(k) && emuNames.has(k));
  const ro = fixedOrder(rec).join('|');
  const eo = fixedOrder(emu).join('|');
  if (ro !== eo) problems.push(`${where}: header order differs\n  fs:  ${ro}\n  emu: ${eo}`);
  const emuMap = new Map(emu);
  for (const [k, rv] of rec) {
    const ev = emuMap.get(k);
    if (ev === undefined) continue;
    if (STABLE.has(k) && !opts.skipValues?.includes(k) && normHosts(rv) !== normHosts(ev)) {
      problems.push(`${where}: ${k} = ${JSON.stringify(ev)}, FS sent ${JSON.stringify(rv)}`);
    }
    if (format === 'json') {
      if (ESCAPED.test(ev) && !ESCAPED.test(rv)) problems.push(`${where}: ${k} URL-encoded in JSON: ${ev}`);
    } else if (UNSAFE_RAW.test(ev)) {
      problems.push(`${where}: ${k} not URL-encoded: ${JSON.stringify(ev)}`);
    }
  }
  return problems;
}

function compareMessage(i: number, rec: EslMessage, emu: EslMessage, opts: CompareOptions): string[] {
  const where = `#${i} ${kind(rec)}`;
  const problems: string[] = [];
  const recEnv = rec.envelope.map(([k]) => k);
  const emuEnv = emu.envelope.map(([k]) => k);
  const type = envelopeValue(rec, 'Content-Type') ?? '';
  if (envelopeValue(rec, 'Event-Name') === 'CHANNEL_DATA') {
    // The connect reply: a whole channel event in the envelope, plain-encoded.
    return compareHeaders(where, rec.envelope, emu.envelope, 'plain', opts);
  }
  if (recEnv.join('|') !== emuEnv.join('|'))
    problems.push(`${where}: envelope ${emuEnv.join('|')} vs FS ${recEnv.join('|')}`);
  for (const [k, v] of rec.envelope) {
    if (k === 'Content-Length' && type.startsWith('text/event-')) continue;
    if (k === 'Channel-Name') continue;
    const ev = envelopeValue(emu, k) ?? '';
    const shaped = rec.body.startsWith('UP ') || rec.body.startsWith('{');
    const same = k === 'Content-Length' ? shaped || v === ev : normIds(v) === normIds(ev);
    if (!same) problems.push(`${where}: envelope ${k}: ${JSON.stringify(ev)} vs FS ${JSON.stringify(v)}`);
  }
  if (type === 'api/response' || type === 'text/disconnect-notice') {
    if (apiShape(rec.body) !== apiShape(emu.body))
      problems.push(`${where}: body ${JSON.stringify(emu.body)} vs FS ${JSON.stringify(rec.body)}`);
  }
  if (type.startsWith('text/event-') && rec.event && emu.event) {
    const format = type.slice('text/event-'.length) as 'plain' | 'json' | 'xml';
    problems.push(...compareHeaders(where, rec.event, emu.event, format, opts));
    if ((rec.eventBody === undefined) !== (emu.eventBody === undefined))
      problems.push(`${where}: event body presence differs`);
    else if (rec.eventBody !== undefined && normIds(rec.eventBody) !== normIds(emu.eventBody ?? '')) {
      problems.push(
        `${where}: event body ${JSON.stringify(emu.eventBody)} vs FS ${JSON.stringify(rec.eventBody)}`,
      );
    }
    if (format === 'plain' && !rec.body.endsWith('\n\n') === emu.body.endsWith('\n\n') && !rec.eventBody) {
      problems.push(`${where}: plain body termination differs`);
    }
    if (format === 'json' && !(emu.body.endsWith('}') && rec.body.endsWith('}')))
      problems.push(`${where}: json body must end at }`);
  }
  return problems;
}

/** Compare two streams; returns human-readable problems (empty = conformant). */
export function compareStreams(rec: EslMessage[], emu: EslMessage[], opts: CompareOptions = {}): string[] {
  const floating = new Set(opts.floating ?? []);
  const isFloating = (m: EslMessage): boolean => floating.has(eventValue(m, 'Event-Name') ?? '');
  const problems: string[] = [];
  for (const pick of [(m: EslMessage) => !isFloating(m), isFloating]) {
    const r = rec.filter(pick);
    const e = emu.filter(pick);
    const rk = r.map(kind);
    const ek = e.map(kind);
    if (rk.join('\n') !== ek.join('\n')) {
      problems.push(
        `message sequence differs:\n  FS:  ${rk.join('\n       ')}\n  EMU: ${ek.join('\n       ')}`,
      );
      continue;
    }
    r.forEach((m, i) => problems.push(...compareMessage(i, m, e[i] as EslMessage, opts)));
  }
  return problems;
}

/** Learn recorded->emulated id pairs from two aligned messages (to rewrite ids in replayed client bytes). */
export function learnIds(rec: EslMessage, emu: EslMessage, map: Map<string, string>): void {
  const keys = [
    'Unique-ID',
    'Other-Leg-Unique-ID',
    'Bridge-A-Unique-ID',
    'Bridge-B-Unique-ID',
    'Controlled-Session-UUID',
  ];
  const get = (m: EslMessage, k: string): string | undefined => envelopeValue(m, k) ?? eventValue(m, k);
  for (const k of keys) {
    const a = get(rec, k);
    const b = get(emu, k);
    if (a && b && !map.has(a)) map.set(a, b);
  }
  const ra = rec.body.match(UUID)?.[0];
  const rb = emu.body.match(UUID)?.[0];
  if (ra && rb && !map.has(ra) && envelopeValue(rec, 'Content-Type') === 'api/response') map.set(ra, rb);
}

export function rewriteIds(text: string, map: Map<string, string>): string {
  return text.replace(UUID, (id) => map.get(id) ?? id);
}
