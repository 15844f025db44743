// Static checks of freeswitch-conf/, dialplans/ and the compose set: well-formed XML, every preprocessor variable
// defined, profiles' contexts present, every dialled number routed to the router's socket, compose wiring.
import { execFileSync } from 'node:child_process';
import {
  mkdtempSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { descendants, parseXmlStrict, XmlError, type XmlNode } from './xml.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CONF = path.join(ROOT, 'freeswitch-conf');
const DIALPLANS = path.join(ROOT, 'dialplans');

function listFiles(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...listFiles(p, ext));
    else if (p.endsWith(ext)) out.push(p);
  }
  return out.sort();
}

const read = (p: string): string => readFileSync(p, 'utf8');
const rel = (p: string): string => path.relative(ROOT, p);
const xmlFiles = [...listFiles(CONF, '.xml'), ...listFiles(DIALPLANS, '.xml')];
const doc = (p: string): XmlNode => parseXmlStrict(read(p)).root;

/** FreeSWITCH's own preprocessor variables (core, or the stock vars.xml) that the hotline files may use. */
const FREESWITCH_VARS = new Set(['local_ip_v4', 'conf_dir', 'domain']);

/** `set` defaults of hotline_vars.xml, as FreeSWITCH's preprocessor reads them (the first '=' splits). */
function hotlineVars(): Map<string, string> {
  const vars = new Map<string, string>();
  const re = /<X-PRE-PROCESS\s+cmd="set"\s+data="([^"=]+)=([^"]*)"\s*\/>/g;
  for (const m of read(path.join(CONF, 'hotline_vars.xml')).matchAll(re))
    vars.set(m[1] as string, m[2] as string);
  return vars;
}

/** $${name} references of a text. */
const preVarRefs = (text: string): string[] =>
  [...text.matchAll(/\$\$\{([^}]*)\}/g)].map((m) => m[1] as string);

/** The text FreeSWITCH would load: $${name} replaced by the defaults (load-time expansion). */
function expand(text: string): string {
  const vars = hotlineVars();
  const value = (k: string): string => {
    const v = vars.get(k) ?? (k === 'local_ip_v4' ? '192.0.2.2' : k === 'conf_dir' ? '/etc/freeswitch' : k);
    return v.replace(/\$\$\{([^}]*)\}/g, (_m, n: string) => value(n));
  };
  return text.replace(/\$\$\{([^}]*)\}/g, (_m, k: string) => value(k));
}

/** A multiset is several sets in one application (mod_dptools: "^^<delim>" or spaces between them). */
function expandMultiset(a: Action): Action[] {
  if (a.app !== 'multiset') return [a];
  const delim = a.data.startsWith('^^') ? a.data[2]! : ' ';
  const list = a.data.startsWith('^^') ? a.data.slice(3) : a.data;
  return list
    .split(delim)
    .filter(Boolean)
    .map((data) => ({ app: 'set', data }));
}

interface Action {
  app: string;
  data: string;
}
interface Condition {
  field: string;
  expression: string;
}
interface Extension {
  name: string;
  /** The first condition (destination_number); `conditions` holds all, ANDed as mod_dialplan_xml does. */
  field: string;
  expression: string;
  conditions: Condition[];
  actions: Action[];
  /** continue="true": the hunt goes on after it, its actions kept. */
  continues: boolean;
}

/** The contexts of the dialplan files, as written ($${...} not expanded). */
function contexts(): Map<string, Extension[]> {
  const out = new Map<string, Extension[]>();
  for (const f of listFiles(DIALPLANS, '.xml')) {
    for (const ctx of descendants(doc(f), 'context')) {
      const list = out.get(ctx.attrs.name as string) ?? [];
      for (const ext of ctx.children.filter((c) => c.name === 'extension')) {
        const conds = ext.children.filter((c) => c.name === 'condition');
        expect(conds.length, `extension ${ext.attrs.name}: conditions`).toBeGreaterThan(0);
        // Only the last condition carries actions: the others are plain tests.
        for (const c of conds.slice(0, -1))
          expect(
            c.children.filter((a) => a.name === 'action'),
            `${ext.attrs.name}`,
          ).toHaveLength(0);
        const last = conds[conds.length - 1] as XmlNode;
        const conditions = conds.map((c) => ({
          field: c.attrs.field as string,
          expression: c.attrs.expression as string,
        }));
        list.push({
          name: ext.attrs.name as string,
          continues: ext.attrs.continue === 'true',
          field: conditions[0]!.field,
          expression: conditions[0]!.expression,
          conditions,
          actions: last.children
            .filter((a) => a.name === 'action')
            .flatMap((a) =>
              // An application named by a variable (hotline_call_control) is its default, expanded at load.
              expandMultiset({ app: expand(a.attrs.application as string), data: a.attrs.data ?? '' }),
            ),
        });
      }
      out.set(ctx.attrs.name as string, list);
    }
  }
  return out;
}

/**
 * mod_dialplan_xml's hunt: the first extension whose conditions all match, the first condition on
 * destination_number or a ${variable}, the others on ${variable}s read from `vars` (channel variables at hunt time,
 * then the preprocessor's globals as FreeSWITCH falls back to them; unset is ''). An extension with
 * continue="true" that matches adds its actions and the hunt goes on.
 */
