/** Measuring locks from the outside: wait percentiles, and overlapping holds (two owners believing at once). */

export { percentile } from "../../stats.js";

/**
 * One holder's belief that it holds the lock: from the moment the grant reached it to the moment it sent its
 * release (or was told the lock was lost). Both ends on the same monotonic clock, in one process.
 */
export interface Hold {
  owner: string;
  from: number;
  /** Undefined while the owner still believes it holds the lock. */
  to?: number;
}

/**
 * How many pairs of holds by different owners overlap in time: each one is a moment where two owners both believed
 * they held the lock. With a correct lock this is 0. The measure is sound because a grant can only reach its owner
 * after the server ran it, and a release is sent before the server runs it: a correct lock's beliefs never overlap.
 */
export function overlappingHolds(holds: readonly Hold[]): number {
  // Sweep in order of start: only holds still open when the next one starts can overlap it.
  const sorted = [...holds].sort((a, b) => a.from - b.from);
  let open: Hold[] = [];
  let pairs = 0;
  for (const hold of sorted) {
    open = open.filter((h) => (h.to ?? Infinity) > hold.from);
    pairs += open.filter((h) => h.owner !== hold.owner).length;
    open.push(hold);
  }
  return pairs;
}
