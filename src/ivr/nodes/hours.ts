// hours: branch on time of day, weekday and a holiday calendar (China Standard Time, UTC+8).
import type { NodeRuntime, Transition } from '../runtime.ts';
import type { HoursNode } from '../types.ts';

export function isOpen(node: HoursNode, epochMs: number): boolean {
  const local = new Date(epochMs + 8 * 3600_000);
  const date = local.toISOString().slice(0, 10);
  const minutes = local.getUTCHours() * 60 + local.getUTCMinutes();
  const weekday = ((local.getUTCDay() + 6) % 7) + 1;
  if (node.holidays?.includes(date)) return false;
  const workday = node.workdays?.includes(date);
  return node.open.some((p) => {
    const dayOk = workday ? p.days.some((d) => d <= 5) : p.days.includes(weekday);
    return dayOk && minutes >= toMinutes(p.from) && minutes < toMinutes(p.to);
  });
}

export function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

export function enterHours(node: HoursNode, _id: string, rt: NodeRuntime): Transition {
  return { goto: isOpen(node, rt.now()) ? node.whenOpen : node.whenClosed };
}
