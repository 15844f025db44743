// A binary min-heap of events by time; equal times come out in insertion order, so a run does not
// depend on how the heap happens to break ties.
export interface HeapItem {
  t: number;
  seq: number;
}

/** An item without its sequence number (which the heap assigns), for each member of a union. */
export type Unsequenced<T> = T extends unknown ? Omit<T, 'seq'> : never;

export class EventHeap<T extends HeapItem> {
  private items: T[] = [];
  private counter = 0;

  get size(): number {
    return this.items.length;
  }

  push(item: Unsequenced<T>): void {
    const it = item as unknown as T;
    it.seq = this.counter++;
    const a = this.items;
    a.push(it);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(it, a[p]!)) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = it;
  }

  peekTime(): number {
    return this.items.length ? this.items[0]!.t : Infinity;
  }

  pop(): T | undefined {
    const a = this.items;
    if (!a.length) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length) {
      let i = 0;
      const n = a.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && less(a[r]!, a[l]!) ? r : l;
        if (!less(a[c]!, last)) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

function less(x: HeapItem, y: HeapItem): boolean {
  return x.t < y.t || (x.t === y.t && x.seq < y.seq);
}
