// Intake of a carrier INVITE (pure): which number the citizen dialled and who is calling, normalised by the number
// plan. The dialled number may be in the Request-URI, in To, or - for a call the carrier forwarded from a retired
// number - in Diversion (RFC 5806: each redirection adds an entry on top, so the last one holds the number first
// called) or History-Info (RFC 7044: the entry with the lowest index is the original target). The first candidate
// that the number plan knows wins; the caller is P-Asserted-Identity (RFC 3325) or else From.
import { normalizeCaller, uriUser } from '../number-plan/normalize.ts';
import { resolveDialled, type NumberPlan, type Resolution } from '../number-plan/resolve.ts';

export type DialledSource = 'diversion' | 'history-info' | 'request-uri' | 'to';

export interface InviteView {
  uri: string;
  get(name: string): string | undefined;
}

export interface IntakeResult {
  ok: true;
  dialled: { raw: string; source: DialledSource; resolution: Resolution };
  caller: { raw: string; source: 'p-asserted-identity' | 'from'; number: string; name: string };
  candidates: Array<{ source: DialledSource; raw: string }>;
}

export interface IntakeError {
  ok: false;
  status: 400 | 404 | 416;
  reason: string;
  why: string;
}

/** Splits a header value on commas outside quotes and angle brackets. */
export function splitHeaderList(value: string | undefined): string[] {
  if (!value) return [];
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && ch === '<') depth++;
    else if (!quoted && ch === '>') depth = Math.max(0, depth - 1);
    if (ch === ',' && !quoted && depth === 0) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** The URI of a name-addr or addr-spec, and its header parameters (after the '>'). */
export function nameAddr(value: string): { display: string; uri: string; params: Record<string, string> } {
  const v = value.trim();
  const lt = v.indexOf('<');
  const gt = v.indexOf('>', lt);
  const params: Record<string, string> = {};
  let uri: string;
  let tail: string;
  let display = '';
  if (lt >= 0 && gt > lt) {
    display = v
      .slice(0, lt)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    uri = v.slice(lt + 1, gt);
    tail = v.slice(gt + 1);
  } else {
    const semi = v.indexOf(';');
    uri = semi < 0 ? v : v.slice(0, semi);
    tail = semi < 0 ? '' : v.slice(semi);
  }
  for (const p of tail.split(';')) {
    const eq = p.indexOf('=');
    if (p.trim())
      params[(eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase()] = eq < 0 ? '' : p.slice(eq + 1).trim();
  }
  return { display, uri: uri.trim(), params };
}

const isUri = (u: string) => /^(sips?|tel):/i.test(u);

function historyInfoOriginal(value: string | undefined): string | undefined {
  const entries = splitHeaderList(value)
    .map((e) => nameAddr(e))
    .filter((e) => isUri(e.uri))
    .map((e) => ({ uri: e.uri, index: (e.params.index ?? '9').split('.').map(Number) }));
  entries.sort((a, b) => {
    for (let i = 0; i < Math.max(a.index.length, b.index.length); i++) {
      const d = (a.index[i] ?? -1) - (b.index[i] ?? -1);
      if (d) return d;
    }
    return 0;
  });
  return entries[0]?.uri;
}

export function classifyInvite(
  plan: NumberPlan,
  req: InviteView,
  opts: { unknown: 'reject' | 'default-line' } = { unknown: 'reject' },
): IntakeResult | IntakeError {
  if (!isUri(req.uri))
    return { ok: false, status: 416, reason: 'Unsupported URI Scheme', why: 'request-uri scheme' };
  const from = req.get('from');
  if (!from || !isUri(nameAddr(from).uri)) return { ok: false, status: 400, reason: 'Bad From', why: 'From' };
  const to = req.get('to');
  if (!to || !isUri(nameAddr(to).uri)) return { ok: false, status: 400, reason: 'Bad To', why: 'To' };

  const candidates: Array<{ source: DialledSource; raw: string }> = [];
  const diversion = splitHeaderList(req.get('diversion'))
    .map((d) => nameAddr(d).uri)
    .filter(isUri);
  // Most recent first: the original called number is the last entry, then the ones before it.
  for (const d of diversion.reverse()) candidates.push({ source: 'diversion', raw: d });
  const hi = historyInfoOriginal(req.get('history-info'));
  if (hi) candidates.push({ source: 'history-info', raw: hi });
  candidates.push({ source: 'request-uri', raw: req.uri });
  candidates.push({ source: 'to', raw: nameAddr(to).uri });
  const usable = candidates.filter((c) => uriUser(c.raw).trim() !== '');
  if (!usable.length) return { ok: false, status: 404, reason: 'Not Found', why: 'no dialled number' };

  let chosen: { source: DialledSource; raw: string; resolution: Resolution } | undefined;
  for (const c of usable) {
    const r = resolveDialled(plan, c.raw);
    if (r.known) {
      chosen = { ...c, resolution: r };
      break;
    }
  }
  if (!chosen) {
    const first = usable.find((c) => c.source === 'request-uri') ?? usable[0]!;
    if (opts.unknown === 'reject')
      return { ok: false, status: 404, reason: 'Not Found', why: 'unknown number' };
    chosen = { ...first, resolution: resolveDialled(plan, first.raw) };
  }

  const pai = splitHeaderList(req.get('p-asserted-identity'))
    .map((v) => nameAddr(v))
    .find((v) => isUri(v.uri));
  const fromNa = nameAddr(from);
  const src = pai ?? fromNa;
  return {
    ok: true,
    dialled: { raw: uriUser(chosen.raw), source: chosen.source, resolution: chosen.resolution },
    caller: {
      raw: src.uri,
      source: pai ? 'p-asserted-identity' : 'from',
      number: normalizeCaller(src.uri),
      name: src.display,
    },
    candidates: usable,
  };
}
