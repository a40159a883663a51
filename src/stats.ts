/**
 * The small statistics the patterns, scenarios, doctor and bench share: nearest-rank percentiles, rounding, maxima.
 * Pure. (Bench's latency histogram is in src/bench/histogram.ts: it merges counts across worker threads.)
 */

/**
 * Nearest-rank percentile (p in 0–100) of `values` in any order; null when there are none. p99 of 30 is the largest.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0–100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/**
 * Nearest-rank percentile (p in (0, 100]) of samples already sorted ascending: the smallest sample with at least
 * p % at or below it. Throws on no samples (the caller has a count to check first).
 */
export function percentileOfSorted(sortedAsc: readonly number[], p: number): number {
  if (sortedAsc.length === 0) throw new RangeError("percentile of no samples");
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const rank = Math.ceil((p / 100) * sortedAsc.length);
  return sortedAsc[Math.min(sortedAsc.length, Math.max(1, rank)) - 1]!;
}

/** `n` rounded to `digits` decimals (3: microseconds of a millisecond figure). */
export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** `round`, passing null through (a percentile of no samples). */
export function roundOrNull(n: number | null, digits = 3): number | null {
  return n === null ? null : round(n, digits);
}

/** The largest value, or null for none (no spread: a big run has hundreds of thousands of samples). */
export function maxOf(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => (b > a ? b : a), -Infinity);
}
