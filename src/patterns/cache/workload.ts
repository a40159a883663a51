/**
 * Deterministic test workloads for the caching patterns: a seeded random number generator, a Zipf-like skew over the
 * key space (a few hot users take most requests, as in real traffic), and percentiles. Pure: no clock, no I/O.
 */
import { userName, type UserRow } from "./origin-db.js";

export { seededRandom } from "../shared/random.js";
import { seededRandom } from "../shared/random.js";

/**
 * Draw ids 1…n with probability proportional to 1/rank^skew (Zipf-like; skew 1 gives user 1 about twice the
 * traffic of user 2 and ten times that of user 10).
 */
export function zipfSampler(n: number, skew: number, random: () => number): () => number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`zipfSampler: n must be a positive whole number, not ${n}`);
  const cumulative: number[] = [];
  let total = 0;
  for (let rank = 1; rank <= n; rank++) {
    total += 1 / rank ** skew;
    cumulative.push(total);
  }
  return () => {
    const x = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo + 1;
  };
}

export interface WorkloadOptions {
  reads: number;
  writes: number;
  /** Users 1…keys exist in the database. */
  keys: number;
  seed: number;
  /** Zipf exponent; 1 by default. */
  skew?: number;
}

/** One request of the workload: a read of a user, or a write that gives the user its next version. */
export type WorkloadOp =
  { seq: number; kind: "read"; id: number } | { seq: number; kind: "write"; id: number; row: UserRow };

/**
 * Reads and writes shuffled together (seeded), both skewed towards the same hot users. Each write carries the row
 * it writes: the user's next version (the seeded table starts every user at version 1) and a name saying so.
 */
export function generateWorkload(options: WorkloadOptions): WorkloadOp[] {
  const { reads, writes, keys, seed, skew = 1 } = options;
  const random = seededRandom(seed);
  const pick = zipfSampler(keys, skew, random);
  const kinds: ("read" | "write")[] = [...Array<"read">(reads).fill("read"), ...Array<"write">(writes).fill("write")];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const versions = new Map<number, number>();
  return kinds.map((kind, i) => {
    const id = pick();
    if (kind === "read") return { seq: i + 1, kind, id };
    const version = (versions.get(id) ?? 1) + 1;
    versions.set(id, version);
    return { seq: i + 1, kind, id, row: { id, name: userName(id, version), version } };
  });
}

export { percentile } from "../../stats.js";
