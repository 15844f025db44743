// The message schema on both sides: the server's TypeBox validation of desktop messages, and the
// page's own validator (src/agent-desktop/public/validate.js) against the published schema document.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { issueAgentToken, verifyAgentToken } from '../../src/screen-pop/agent-token.ts';
import { nodeLabel, priorityLabel } from '../../src/screen-pop/context.ts';
import { hhmm } from '../../src/screen-pop/hub.ts';
import {
  checkServerMessage,
  parseClientMessage,
  protocolDocument,
  PROTOCOL_VERSION,
} from '../../src/screen-pop/messages.ts';
import { nextLocalTime } from '../../src/http/plugins/agent-desktop.ts';

type Validator = (m: unknown) => string | null;
const pageModule = fileURLToPath(new URL('../../src/agent-desktop/public/validate.js', import.meta.url));
const { serverValidator } = (await import(pageModule)) as { serverValidator: (doc: unknown) => Validator };
// The page gets the document over HTTP, as JSON: do the same round trip.
const pageValidate = serverValidator(JSON.parse(JSON.stringify(protocolDocument())));

const offer = {
  type: 'offer',
  v: PROTOCOL_VERSION,
  at: Date.now(),
  seq: 7,
  callId: 'c1',
  caller: '13812345678',
  dialled: '+862712333',
  line: '12333',
  lineName: '人力资源和社会保障',
  mergeMode: 'dual',
  mergeModeLabel: '双号并行',
  ivrPath: ['12333主菜单(按1)', '养老保险(按2)', '职工养老'],
  priority: 'care',
  priorityReason: 'care-list',
  priorityLabel: '关爱：关爱名单',
  waitS: 12.5,
  history: {
    days: 30,
    count: 1,
    repeat: true,
    calls: [
      {
        callId: 'c0',
        at: Date.now() - 86400_000,
        line: '12333',
        outcome: 'answered',
        outcomeLabel: '已接通',
        ivrPath: [],
        survey: { speed: 4, attitude: 5 },
      },
    ],
    survey: { answered: 1, average: 4.5 },
  },
  links: [{ title: '养老保险政策', url: 'https://example.gov.cn/pension' }],
};

describe('desktop messages (server side, TypeBox)', () => {
  it('accepts every well-formed client message', () => {
    const good = [
      { type: 'login', token: 'v2.abcdefghijk', lastSeq: 0 },
      { type: 'login', v: 2 },
      { type: 'ready' },
      { type: 'ready', ref: 'r1' },
      { type: 'not_ready', reason: 'meal' },
      { type: 'not_ready' },
      { type: 'wrapup_end', ref: 'x' },
      { type: 'transfer', callId: 'c1', target: { kind: 'subcenter', line: '12348' } },
      { type: 'transfer', callId: 'c1', target: { kind: 'queue', skill: 'hrss' } },
      { type: 'transfer', callId: 'c1', target: { kind: 'agent', agentId: 'g2' }, ref: 'r9' },
      { type: 'ack', seq: 12 },
      { type: 'ping', t: 1 },
      { type: 'logout' },
    ];
    for (const m of good) expect(parseClientMessage(JSON.stringify(m)), JSON.stringify(m)).toEqual(m);
  });

  it('rejects malformed client messages with a sentence naming the problem', () => {
    const cases: Array<[string, RegExp]> = [
      ['not json', /not JSON/],
      ['[1,2]', /JSON object/],
      ['42', /JSON object/],
      ['{}', /unknown message type undefined/],
      ['{"type":"dance"}', /unknown message type "dance"/],
      ['{"type":"toString"}', /unknown message type "toString"/],
      ['{"type":"ack"}', /^ack.*seq/],
      ['{"type":"ack","seq":"3"}', /^ack\.seq/],
      ['{"type":"ack","seq":0}', /^ack\.seq/],
      ['{"type":"not_ready","reason":""}', /^not_ready\.reason/],
      [`{"type":"not_ready","reason":"${'x'.repeat(41)}"}`, /^not_ready\.reason/],
      ['{"type":"ready","extra":1}', /^ready/],
      ['{"type":"transfer","callId":"c1"}', /^transfer/],
      ['{"type":"transfer","callId":"c1","target":{"kind":"moon"}}', /^transfer\.target/],
      ['{"type":"transfer","callId":"c1","target":{"kind":"agent","agentId":"a b"}}', /^transfer\.target/],
      ['{"type":"login","lastSeq":-1}', /^login\.lastSeq/],
      [`{"type":"ping","pad":"${'x'.repeat(9000)}"}`, /longer than 8192/],
    ];
    for (const [text, re] of cases) {
      const r = parseClientMessage(text);
      expect(typeof r, text.slice(0, 60)).toBe('string');
      expect(r, text.slice(0, 60)).toMatch(re);
    }
  });

  it('publishes a schema document with every message type', () => {
    const doc = protocolDocument();
    expect(doc.version).toBe(2);
    expect(Object.keys(doc.server).sort()).toEqual(
      [
        'answered',
        'ended',
        'error',
        'hello',
        'offer',
        'pong',
        'result',
        'softphone',
        'state',
        'supervisor',
        'tidal',
        'wrapup_ended',
        'wrapup_started',
      ].sort(),
    );
    expect(Object.keys(doc.client).sort()).toEqual(
      ['ack', 'login', 'logout', 'not_ready', 'ping', 'ready', 'transfer', 'wrapup_end'].sort(),
    );
    expect(doc.sequenced).toContain('offer');
    expect(doc.sequenced).not.toContain('hello');
  });
});

