// ioredis connections: one for commands, one for subscriptions (a subscribed connection cannot
// issue commands). Reconnects are ioredis's own; we only log state changes.
import { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.ts';

export function connectRedis(url: string, log: Logger, role: string): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 3,
    enableReadyCheck: true,
    lazyConnect: false,
    // Commands issued in one turn of the event loop go out in one write: a call's bookkeeping, the screen-pop
    // and the decision round otherwise cost a syscall each, which was a third of the router's CPU per call.
    // Not on a subscriber connection, which only (un)subscribes.
    enableAutoPipelining: role !== 'subscriber',
  });
  redis.on('ready', () => log.info({ role }, 'redis ready'));
  redis.on('error', (err: Error) => log.warn({ role, err: err.message }, 'redis error'));
  redis.on('end', () => log.warn({ role }, 'redis connection ended'));
  return redis;
}
