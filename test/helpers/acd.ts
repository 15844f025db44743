// A call as the call flow creates it in the ACD store, for tests that drive the store directly.
import type { CallInfo } from '../../src/acd/store.ts';

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
