// A FreeSWITCH XML dialplan interpreter (mod_dialplan_xml's hunt): contexts, extensions with continue=,
// conditions with field/expression and break=, actions/anti-actions, $N captures, inline set, DP_MATCH.
import type { Dialplan, DialplanAction, DialplanCall } from '../call-model/types.ts';
import { parseXml, walk, type XmlElement } from './xml.ts';

interface Condition {
  field?: string;
  expression?: string;
  breakOn: 'on-false' | 'on-true' | 'always' | 'never';
  actions: Array<{ app: string; data: string; inline: boolean }>;
  antiActions: Array<{ app: string; data: string; inline: boolean }>;
}

interface Extension {
  name: string;
  continue: boolean;
  conditions: Condition[];
}

/** $${name} from the pre-processor variables, at load time like the X-PRE-PROCESS expansion. */
function preprocess(text: string, preVars: Record<string, string>): string {
  return text.replace(/\$\$\{([^}]+)\}/g, (_m, k: string) => preVars[k] ?? '');
}

function readCondition(el: XmlElement): Condition {
  const breakAttr = (el.attrs.break ?? 'on-false').toLowerCase();
  const acts = (tag: string): Condition['actions'] =>
    el.children
      .filter((c) => c.name === tag)
      .map((c) => ({
        app: c.attrs.application ?? '',
        data: c.attrs.data ?? '',
        inline: c.attrs.inline === 'true',
      }));
  return {
    field: el.attrs.field,
    expression: el.attrs.expression,
    breakOn: (['on-false', 'on-true', 'always', 'never'].includes(breakAttr)
      ? breakAttr
      : 'on-false') as Condition['breakOn'],
    actions: acts('action'),
    antiActions: acts('anti-action'),
  };
}

const PROFILE_FIELDS: Record<string, (c: DialplanCall) => string> = {
  destination_number: (c) => c.destination,
  caller_id_number: (c) => c.callerIdNumber,
  caller_id_name: (c) => c.callerIdName,
  ani: (c) => c.callerIdNumber,
  context: (c) => c.context,
  username: (c) => c.variables.sip_from_user ?? c.callerIdNumber,
  network_addr: (c) => c.variables.sip_network_ip ?? '',
  uuid: (c) => c.variables.uuid ?? '',
  chan_name: (c) => c.variables.channel_name ?? '',
  dialplan: () => 'XML',
  source: () => 'mod_sofia',
};

function fieldValue(call: DialplanCall, field: string): string {
  if (field.includes('${'))
    return field.replace(/\$\{([^}]+)\}/g, (_m, k: string) => call.variables[k] ?? '');
  const p = PROFILE_FIELDS[field];
  if (p) return p(call);
  return call.variables[field] ?? '';
}

function compile(expr: string): RegExp | undefined {
  try {
    return new RegExp(expr);
  } catch {
    return undefined;
  }
}

const substitute = (data: string, captures: string[]): string =>
  data.replace(/\$(\d)/g, (m, d: string) =>
    captures[Number(d)] !== undefined ? (captures[Number(d)] as string) : m,
  );

/** Build a Dialplan from XML documents (later documents add to contexts of earlier ones). */
export function loadXmlDialplan(xmlTexts: string[], preVars: Record<string, string>): Dialplan {
  const contexts = new Map<string, Extension[]>();
  for (const text of xmlTexts) {
    const doc = parseXml(preprocess(text, preVars));
    for (const ctx of walk(doc)) {
      if (ctx.name !== 'context') continue;
      const name = ctx.attrs.name ?? 'default';
      const list = contexts.get(name) ?? [];
      for (const ext of ctx.children.filter((c) => c.name === 'extension')) {
        list.push({
          name: ext.attrs.name ?? '',
          continue: ext.attrs.continue === 'true',
          conditions: ext.children.filter((c) => c.name === 'condition').map(readCondition),
        });
      }
      contexts.set(name, list);
    }
  }
  return (call) => hunt(contexts.get(call.context) ?? [], call);
}

function hunt(extensions: Extension[], call: DialplanCall): DialplanAction[] {
  const out: DialplanAction[] = [];
  const emit = (a: { app: string; data: string; inline: boolean }, captures: string[]): void => {
    const data = substitute(a.data, captures);
    if (a.inline && a.app === 'set') {
      const eq = data.indexOf('=');
      if (eq > 0)
        call.variables[data.slice(0, eq)] = data
          .slice(eq + 1)
          .replace(/\$\{([^}]+)\}/g, (_m, k: string) => call.variables[k] ?? '');
      return;
    }
    out.push({ app: a.app, data });
  };
  for (const ext of extensions) {
    let matched = true;
    for (const cond of ext.conditions) {
      let ok = true;
      let captures: string[] = [];
      if (cond.field !== undefined && cond.expression !== undefined) {
        const re = compile(cond.expression);
        const m = re ? re.exec(fieldValue(call, cond.field)) : null;
        ok = !!m;
        if (m) {
          captures = [...m].map((x) => x ?? '');
          if (captures.length > 1) {
            call.variables.DP_MATCH = `ARRAY::${captures.join('|:')}`;
          }
        }
      }
      if (ok) {
        for (const a of cond.actions) emit(a, captures);
        if (cond.breakOn === 'on-true' || cond.breakOn === 'always') break;
      } else {
        for (const a of cond.antiActions) emit(a, captures);
        if (cond.breakOn === 'on-false' || cond.breakOn === 'always') {
          matched = false;
          break;
        }
      }
    }
    if (matched && !ext.continue) break;
  }
  return out;
}

/** <X-PRE-PROCESS cmd="set" data="k=v"/> lines of a vars.xml. */
export function readVarsXml(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /<X-PRE-PROCESS\s+cmd\s*=\s*"set"\s+data\s*=\s*"([^"]*)"\s*\/?>/gi;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const kv = m[1] ?? '';
    const eq = kv.indexOf('=');
    if (eq > 0) out[kv.slice(0, eq).trim()] = kv.slice(eq + 1);
  }
  return out;
}
