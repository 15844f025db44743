// A suite that makes today's plan and records and then reads "today" through pages whose own clocks (the router's,
// the browser's) it cannot pin may not straddle midnight in China Standard Time. Starting it within `marginMs` of
// midnight waits for midnight to pass first: at most `marginMs` once a day, and never otherwise.
import { CST_OFFSET_MS } from '../../src/tidal/time.ts';

const DAY_MS = 86_400_000;

/** Ms until the next midnight, China Standard Time. */
export function msToCstMidnight(now = Date.now()): number {
  return DAY_MS - ((now + CST_OFFSET_MS) % DAY_MS);
}

/** Resolves at once, or just after midnight (CST) when that is less than `marginMs` away. */
export async function clearOfMidnight(marginMs: number): Promise<void> {
  const left = msToCstMidnight();
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 1000));
}
