/**
 * Seeded randomness for scenario traffic (views, players, workloads, retry delays): the same seed gives the same
 * run, so a check that fails can be replayed exactly. Pure: no clock, no I/O.
 */

/** mulberry32: a small, fast 32-bit generator of floats in [0, 1). Good enough for test traffic, not for secrets. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