describe('server messages: the page validator agrees with TypeBox', () => {
  const now = Date.now();
  const good: unknown[] = [
    offer,
    { type: 'hello', v: 2, at: now, agentId: 'g1', lastSeq: 3, resumed: 0, gap: false, state: 'ready' },
    { type: 'answered', v: 2, at: now, seq: 8, callId: 'c1' },
    { type: 'ended', v: 2, at: now, seq: 9, callId: 'c1', outcome: 'answered' },
    { type: 'wrapup_started', v: 2, at: now, seq: 10, callId: 'c1', durationS: 15, endsAt: now + 15000 },
    { type: 'wrapup_ended', v: 2, at: now, seq: 11, callId: 'c1', by: 'agent' },
    { type: 'state', v: 2, at: now, seq: 12, state: 'not_ready', reason: 'meal' },
    {
      type: 'tidal',
      v: 2,
      at: now,
      seq: 13,
      effectiveAt: now,
      time: '09:00',
      toPool: 'front',
      text: '潮汐排班：您将于 09:00 转到一线接听。',
    },
    { type: 'supervisor', v: 2, at: now, seq: 14, from: '班长', text: '注意排队', level: 'urgent' },
    { type: 'result', v: 2, at: now, command: 'transfer', ok: false, ref: 'r1', message: 'no' },
    { type: 'error', v: 2, at: now, error: 'message is not JSON', code: 'bad_message' },
    { type: 'pong', v: 2, at: now, t: 5 },
  ];
  const bad: unknown[] = [
    null,
    { v: 2, at: now },
    { type: 'teleport', v: 2, at: now },
    { ...offer, caller: 5 },
    { ...offer, priority: 'vip' },
    { ...offer, history: { ...offer.history, calls: 'none' } },
    { ...offer, links: [{ title: 'x', url: 'javascript:alert(1)' }] },
    { ...offer, seq: 0 },
    { ...offer, at: 1.5 },
    { type: 'answered', v: 2, at: now },
    { type: 'wrapup_ended', v: 2, at: now, by: 'nobody' },
    { type: 'tidal', v: 2, at: now, effectiveAt: now, time: '9am', toPool: 'front', text: 'x' },
    { type: 'state', v: '2', at: now, state: 'ready' },
  ];

  it('both accept the messages the router sends', () => {
    for (const m of good) {
      expect(checkServerMessage(m), JSON.stringify(m).slice(0, 80)).toBeNull();
      expect(pageValidate(m), JSON.stringify(m).slice(0, 80)).toBeNull();
    }
  });

  it('both reject malformed ones', () => {
    for (const m of bad) {
      expect(checkServerMessage(m), JSON.stringify(m)?.slice(0, 80)).not.toBeNull();
      expect(pageValidate(m), JSON.stringify(m)?.slice(0, 80)).not.toBeNull();
    }
  });
});

describe('desktop tokens', () => {
  const secret = 'a-secret-of-sixteen-chars';
  it('verifies, expires, and refuses tampering', () => {
    const t = issueAgentToken(secret, 'g1', 60, 1_000_000);
    const ok = verifyAgentToken(secret, t, 1_000_000);
    expect(ok).toMatchObject({ ok: true, claims: { agentId: 'g1', issuedAt: 1_000_000 } });
    expect(verifyAgentToken(secret, t, 1_000_000 + 61_000)).toEqual({ ok: false, reason: 'token expired' });
    expect(verifyAgentToken('another-secret-sixteen', t, 1_000_000)).toEqual({
      ok: false,
      reason: 'bad signature',
    });
    const parts = t.split('.');
    parts[1] = Buffer.from('g2').toString('base64url');
    expect(verifyAgentToken(secret, parts.join('.'), 1_000_000)).toEqual({
      ok: false,
      reason: 'bad signature',
    });
    expect(verifyAgentToken(secret, 'v1.x.y.z.w')).toEqual({ ok: false, reason: 'bad signature' });
    expect(verifyAgentToken(secret, 'garbage')).toEqual({ ok: false, reason: 'malformed token' });
  });
});

describe('labels', () => {
  it('explains the priority class in Chinese', () => {
    expect(priorityLabel('care', 'care-list')).toBe('关爱：关爱名单');
    expect(priorityLabel('care', 'declared-care')).toBe('关爱：来电人自述（老年人/残障人士）');
    expect(priorityLabel('enterprise')).toBe('企业：企业服务');
    expect(priorityLabel('normal', 'zero')).toBe('普通：按0转人工');
    expect(priorityLabel('normal')).toBe('普通');
  });

  it('strips the key hint from IVR path steps', () => {
    expect(nodeLabel('养老保险(按2)')).toBe('养老保险');
    expect(nodeLabel('欢迎语（按0）')).toBe('欢迎语');
    expect(nodeLabel('职工养老')).toBe('职工养老');
  });

  it('places HH:MM at its next occurrence in China time', () => {
    const base = Date.UTC(2026, 0, 5, 0, 30); // 08:30 in Beijing
    expect(hhmm(nextLocalTime('09:00', base))).toBe('09:00');
    expect(nextLocalTime('09:00', base) - base).toBe(30 * 60_000);
    expect(nextLocalTime('08:00', base) - base).toBe(23.5 * 3600_000);
  });
});
