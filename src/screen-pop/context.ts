// Everything the screen-pop adds to an offer beyond what the call flow knows: the caller's previous
// calls, policy links for the line, skill and IVR nodes, and the priority class explained in Chinese.
import { CARE_KIND_LABELS, CareList } from '../care/care-list.ts';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import { emptyHistory, lookupHistory } from './caller-history.ts';
import type { Link, OfferInput, ServerMessage } from './messages.ts';

type Offer = Extract<ServerMessage, { type: 'offer' }>;

const CLASS_LABELS: Record<string, string> = { care: '关爱', enterprise: '企业', normal: '普通' };
const REASON_LABELS: Record<string, string> = {
  'care-list': '关爱名单',
  'declared-care': '来电人自述（老年人/残障人士）',
  enterprise: '企业服务专线',
  zero: '按0转人工',
  direct: '直接转人工',
  'no-input': '未按键转人工',
  retries: '按键无效转人工',
  'transfer-failed': '转分中心未接通',
  'subcenter-fallback': '分中心未接通',
  'referral-110': '110转入',
  'referral-119': '119转入',
  'referral-120': '120转入',
  'referral-122': '122转入',
  menu: '菜单选择',
};

/** "关爱：关爱名单", "普通：按0转人工", ... */
export function priorityLabel(priority: string, reason?: string): string {
  const cls = CLASS_LABELS[priority] ?? priority;
  const why = reason ? (REASON_LABELS[reason] ?? reason) : priority === 'enterprise' ? '企业服务' : '';
  return why ? `${cls}：${why}` : cls;
}

/** Strips the digit suffix the IVR adds to a path step: "养老保险(按2)" -> "养老保险". */
export function nodeLabel(step: string): string {
  return step.replace(/\s*[(（]按.[)）]\s*$/, '').trim();
}

export function linksKey(keys: Keys): string {
  return `${keys.prefix}sp:links`;
}

/** Link scopes: line:<number>, skill:<skill>, ivr:<line>:<node label as shown in the IVR path>. */
export const LINK_SCOPE = '^(line:\\d{3,8}|skill:[a-z][a-z0-9_-]{0,31}|ivr:\\d{3,8}:[^:]{1,40})$';

export class LinkTable {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async all(): Promise<Record<string, Link[]>> {
    const h = await this.redis.hgetall(linksKey(this.keys));
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, JSON.parse(v) as Link[]]));
  }

  async put(scope: string, links: Link[]): Promise<void> {
    if (!links.length) await this.redis.hdel(linksKey(this.keys), scope);
    else await this.redis.hset(linksKey(this.keys), scope, JSON.stringify(links));
  }

  async remove(scope: string): Promise<boolean> {
    return (await this.redis.hdel(linksKey(this.keys), scope)) > 0;
  }

  /** Links for an offer: the line's, then the skill's, then each IVR node's on the path; no duplicates. */
  async forCall(line: string, skill: string | undefined, ivrPath: readonly string[]): Promise<Link[]> {
    const scopes = [`line:${line}`, ...(skill ? [`skill:${skill}`] : [])];
    for (const step of ivrPath) scopes.push(`ivr:${line}:${nodeLabel(step)}`);
    const vals = await this.redis.hmget(linksKey(this.keys), ...scopes);
    return dedupe(vals.flatMap((v) => (v ? (JSON.parse(v) as Link[]) : [])));
  }
}

function dedupe(links: Link[]): Link[] {
  const seen = new Set<string>();
  return links.filter((l) => !seen.has(l.url) && seen.add(l.url));
}

/**
 * Completes an offer: history, links and labels. Whatever the call flow already filled in is kept.
 * A lookup that fails leaves that block empty: the pop is never held back by its context.
 */
export async function completeOffer(
  redis: Redis,
  keys: Keys,
  input: OfferInput,
  onError: (err: Error) => void,
): Promise<Omit<Offer, 'v' | 'at' | 'seq'>> {
  const links = new LinkTable(redis, keys);
  const linksOf = (skill: string | undefined) =>
    links.forCall(input.line, skill, input.ivrPath).catch((err: Error) => {
      onError(err);
      return [];
    });
  // With the queue known (the offer carries it), the links are read in the same round trip as the history.
  const early = input.links
    ? Promise.resolve(input.links)
    : input.skill !== undefined
      ? linksOf(input.skill)
      : null;
  const [skill, history] = await Promise.all([
    input.skill !== undefined
      ? Promise.resolve(input.skill)
      : redis.hget(keys.call(input.callId), 'skill').then((s) => s ?? undefined),
    input.history ? Promise.resolve(input.history) : lookupHistory(redis, keys, input.caller, input.callId),
  ]).catch((err: Error) => {
    onError(err);
    return [input.skill, emptyHistory()] as const;
  });
  // A care-list caller: the agent sees what the operators registered (kind, note) before they say a word.
  const care =
    input.priorityReason === 'care-list' && input.caller
      ? await new CareList(redis, keys).get(input.caller).catch((err: Error) => {
          onError(err);
          return null;
        })
      : null;
  const found = await (early ?? linksOf(skill));
  return {
    ...input,
    skill,
    priorityLabel: input.priorityLabel ?? priorityLabel(input.priority, input.priorityReason),
    history,
    links: found,
    ...(care
      ? {
          care: {
            kind: care.kind,
            kindLabel: CARE_KIND_LABELS[care.kind] ?? care.kind,
            ...(care.note ? { note: care.note } : {}),
          },
        }
      : {}),
  };
}
