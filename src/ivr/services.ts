// The IVR's Redis-backed data for the call flow: the current menu version, the care list,
// incident announcements and the funnel counters.
import type { Redis } from 'ioredis';
import { CareList } from '../care/care-list.ts';
import type { IvrServices } from '../calls/call-session.ts';
import { dayOf } from '../records/call-records.ts';
import type { Keys } from '../redis/keys.ts';
import { defaultMenus } from './defaults.ts';
import type { PathStep } from './engine.ts';
import { activeIncidents, IncidentStore } from './incidents.ts';
import { IvrFunnel, MenuStore } from './store.ts';
import type { MenuDocument } from './types.ts';

/** Funnel events of one caller's path: entries, exits by key, zeros, no-inputs, hang-ups. */
export function funnelEvents(path: PathStep[], callerLeft: boolean): Array<{ node: string; event: string }> {
  const out: Array<{ node: string; event: string }> = [];
  path.forEach((s, i) => {
    out.push({ node: s.node, event: 'enter' });
    if (s.exit?.startsWith('digit:'))
      out.push({ node: s.node, event: s.exit === 'digit:0' ? 'zero' : s.exit });
    else if (s.exit?.startsWith('invalid:')) out.push({ node: s.node, event: 'invalid' });
    else if (s.exit === 'no-input') out.push({ node: s.node, event: 'no-input' });
    if (callerLeft && i === path.length - 1) out.push({ node: s.node, event: 'hangup' });
  });
  return out;
}

export class RedisIvrServices implements IvrServices {
  readonly menus: MenuStore;
  readonly care: CareList;
  readonly incidentStore: IncidentStore;
  readonly funnelStore: IvrFunnel;

  constructor(redis: Redis, keys: Keys) {
    this.menus = new MenuStore(redis, keys);
    this.care = new CareList(redis, keys);
    this.incidentStore = new IncidentStore(redis, keys);
    this.funnelStore = new IvrFunnel(redis, keys);
  }

  async menu(line: string): Promise<{ version: number; doc: MenuDocument }> {
    const cur = await this.menus.current(line);
    if (cur) return cur;
    // A line added to the number plan without a menu yet: direct to its human, never dropped.
    const doc = defaultMenus().find((d) => d.line === '12345')!;
    return { version: 0, doc: { ...doc, line } };
  }

  careListed(caller: string): Promise<boolean> {
    return this.care.has(caller);
  }

  async incidents(line: string, now: number) {
    return activeIncidents(await this.incidentStore.list(), line, now);
  }

  incidentAck(id: string): Promise<void> {
    return this.incidentStore.ack(id);
  }

  funnel(line: string, path: PathStep[], callerLeft: boolean): Promise<void> {
    return this.funnelStore.record(line, dayOf(Date.now()), funnelEvents(path, callerLeft));
  }
}
