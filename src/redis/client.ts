// ioredis connections: one for commands, one for subscriptions (a subscribed connection cannot
// issue commands). Reconnects are ioredis's own; we only log state changes.
import { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.ts';

export function connectRedis(url: string, log: Logger, role: string): Redis {
  const redis = new Redis(url, {
    // A command issued while Redis is away waits for it to come back instead of failing after three reconnect
    // attempts (about 0.3 s): a call's end, an agent's wrap-up or a caller's queue place written during a Redis
    // restart must land, or agents stay "talking" for good and bridged calls are recorded as abandoned (issue 11).
    // HTTP health reads the connection's status, never a command, so it answers during an outage.
    maxRetriesPerRequest: null,
    // Back quickly: callers are waiting on the other side of every queued command.
    retryStrategy: (times: number) => Math.min(50 * times, 500),
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
