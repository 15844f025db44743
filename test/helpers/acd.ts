// A call as the call flow creates it in the ACD store, for tests that drive the store directly.
import type { Redis } from 'ioredis';
import type { AcdConfigStore } from '../../src/acd/config-store.ts';
import { type DispatchHandlers, Dispatcher } from '../../src/acd/dispatcher.ts';
import type { AcdReplica } from '../../src/acd/replica.ts';
import type { AcdStore, CallInfo } from '../../src/acd/store.ts';
import type { Logger } from '../../src/logging/logger.ts';
import type { Keys } from '../../src/redis/keys.ts';

export function callInfo(id: string, owner = 'A', skill = 'general'): CallInfo {
  return {
    id,
    uuid: `u-${id}`,
    owner,
    line: '12345',
    lineName: '12345',
    mergeMode: 'direct',
    skill,
    caller: '13800000000',
    dialled: '12345',
    priority: 'normal',
    ivrPath: [],
    arrivedAt: Date.now(),
  };
}

/** A dispatcher for tests: reservations held 30 s, handlers that do nothing unless given. */
export function testDispatcher(p: {
  acd: AcdStore;
  config: AcdConfigStore;
  redis: Redis;
  sub: Redis;
  keys: Keys;
  instance: string;
  handlers: Partial<DispatchHandlers>;
  log: Logger;
  replica: AcdReplica;
}): Dispatcher {
  const handlers = { onOffer: () => undefined, onFallback: () => undefined, ...p.handlers };
  return new Dispatcher(p.acd, p.config, p.redis, p.sub, p.keys, p.instance, 30, handlers, p.log, p.replica);
}
