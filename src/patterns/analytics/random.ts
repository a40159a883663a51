/**
 * Seeded randomness for the analytics scenarios (views, samples, visitors): the same seed gives the same run, so a
 * check that fails can be replayed exactly. Pure: no clock, no I/O.
 */

export { mix32, seededRandom } from "../shared/random.js";

/** An integer in [0, n) from a generator. */
export function randomInt(random: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/**
 * Zipf-like weights 1/rank^s for `n` items: a few items get most of the traffic, as page views do.
 * Returns cumulative weights normalised to 1, for {@link pickWeighted}.
 */
export function zipfCumulative(n: number, s = 1.1): number[] {
  const weights = Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  return weights.map((w) => (acc += w / total));
}

/** Index of the item a uniform draw falls on, given cumulative weights ending at 1. */
export function pickWeighted(random: () => number, cumulative: readonly number[]): number {
  const u = random();
  const i = cumulative.findIndex((c) => u < c);
  return i < 0 ? cumulative.length - 1 : i;
}
