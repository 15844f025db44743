// Call records are filed under the day the call arrived (China Standard Time), so a call that arrived
// before midnight and is looked up after it is on yesterday's list, not today's. Tests that look a
// call up read every day their calls can fall on; a suite runs for minutes, so an hour back covers it.
import type { CallRecord } from '../../src/records/call-records.ts';
import { dayOf } from '../../src/records/day.ts';

const LOOK_BACK_MS = 3_600_000;

/** The record days (oldest first) of calls that arrived within the last hour. */
export function recentDays(now = Date.now()): string[] {
  const before = dayOf(now - LOOK_BACK_MS);
  const today = dayOf(now);
  return before === today ? [today] : [before, today];
}

type Admin = (path: string) => Promise<{ status: number; body: { records?: unknown } }>;

/** The records of the recent days through the admin API, in arrival order. */
export async function recentRecords(admin: Admin): Promise<CallRecord[]> {
  const out: CallRecord[] = [];
  for (const day of recentDays()) {
    const r = await admin(`/admin/records?date=${day}`);
    if (r.status !== 200) throw new Error(`GET /admin/records?date=${day}: HTTP ${r.status}`);
    out.push(...(r.body.records as CallRecord[]));
  }
  return out;
}
