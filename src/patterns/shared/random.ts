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

/**
 * MurmurHash3's 32-bit finalizer: a bijection on 32-bit integers that scatters consecutive inputs. Distinct inputs
 * give distinct outputs, which is what makes generated items distinct by construction.
 */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
