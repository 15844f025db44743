// Erlang B, the building block of Erlang C and Erlang A. The textbook formula divides a^n/n! by a
// sum of such terms and overflows past about 170 agents; the recursion
//   1/B(k) = 1 + (k/a) · 1/B(k-1),  1/B(0) = 1
// never does when kept in log space, for any number of agents a hotline will ever staff.

/** log(1/B(n, a)) for n agents and a Erlangs of offered load; exact up to rounding, never overflows. */
export function logInverseErlangB(n: number, a: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`agents must be a whole number ≥ 0, got ${n}`);
  if (!(a >= 0)) throw new RangeError(`offered load must be ≥ 0, got ${a}`);
  if (n === 0) return 0;
  if (a === 0) return Infinity;
  let logInv = 0; // log(1/B(0)) = log 1
  const logA = Math.log(a);
  for (let k = 1; k <= n; k++) {
    // log(1 + (k/a)·x) with x = e^logInv: factor out the larger term so neither overflows.
    const t = Math.log(k) - logA + logInv;
    logInv = t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
  }
  return logInv;
}

/** Blocking probability of an Erlang loss system (M/M/n/n). */
export function erlangB(n: number, a: number): number {
  return Math.exp(-logInverseErlangB(n, a));
}
