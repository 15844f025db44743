// Where the scheduler reads the time. The router uses the system clock; tests run a plan's day in
// seconds on a scaled clock (virtual = origin + real elapsed × factor).
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export function scaledClock(originMs: number, factor: number, realNow: () => number = Date.now): Clock {
  const start = realNow();
  return { now: () => originMs + (realNow() - start) * factor };
}
