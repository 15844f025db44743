// Incident announcements (a planned water or power cut...): operators put one at the top of one or
// more lines' menus for a time window; callers can press a key to say that is why they called.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import type { ActiveIncident } from './engine.ts';
import type { Prompt } from './types.ts';

export interface Incident {
  id: string;
  /** Lines whose callers hear it; ['*'] for every line. */
  lines: string[];
  prompt: Prompt;
  ackDigit: string;
  startsAt: number;
  endsAt: number;
  createdBy: string;
}

/** The incidents a caller of `line` hears at `now`: within their window, oldest first. */
export function activeIncidents(all: readonly Incident[], line: string, now: number): ActiveIncident[] {
  return all
    .filter((i) => now >= i.startsAt && now < i.endsAt && (i.lines.includes('*') || i.lines.includes(line)))
    .sort((a, b) => a.startsAt - b.startsAt)
    .map((i) => ({ id: i.id, prompt: i.prompt, ackDigit: i.ackDigit }));
}

export class IncidentStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async add(i: Omit<Incident, 'id'>): Promise<Incident> {
    const incident = { ...i, id: randomUUID().slice(0, 8) };
    await this.redis.hset(this.keys.incidents(), incident.id, JSON.stringify(incident));
    return incident;
  }

  async list(): Promise<Incident[]> {
    return Object.values(await this.redis.hgetall(this.keys.incidents())).map(
      (t) => JSON.parse(t) as Incident,
    );
  }

  async remove(id: string): Promise<boolean> {
    return (await this.redis.hdel(this.keys.incidents(), id)) > 0;
  }

  async ack(id: string): Promise<void> {
    await this.redis.hincrby(this.keys.incidentAcks(), id, 1);
  }

  async acks(): Promise<Record<string, number>> {
    const h = await this.redis.hgetall(this.keys.incidentAcks());
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)]));
  }
}
