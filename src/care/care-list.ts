// The care list (关爱名单): numbers of elderly and disabled citizens registered by operators, whose
// calls skip the IVR and go to the care priority class. Entries are personal data: the logger masks
// them, and the admin API shows them masked.
import type { Redis } from 'ioredis';
import { maskPhone, maskText } from '../logging/mask.ts';
import { normalizeCaller } from '../number-plan/normalize.ts';
import type { Keys } from '../redis/keys.ts';

export type CareKind = 'elderly' | 'disabled' | 'other';

export const CARE_KIND_LABELS: Record<CareKind, string> = {
  elderly: '老年人',
  disabled: '残障人士',
  other: '其他关爱对象',
};

export interface CareEntry {
  number: string;
  kind: CareKind;
  note?: string;
  addedBy: string;
  addedAt: number;
}

export class CareList {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async add(number: string, kind: CareKind, addedBy: string, note?: string): Promise<CareEntry> {
    const entry: CareEntry = { number: normalizeCaller(number), kind, note, addedBy, addedAt: Date.now() };
    await this.redis.hset(this.keys.careList(), entry.number, JSON.stringify(entry));
    return entry;
  }

  async remove(number: string): Promise<boolean> {
    return (await this.redis.hdel(this.keys.careList(), normalizeCaller(number))) > 0;
  }

  async get(number: string): Promise<CareEntry | null> {
    const t = await this.redis.hget(this.keys.careList(), normalizeCaller(number));
    return t ? (JSON.parse(t) as CareEntry) : null;
  }

  async has(number: string): Promise<boolean> {
    return (await this.redis.hexists(this.keys.careList(), normalizeCaller(number))) === 1;
  }

  /** For operators' screens: numbers masked, also inside the note and the operator's name. */
  async listMasked(): Promise<Array<Omit<CareEntry, 'number'> & { number: string }>> {
    const h = await this.redis.hgetall(this.keys.careList());
    return Object.values(h).map((t) => {
      const e = JSON.parse(t) as CareEntry;
      return {
        ...e,
        number: maskPhone(e.number),
        addedBy: maskText(e.addedBy),
        ...(e.note !== undefined ? { note: maskText(e.note) } : {}),
      };
    });
  }
}
