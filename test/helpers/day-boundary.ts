// A suite that makes today's plan and records and then reads "today" through pages whose own clocks (the router's,
// the browser's) it cannot pin may not straddle midnight in China Standard Time. Starting it within `marginMs` of
// midnight waits for midnight to pass first: at most `marginMs` once a day, and never otherwise.
import { localDate, localMidnight } from '../../src/tidal/time.ts';

/** Ms until the next midnight, China Standard Time. */
export function msToCstMidnight(now = Date.now()): number {
  return localMidnight(localDate(now)) + 86_400_000 - now;
}

/** Resolves at once, or just after midnight (CST) when that is less than `marginMs` away. */
export async function clearOfMidnight(marginMs: number): Promise<void> {
  const left = msToCstMidnight();
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 1000));
}