function hunt(
  context: string,
  destination: string,
  vars: Record<string, string> = {},
  globals: ReadonlyMap<string, string> = hotlineVars(),
): { ext: Extension; actions: Action[] } | undefined {
  const before: Action[] = [];
  const read = (field: string, name: string): string => {
    const v = /^\$\{([a-z_]+)\}$/.exec(field);
    expect(v, `${name}: condition field ${field}`).not.toBeNull();
    return vars[v![1]!] ?? globals.get(v![1]!) ?? '';
  };
  for (const ext of contexts().get(context) ?? []) {
    const first = ext.field === 'destination_number' ? destination : read(ext.field, ext.name);
    const m = new RegExp(ext.expression).exec(first);
    if (!m) continue;
    const rest = ext.conditions.slice(1).every((c) => new RegExp(c.expression).test(read(c.field, ext.name)));
    if (!rest) continue;
    const sub = (s: string): string => s.replace(/\$(\d)/g, (_x, d: string) => m[Number(d)] ?? '');
    const actions = ext.actions.map((a) => ({ app: a.app, data: sub(a.data) }));
    if (ext.continues) {
      before.push(...actions);
      continue;
    }
    return { ext, actions: [...before, ...actions] };
  }
  return undefined;
}

/**
 * The actions a channel runs in `context` from `destination`, following `transfer` as FreeSWITCH does when a
 * socket session ends with the channel up (each socket "returns" at once here). `set` actions update the
 * variables the next hunt sees; `extra` are variables the router set meanwhile.
 */
function runThrough(context: string, destination: string, extra: Record<string, string> = {}): Action[] {
  const vars: Record<string, string> = {};
  const out: Action[] = [];
  let dest = destination;
  let ctx = context;
  for (let hops = 0; hops < 5; hops++) {
    const r = hunt(ctx, dest, { ...vars, ...extra });
    if (!r) break;
    let next: string | null = null;
    for (const a of r.actions) {
      out.push(a);
      if (a.app === 'set') vars[a.data.slice(0, a.data.indexOf('='))] = a.data.slice(a.data.indexOf('=') + 1);
      if (a.app === 'transfer') {
        next = a.data;
        break;
      }
    }
    if (!next) break;
    const [d, , c] = next.split(' ');
    dest = d!;
    ctx = c ?? ctx;
  }
  return out;
}

const ROUTER_SOCKET = '$${hotline_router_host}:$${hotline_router_esl_port} async full';
const BACKUP_SOCKET = '$${hotline_router_backup_host}:$${hotline_router_backup_port} async full';

