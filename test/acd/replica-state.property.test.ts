// The replica's queues stay exactly the waiting calls in queue order, whatever the mix of arrivals, calls served
// from the head, calls given back to their place and calls leaving from the middle; older entries never undo newer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Change, ReplicaState } from '../../src/acd/replica-state.ts';

type Op = { k: 'queue' | 'leave'; id: number; q: number; skill: 0 | 1 } | { k: 'serveHead'; skill: 0 | 1 };

const SKILLS = ['general', 'hrss'];

describe('ReplicaState queues', () => {
  it('hold the waiting calls in queue order through any mix of changes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              k: fc.constantFrom('queue' as const, 'leave' as const),
              id: fc.nat(30),
              q: fc.nat(20),
              skill: fc.constantFrom(0 as const, 1 as const),
            }),
            fc.record({
              k: fc.constant('serveHead' as const),
              skill: fc.constantFrom(0 as const, 1 as const),
            }),
          ),
          { maxLength: 300 },
        ),
        (ops: Op[]) => {
          const st = new ReplicaState();
          const model = new Map<string, { skill: string; q: number }>();
          let n = 0;
          const apply = (c: Change) => st.applyAll([c]);
          for (const op of ops) {
            if (op.k === 'serveHead') {
              const l = st
                .queueLists()
                .find((x) => 'items' in x && x.items[x.start]?.skill === SKILLS[op.skill]);
              if (!l || !('items' in l)) continue;
              const head = l.items[l.start]!;
              apply({
                n: ++n,
                kind: 'call',
                id: head.id,
                state: 'offering',
                skill: '',
                priority: 'normal',
                queuedAt: 0,
                tried: [],
                owner: '',
              });
              model.delete(head.id);
              continue;
            }
            const id = `c${op.id}`;
            if (op.k === 'queue') {
              // A call keeps its first queue time when given back (as the scripts do).
              const q = model.get(id)?.q ?? op.q;
              const skill = model.get(id)?.skill ?? SKILLS[op.skill]!;
              apply({
                n: ++n,
                kind: 'call',
                id,
                state: 'queued',
                skill,
                priority: 'normal',
                queuedAt: q,
                tried: [],
                owner: 'A',
              });
              model.set(id, { skill, q });
            } else {
              apply({
                n: ++n,
                kind: 'call',
                id,
                state: 'ended',
                skill: '',
                priority: 'normal',
                queuedAt: 0,
                tried: [],
                owner: '',
              });
              model.delete(id);
            }
            // A stale entry (older sequence number) changes nothing.
            apply({
              n: n - 1,
              kind: 'call',
              id,
              state: 'queued',
              skill: 'hrss',
              priority: 'care',
              queuedAt: 0,
              tried: [],
              owner: 'A',
            });
          }
          const got = st
            .queueLists()
            .map((l) => ('items' in l ? l.items.slice(l.start) : l).map((c) => c!.id))
            .filter((l) => l.length)
            .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
          const want = SKILLS.map((s) =>
            [...model]
              .filter(([, v]) => v.skill === s)
              .sort(([ia, a], [ib, b]) => a.q - b.q || (ia < ib ? -1 : 1))
              .map(([id]) => id),
          )
            .filter((l) => l.length)
            .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
          expect(got).toEqual(want);
          expect(st.waitingCount).toBe(model.size);
          for (const [id] of model) expect(st.position(id)).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