describe('freeswitch-conf and dialplans: XML', () => {
  it('finds the files', () => {
    expect(xmlFiles.map(rel)).toEqual(
      expect.arrayContaining([
        'freeswitch-conf/hotline_vars.xml',
        'freeswitch-conf/hotline_env.xml',
        'freeswitch-conf/autoload_configs/event_socket.conf.xml',
        'freeswitch-conf/autoload_configs/acl.conf.xml',
        'freeswitch-conf/sip_profiles/hotline_carrier.xml',
        'freeswitch-conf/sip_profiles/hotline_agents.xml',
        'freeswitch-conf/directory/hotline_agents.xml',
        'dialplans/hotline_inbound.xml',
        'dialplans/hotline_agents.xml',
      ]),
    );
  });

  it.each(xmlFiles.map(rel))('%s is well-formed and starts with a one-line purpose comment', (f) => {
    const text = read(path.join(ROOT, f));
    expect(() => parseXmlStrict(text)).not.toThrow();
    expect(text.split('\n')[0]).toMatch(/^<!-- .+ -->$/);
  });

  it('the checker rejects what it should', () => {
    for (const bad of [
      '<a><b></a></b>',
      '<a x=1/>',
      '<a x="1" x="2"/>',
      '<a>&</a>',
      '<a/><b/>',
      '<a><!-- x -- y --></a>',
      '<a>',
      'text<a/>',
      '<a x="<"/>',
    ]) {
      expect(() => parseXmlStrict(bad), bad).toThrow(XmlError);
    }
    expect(parseXmlStrict('<?xml version="1.0"?><a x="&amp;"><!-- c --><b/>t</a>').root.attrs.x).toBe('&');
  });

  it.each(xmlFiles.map(rel))(
    '%s: no preprocessor directive or $${} inside a comment (FreeSWITCH runs them)',
    (f) => {
      for (const c of parseXmlStrict(read(path.join(ROOT, f))).comments) {
        expect(c.text, `${f}:${c.line}`).not.toMatch(/X-PRE-PROCESS|\$\$\{/);
      }
    },
  );

  it.each(xmlFiles.map(rel))(
    '%s: the include tags stand alone on their lines (FreeSWITCH drops such lines whole)',
    (f) => {
      for (const line of read(path.join(ROOT, f)).split('\n')) {
        if (line.includes('<include>') || line.includes('</include>'))
          expect(line.trim()).toMatch(/^<\/?include>$/);
      }
    },
  );
});

describe('preprocessor variables', () => {
  const vars = hotlineVars();

  it('hotline_vars.xml defines the documented names, with their defaults', () => {
    for (const [k, v] of Object.entries({
      hotline_router_host: '127.0.0.1',
      hotline_router_esl_port: '8084',
      hotline_esl_password: 'ClueCon',
      hotline_esl_listen_ip: '127.0.0.1',
      hotline_carrier_sip_port: '5080',
      hotline_agents_sip_port: '5060',
      hotline_local_ip: '$${local_ip_v4}',
      hotline_call_control: 'socket',
    })) {
      expect(vars.get(k), k).toBe(v);
    }
    for (const k of [
      'hotline_router_backup_host',
      'hotline_router_backup_port',
      'hotline_external_sip_ip',
      'hotline_external_rtp_ip',
      'hotline_fallback_group',
    ]) {
      expect(vars.get(k), k).toBeTruthy();
    }
    expect(vars.get('hotline_carrier_codecs')).toMatch(/^PCMA,PCMU/);
  });

  it('hotline_vars.xml holds only set lines, each defined once', () => {
    const text = read(path.join(CONF, 'hotline_vars.xml'));
    const all = [...text.matchAll(/<X-PRE-PROCESS\s+cmd="([^"]+)"\s+data="([^"=]+)=/g)];
    expect(all.length).toBe(vars.size);
    expect(all.every((m) => m[1] === 'set')).toBe(true);
  });

  it('every $${name} used anywhere is defined in hotline_vars.xml (or by FreeSWITCH itself)', () => {
    const files = [...xmlFiles, path.join(CONF, 'install.sh')];
    const used = new Set<string>();
    for (const f of files) {
      for (const name of preVarRefs(read(f))) {
        used.add(name);
        expect(vars.has(name) || FREESWITCH_VARS.has(name), `${rel(f)} uses $\${${name}}`).toBe(true);
      }
    }
    for (const name of ['hotline_router_host', 'hotline_router_esl_port', 'hotline_esl_password']) {
      expect(used.has(name), name).toBe(true);
    }
  });

  it('hotline_env.xml maps FS_<NAME IN CAPITALS> onto every variable, and nothing else', () => {
    const text = read(path.join(CONF, 'hotline_env.xml'));
    const envSets = [
      ...text.matchAll(/<X-PRE-PROCESS\s+cmd="([^"]+)"\s+data="([^"=]+)=\$([A-Z0-9_]+)"\s*\/>/g),
    ];
    expect(envSets.every((m) => m[1] === 'env-set')).toBe(true);
    expect(envSets.map((m) => m[2]).sort()).toEqual([...vars.keys()].sort());
    for (const m of envSets) expect(m[3]).toBe(`FS_${(m[2] as string).toUpperCase()}`);
  });
});

describe('profiles, event socket, directory', () => {
  const ctxs = contexts();
  const params = (f: string): Record<string, string> =>
    Object.fromEntries(
      descendants(doc(path.join(CONF, f)), 'param').map((p) => [
        p.attrs.name as string,
        p.attrs.value as string,
      ]),
    );

  it("each SIP profile's context exists in dialplans/", () => {
    const profiles = listFiles(path.join(CONF, 'sip_profiles'), '.xml').filter(
      (f) => doc(f).name === 'profile',
    );
    expect(profiles.map((f) => path.basename(f))).toEqual(['hotline_agents.xml', 'hotline_carrier.xml']);
    for (const f of profiles) {
      const context = params(path.relative(CONF, f)).context as string;
      expect(ctxs.has(context), `${rel(f)}: context ${context}`).toBe(true);
    }
  });

  it('the carrier profile: context hotline_inbound, its port, no registration, ACL, G.711 A-law first', () => {
    const p = params('sip_profiles/hotline_carrier.xml');
    expect(p).toMatchObject({
      context: 'hotline_inbound',
      dialplan: 'XML',
      'sip-port': '$${hotline_carrier_sip_port}',
      'auth-calls': 'false',
      'apply-inbound-acl': 'hotline_carriers',
      'disable-register': 'true',
      'inbound-codec-prefs': '$${hotline_carrier_codecs}',
    });
  });

  it('the agents profile: context hotline_agents, digest auth against the agents directory domain', () => {
    const p = params('sip_profiles/hotline_agents.xml');
    expect(p).toMatchObject({
      context: 'hotline_agents',
      'sip-port': '$${hotline_agents_sip_port}',
      'auth-calls': 'true',
      'accept-blind-reg': 'false',
      'force-register-domain': '$${hotline_agents_domain}',
    });
    const dir = doc(path.join(CONF, 'directory/hotline_agents.xml'));
    const domain = descendants(dir, 'domain')[0] as XmlNode;
    expect(domain.attrs.name).toBe('$${hotline_agents_domain}');
    const userContext = descendants(domain, 'variable').find((v) => v.attrs.name === 'user_context');
    expect(ctxs.has(userContext?.attrs.value as string)).toBe(true);
    const users = descendants(domain, 'user').filter((u) => u.attrs.type !== 'pointer');
    expect(users.map((u) => u.attrs.id)).toEqual(Array.from({ length: 10 }, (_, k) => String(1001 + k)));
    for (const u of users) {
      const pw = descendants(u, 'param').find((x) => x.attrs.name === 'password');
      expect(pw?.attrs.value).toBe('$${hotline_agent_password}');
    }
    const fallback = descendants(domain, 'group').find((g) => g.attrs.name === '$${hotline_fallback_group}');
    expect(descendants(fallback as XmlNode, 'user').length).toBeGreaterThan(0);
  });

  it('the event socket: port 8021 by default, password and listen address from the variables, ACL', () => {
    const p = params('autoload_configs/event_socket.conf.xml');
    expect(p).toMatchObject({
      'listen-ip': '$${hotline_esl_listen_ip}',
      'listen-port': '$${hotline_esl_listen_port}',
      password: '$${hotline_esl_password}',
      'apply-inbound-acl': 'hotline_esl',
    });
    expect(hotlineVars().get('hotline_esl_listen_port')).toBe('8021');
  });

  it('every ACL the profiles and the event socket apply is defined in acl.conf.xml', () => {
    const lists = new Set(
      descendants(doc(path.join(CONF, 'autoload_configs/acl.conf.xml')), 'list').map((l) => l.attrs.name),
    );
    for (const f of [
      'sip_profiles/hotline_carrier.xml',
      'sip_profiles/hotline_agents.xml',
      'autoload_configs/event_socket.conf.xml',
    ]) {
      for (const [k, v] of Object.entries(params(f))) {
        if (/acl$/.test(k) && !v.endsWith('.auto')) expect(lists.has(v), `${f} ${k}=${v}`).toBe(true);
      }
    }
  });
});

describe('dialplan: hotline_inbound', () => {
  const inbound = contexts().get('hotline_inbound') ?? [];

  it('the catch-all is the last extension and matches any number', () => {
    const last = inbound[inbound.length - 1] as Extension;
    expect(last.name).toBe('catch_all');
    for (const n of ['', 'abc', '99999', '+8612345;npdi', '0'.repeat(40), 'hotline_fallback']) {
      expect(new RegExp(last.expression).test(n), JSON.stringify(n)).toBe(true);
    }
  });

  const numbers = [
    '12345',
    '+8612345',
    '008612345',
    '8612345',
    '02712345',
    '075512345',
    '12315',
    '12333',
    '12369',
    '12319',
    '12365',
    '12338',
    '12355',
    '12348',
    '12306',
    '10086',
    '110',
    '13800138000',
    '+8613800138000',
    '',
    'anonymous',
  ];

  it.each(numbers)(
    '%j goes to the router socket first, untouched, then the backup, then the fallback',
    (n) => {
      const r = hunt('hotline_inbound', n);
      expect(r, n).toBeDefined();
      const first = (r as { actions: Action[] }).actions;
      const socket = first.findIndex((a) => a.app === 'socket');
      expect(first[socket]?.data).toBe(ROUTER_SOCKET);
      // Nothing before the socket ends, transfers or normalises the call.
      for (const a of first.slice(0, socket)) expect(['set', 'export']).toContain(a.app);
      const setVars = Object.fromEntries(
        first
          .slice(0, socket)
          .map((a) => [a.data.slice(0, a.data.indexOf('=')), a.data.slice(a.data.indexOf('=') + 1)]),
      );
      expect(setVars).toMatchObject({
        hotline_dialed: '${destination_number}',
        hotline_ingress: 'carrier',
        socket_resume: 'true',
        hangup_after_bridge: 'false',
        continue_on_fail: 'true',
      });
      // The router's socket session ended with the caller still up and not yet served.
      const acts = runThrough('hotline_inbound', n);
      const idx = (app: string, data?: string): number =>
        acts.findIndex((a) => a.app === app && (data === undefined || a.data === data));
      expect(idx('socket', ROUTER_SOCKET)).toBe(socket);
      const backup = idx('socket', BACKUP_SOCKET);
      expect(backup).toBeGreaterThan(socket);
      const apology = idx('playback', '$${hotline_apology_prompt}');
      const fallback = idx('bridge', 'group/$${hotline_fallback_group}@$${hotline_agents_domain}');
      expect(apology).toBeGreaterThan(backup);
      expect(fallback).toBeGreaterThan(apology);
      expect(idx('answer')).toBeGreaterThan(backup);
      expect(idx('answer')).toBeLessThan(apology);
      expect(acts.slice(backup, fallback).some((a) => a.data === 'hangup_after_bridge=true')).toBe(true);
      expect(acts[acts.length - 1]?.app).toBe('hangup');
      // A caller who already talked to an agent (the router died, or the agent ended the conversation): the routers
      // are asked in turn (the one that holds the call keeps the socket, for the survey); with none, the call ends.
      // No fallback group, and socket_resume again so that a router that lets go passes the caller on.
      const served = runThrough('hotline_inbound', n, { hotline_agent_answered: 'true' });
      expect(served.filter((a) => a.app === 'socket').map((a) => a.data)).toEqual([
        ROUTER_SOCKET,
        ROUTER_SOCKET,
        BACKUP_SOCKET,
      ]);
      const asks = served.findIndex((a, i) => i > socket && a.app === 'socket');
      expect(served.slice(socket + 1, asks)).toContainEqual({ app: 'set', data: 'socket_resume=true' });
      expect(served[served.length - 1]).toEqual({ app: 'hangup', data: 'NORMAL_CLEARING' });
      expect(served.some((a) => a.app === 'bridge')).toBe(false);
    },
  );

  it('a carrier cannot dial the failover extensions to skip the router', () => {
    for (const n of ['hotline_router_gone', 'hotline_backup_gone']) {
      const r = hunt('hotline_inbound', n);
      expect(r?.ext.name, n).toBe('catch_all');
    }
  });

  it('parked callers (hotline_call_control=park): every hotline number schedules the failover before the park, the failover itself schedules nothing', () => {
    const park = new Map([...hotlineVars(), ['hotline_call_control', 'park']]);
    const guard = {
      app: 'sched_transfer',
      data: '+$${hotline_park_claim_seconds} hotline_router_gone XML hotline_inbound',
    };
    for (const n of numbers) {
      const r = hunt('hotline_inbound', n, {}, park);
      expect(r?.actions[0], n).toEqual(guard);
      expect(
        r?.actions.filter((a) => a.app === 'sched_transfer'),
        n,
      ).toHaveLength(1);
      // The socket-mode chain has none.
      expect(
        hunt('hotline_inbound', n)?.actions.some((a) => a.app === 'sched_transfer'),
        n,
      ).toBe(false);
    }
    // Where the transfer lands: the failover, hunted with the channel's own variables, adds no second guard.
    for (const dest of ['hotline_router_gone', 'hotline_backup_gone']) {
      const r = hunt(
        'hotline_inbound',
        dest,
        { hotline_ingress: 'carrier', hotline_call_control: 'park' },
        park,
      );
      expect(r?.ext.name).toBe(dest);
      expect(r?.actions.some((a) => a.app === 'sched_transfer')).toBe(false);
    }
    expect(hotlineVars().get('hotline_park_claim_seconds')).toMatch(/^[1-9]\d*$/);
    // The application itself is named by the variable, so that park or socket is one setting.
    expect(read(path.join(DIALPLANS, 'hotline_inbound.xml'))).toContain(
      '<action application="$${hotline_call_control}" data="$${hotline_router_host}:$${hotline_router_esl_port} async full"/>',
    );
  });

  it('12345 and each merged legacy hotline have their own commented extension, in every dialled form', () => {
    const legacy: Record<string, string> = {
      '12345': '12345_government_service',
      '12315': '12315_market_regulation',
      '12333': '12333_human_resources',
      '12369': '12369_environment',
      '12319': '12319_urban_services',
      '12365': '12365_quality_supervision',
      '12338': '12338_womens_rights',
      '12355': '12355_youth',
      '12348': '12348_legal_aid',
    };
    for (const [num, name] of Object.entries(legacy)) {
      for (const form of [num, `+86${num}`, `0086${num}`, `027${num}`, `0755${num}`]) {
        expect(hunt('hotline_inbound', form)?.ext.name, form).toBe(name);
      }
    }
    for (const n of ['99999', '123456', '1234', '812345x'])
      expect(hunt('hotline_inbound', n)?.ext.name).toBe('catch_all');
    const text = read(path.join(DIALPLANS, 'hotline_inbound.xml'));
    for (const name of Object.values(legacy)) {
      expect(text).toMatch(new RegExp(`<!-- [^\\n]*-->\\n\\s*<extension name="${name}">`));
    }
  });

  it('every extension runs the same chain (only hotline_dialplan_extension differs)', () => {
    const norm = (e: Extension): Action[] =>
      e.actions.map((a) =>
        a.data.startsWith('hotline_dialplan_extension=') ? { ...a, data: 'hotline_dialplan_extension=*' } : a,
      );
    const ref = norm(inbound[inbound.length - 1] as Extension);
    for (const e of inbound.filter((x) => !x.name.startsWith('hotline_'))) {
      expect(norm(e), e.name).toEqual(ref);
      expect(e.actions).toContainEqual({ app: 'set', data: `hotline_dialplan_extension=${e.name}` });
    }
  });

  it('expanded with the defaults, the socket goes to 127.0.0.1:8084', () => {
    const text = expand(read(path.join(DIALPLANS, 'hotline_inbound.xml')));
    expect(text).toContain('<action application="socket" data="127.0.0.1:8084 async full"/>');
    expect(text).not.toContain('$${');
  });
});

describe('dialplan: hotline_agents', () => {
  it('agents dial each other by extension', () => {
    const r = hunt('hotline_agents', '1002');
    expect(r?.actions).toContainEqual({ app: 'bridge', data: 'user/1002@$${hotline_agents_domain}' });
  });

  it.each(['12345', '*12345', '*12315'])('%s from a softphone goes through the same router socket', (n) => {
    const acts = runThrough('hotline_agents', n);
    expect(acts.find((a) => a.app === 'socket')?.data).toBe(ROUTER_SOCKET);
    expect(acts).toContainEqual({ app: 'set', data: `hotline_dialed=${n.replace('*', '')}` });
    expect(acts).toContainEqual({ app: 'set', data: 'socket_resume=true' });
    expect(acts).toContainEqual({ app: 'socket', data: BACKUP_SOCKET });
    const served = runThrough('hotline_agents', n, { hotline_agent_answered: 'true' });
    // Served: the routers are asked in turn (the one holding the call keeps it), then the call ends.
    expect(served.filter((a) => a.app === 'socket').map((a) => a.data)).toEqual([
      ROUTER_SOCKET,
      ROUTER_SOCKET,
      BACKUP_SOCKET,
    ]);
    expect(served[served.length - 1]?.app).toBe('hangup');
  });
});

describe('install.sh on a stock-like configuration directory', () => {
  it('installs, disables the stock profiles, includes the vars once, sets the RTP range; runs again safely', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hotline-fsconf-'));
    try {
      const conf = path.join(dir, 'freeswitch');
      for (const d of ['autoload_configs', 'sip_profiles', 'dialplan', 'directory']) {
        mkdirSync(path.join(conf, d), { recursive: true });
      }
      writeFileSync(path.join(conf, 'freeswitch.xml'), '<document type="freeswitch/xml"/>\n');
      writeFileSync(
        path.join(conf, 'vars.xml'),
        '<include>\n  <X-PRE-PROCESS cmd="set" data="domain=$${local_ip_v4}"/>\n</include>\n',
      );
      writeFileSync(
        path.join(conf, 'autoload_configs/sofia.conf.xml'),
        '<configuration name="sofia.conf"/>\n',
      );
      writeFileSync(
        path.join(conf, 'autoload_configs/switch.conf.xml'),
        '<configuration name="switch.conf">\n  <settings>\n' +
          '    <!-- <param name="rtp-start-port" value="16384"/> -->\n' +
          '    <!-- <param name="rtp-end-port" value="32768"/> -->\n  </settings>\n</configuration>\n',
      );
      writeFileSync(
        path.join(conf, 'autoload_configs/event_socket.conf.xml'),
        '<configuration name="stock"/>\n',
      );
      writeFileSync(path.join(conf, 'sip_profiles/internal.xml'), '<profile name="internal"/>\n');
      writeFileSync(path.join(conf, 'sip_profiles/external.xml'), '<profile name="external"/>\n');
      const run = (): string =>
        execFileSync('sh', [path.join(CONF, 'install.sh'), conf], { encoding: 'utf8' });
      run();
      run();
      for (const f of [
        'hotline_vars.xml',
        'hotline_env.xml',
        'autoload_configs/event_socket.conf.xml',
        'autoload_configs/acl.conf.xml',
        'sip_profiles/hotline_carrier.xml',
        'sip_profiles/hotline_agents.xml',
        'sip_profiles/hotline_carrier/carrier_gateways.xml',
        'directory/hotline_agents.xml',
        'dialplan/hotline_inbound.xml',
        'dialplan/hotline_agents.xml',
        'hotline_sounds/hotline_apology_zh.wav',
      ]) {
        expect(existsSync(path.join(conf, f)), f).toBe(true);
      }
      expect(read(path.join(conf, 'autoload_configs/event_socket.conf.xml.hotline-orig'))).toContain('stock');
      expect(existsSync(path.join(conf, 'sip_profiles/internal.xml'))).toBe(false);
      expect(existsSync(path.join(conf, 'sip_profiles/internal.xml.hotline-disabled'))).toBe(true);
      expect(existsSync(path.join(conf, 'sip_profiles/external.xml'))).toBe(false);
      const vars = read(path.join(conf, 'vars.xml'));
      expect(vars.match(/data="hotline_vars.xml"/g)).toHaveLength(1);
      expect(vars.indexOf('hotline_vars.xml')).toBeLessThan(vars.indexOf('hotline_env.xml'));
      expect(vars.trimEnd().endsWith('</include>')).toBe(true);
      expect(() => parseXmlStrict(vars)).not.toThrow();
      const sw = read(path.join(conf, 'autoload_configs/switch.conf.xml'));
      expect(sw).toContain('<param name="rtp-start-port" value="$${hotline_rtp_start_port}"/>');
      expect(sw).toContain('<param name="rtp-end-port" value="$${hotline_rtp_end_port}"/>');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('prompts, hold music and media timeouts', () => {
  const SOUNDS = path.join(CONF, 'hotline_sounds');
  const paramsOf = (f: string): Record<string, string> =>
    Object.fromEntries(
      descendants(doc(f), 'param').map((p) => [p.attrs.name as string, p.attrs.value as string]),
    );

  it('every extension that hands a call to the router sets sound_prefix and exports the media timeouts first', () => {
    const exts = [...contexts().values()]
      .flat()
      // The after-conversation extension hands back a caller these were set for already.
      .filter((e) => e.name !== 'hotline_after_conversation')
      .filter((e) => e.actions.some((a) => a.app === 'socket' && a.data === ROUTER_SOCKET));
    expect(exts.length).toBeGreaterThanOrEqual(11);
    for (const e of exts) {
      const before = e.actions.slice(
        0,
        e.actions.findIndex((a) => a.app === 'socket'),
      );
      expect(before, e.name).toContainEqual({ app: 'set', data: 'sound_prefix=$${hotline_sounds_dir}' });
      // Set, and named in export_vars: what export does, without an application of its own.
      expect(before, e.name).toContainEqual({ app: 'set', data: 'media_timeout=$${hotline_media_timeout}' });
      expect(before, e.name).toContainEqual({
        app: 'set',
        data: 'media_hold_timeout=$${hotline_media_hold_timeout}',
      });
      expect(before, e.name).toContainEqual({
        app: 'set',
        data: 'export_vars=media_timeout,media_hold_timeout',
      });
    }
  });

  it('the sounds dir defaults to conf_dir/hotline_sounds; the apology is relative to it, and shipped', () => {
    const vars = hotlineVars();
    expect(vars.get('hotline_sounds_dir')).toBe('$${conf_dir}/hotline_sounds');
    const apology = vars.get('hotline_apology_prompt') as string;
    expect(path.isAbsolute(apology)).toBe(false);
    expect(existsSync(path.join(SOUNDS, apology))).toBe(true);
  });

  it('no SIP profile sets the deprecated rtp-timeout-sec / rtp-hold-timeout-sec; the media timeouts replace them', () => {
    for (const f of listFiles(path.join(CONF, 'sip_profiles'), '.xml')) {
      const names = Object.keys(paramsOf(f));
      expect(names, rel(f)).not.toContain('rtp-timeout-sec');
      expect(names, rel(f)).not.toContain('rtp-hold-timeout-sec');
    }
    // Milliseconds: the 300 s and 1800 s the profiles had.
    expect(hotlineVars().get('hotline_media_timeout')).toBe('300000');
    expect(hotlineVars().get('hotline_media_hold_timeout')).toBe('1800000');
    const domain = descendants(doc(path.join(CONF, 'directory/hotline_agents.xml')), 'domain')[0] as XmlNode;
    const domainVars = Object.fromEntries(
      (descendants(domain, 'variables')[0] as XmlNode).children
        .filter((v) => v.name === 'variable')
        .map((v) => [v.attrs.name, v.attrs.value]),
    );
    expect(domainVars).toMatchObject({
      media_timeout: '$${hotline_media_timeout}',
      media_hold_timeout: '$${hotline_media_hold_timeout}',
    });
  });

  it('local_stream.conf.xml: moh (and the default class) from the moh directory of the sounds dir', () => {
    const dirs = descendants(doc(path.join(CONF, 'autoload_configs/local_stream.conf.xml')), 'directory');
    expect(Object.fromEntries(dirs.map((d) => [d.attrs.name, d.attrs.path]))).toEqual({
      moh: '$${hotline_sounds_dir}/moh',
      default: '$${hotline_sounds_dir}/moh',
    });
    expect(hotlineVars().get('hotline_hold_music')).toBe('local_stream://moh');
    expect(readdirSync(path.join(SOUNDS, 'moh')).filter((f) => f.endsWith('.wav')).length).toBeGreaterThan(0);
  });

  it('install.sh copies the whole sounds tree and installs local_stream.conf.xml, keeping the stock one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hotline-fsconf-sounds-'));
    try {
      const conf = path.join(dir, 'freeswitch');
      for (const d of ['autoload_configs', 'sip_profiles', 'dialplan', 'directory', 'hotline_sounds/ivr']) {
        mkdirSync(path.join(conf, d), { recursive: true });
      }
      writeFileSync(path.join(conf, 'freeswitch.xml'), '<document type="freeswitch/xml"/>\n');
      writeFileSync(path.join(conf, 'vars.xml'), '<include>\n</include>\n');
      writeFileSync(
        path.join(conf, 'autoload_configs/sofia.conf.xml'),
        '<configuration name="sofia.conf"/>\n',
      );
      writeFileSync(
        path.join(conf, 'autoload_configs/local_stream.conf.xml'),
        '<configuration name="local_stream.conf" description="stock"/>\n',
      );
      // An older install: a prompt of the same name is replaced.
      writeFileSync(path.join(conf, 'hotline_sounds/hotline_apology_zh.wav'), 'old');
      execFileSync('sh', [path.join(CONF, 'install.sh'), conf], { encoding: 'utf8' });
      execFileSync('sh', [path.join(CONF, 'install.sh'), conf], { encoding: 'utf8' });
      const shipped = listFiles(SOUNDS, '.wav').map((f) => path.relative(SOUNDS, f));
      expect(shipped).toEqual(
        expect.arrayContaining(['hotline_apology_zh.wav', 'ivr/12345/greeting.wav', 'ivr/digits/3.wav']),
      );
      for (const f of [...shipped, 'prompts.tsv']) {
        expect(
          readFileSync(path.join(conf, 'hotline_sounds', f)).equals(readFileSync(path.join(SOUNDS, f))),
          f,
        ).toBe(true);
      }
      expect(read(path.join(conf, 'autoload_configs/local_stream.conf.xml'))).toContain(
        '$${hotline_sounds_dir}/moh',
      );
      expect(read(path.join(conf, 'autoload_configs/local_stream.conf.xml.hotline-orig'))).toContain('stock');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docker-compose.yml and Dockerfile', () => {
  type Service = {
    image?: string;
    build?: unknown;
    environment?: Record<string, string>;
    depends_on?: Record<string, { condition: string }>;
    healthcheck?: { test: unknown };
    volumes?: string[];
    entrypoint?: string[];
    networks?: string[];
    command?: string[];
  };
  const compose = parseYaml(read(path.join(ROOT, 'docker-compose.yml'))) as {
    services: Record<string, Service>;
  };
  const svc = (n: string): Service => compose.services[n] as Service;

  it('has FreeSWITCH, drachtio-server, Redis and the router, on one network', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['freeswitch', 'drachtio', 'redis', 'router']),
    );
    expect(svc('redis').image).toBe('redis:7');
    expect(svc('drachtio').image).toMatch(/drachtio\/drachtio-server/);
    // Pinned to the versions the real-server tier runs (../shared/peers): FreeSWITCH 1.10.12, drachtio-server 0.9.10.
    expect(svc('freeswitch').image).toMatch(/freeswitch[^:]*:1\.10\.12(-\d+)?\}$/);
    expect(svc('freeswitch-conf').image).toBe(svc('freeswitch').image);
    expect(svc('drachtio').image).toMatch(/:0\.9\.10\}$/);
    expect(svc('router').build).toBeDefined();
    for (const s of Object.values(compose.services)) expect(s.networks).toEqual(['hotline']);
  });

  it('wires FreeSWITCH to the router socket by service name, and the router to FreeSWITCH, Redis, drachtio', () => {
    const fs = svc('freeswitch').environment as Record<string, string>;
    const router = svc('router').environment as Record<string, string>;
    expect(fs.FS_HOTLINE_ROUTER_HOST).toBe('router');
    expect(fs.FS_HOTLINE_ROUTER_ESL_PORT).toBe(router.HOTLINE_ESL_LISTEN_PORT);
    expect(router.HOTLINE_ESL_LISTEN_PORT).toBe('8084');
    expect(router.HOTLINE_ESL_LISTEN_HOST).toBe('0.0.0.0');
    expect(router.HOTLINE_FS_HOST).toBe('freeswitch');
    expect(router.HOTLINE_FS_PORT).toBe(fs.FS_HOTLINE_ESL_LISTEN_PORT);
    expect(router.HOTLINE_FS_PASSWORD).toBe(fs.FS_HOTLINE_ESL_PASSWORD);
    expect(fs.FS_HOTLINE_ESL_LISTEN_IP).toBe('0.0.0.0');
    expect(router.HOTLINE_REDIS_URL).toMatch(/^redis:\/\/redis:6379/);
    expect(router.HOTLINE_DRACHTIO_HOST).toBe('drachtio');
    expect(router.HOTLINE_DRACHTIO_PORT).toBe('9022');
    expect(router.HOTLINE_DRACHTIO_SECRET).toBe(svc('drachtio').environment?.DRACHTIO_SECRET);
    for (const k of [
      'HOTLINE_HTTP_HOST',
      'HOTLINE_HTTP_PORT',
      'HOTLINE_ADMIN_TOKEN',
      'HOTLINE_AGENT_TOKEN_SECRET',
      'HOTLINE_LOG_LEVEL',
    ]) {
      expect(router[k], k).toBeDefined();
    }
  });

  it('sets only variables that hotline_env.xml reads, and installs the conf before FreeSWITCH starts', () => {
    const envNames = new Set(
      [...read(path.join(CONF, 'hotline_env.xml')).matchAll(/=\$(FS_[A-Z0-9_]+)"/g)].map((m) => m[1]),
    );
    for (const k of Object.keys(svc('freeswitch').environment ?? {}).filter((x) => x.startsWith('FS_'))) {
      expect(envNames.has(k), k).toBe(true);
    }
    expect(svc('freeswitch').depends_on?.['freeswitch-conf']?.condition).toBe(
      'service_completed_successfully',
    );
    const job = svc('freeswitch-conf');
    expect(job.entrypoint?.join(' ')).toContain('/hotline/freeswitch-conf/install.sh');
    expect(job.volumes).toEqual(
      expect.arrayContaining([
        './freeswitch-conf:/hotline/freeswitch-conf:ro',
        './dialplans:/hotline/dialplans:ro',
      ]),
    );
    const confVolume = (job.volumes ?? []).find((v) => v.endsWith(':/etc/freeswitch'));
    expect(svc('freeswitch').volumes).toContain(confVolume);
  });

  it('waits for healthy services, each of which has a health check', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        if (condition === 'service_healthy') expect(svc(dep).healthcheck, `${name} -> ${dep}`).toBeDefined();
      }
    }
    expect(svc('router').depends_on).toMatchObject({
      redis: { condition: 'service_healthy' },
      freeswitch: { condition: 'service_healthy' },
      drachtio: { condition: 'service_healthy' },
    });
  });

  it('the Dockerfile builds the router from node:20 with npm ci and runs src/main.ts through tsx', () => {
    const df = read(path.join(ROOT, 'Dockerfile'));
    expect(df).toMatch(/^FROM node:20/m);
    expect(df).toMatch(/^RUN npm ci/m);
    expect(df).toContain('CMD ["node", "--import", "tsx", "src/main.ts"]');
    expect(read(path.join(ROOT, '.dockerignore'))).toMatch(/^node_modules$/m);
  });
});
