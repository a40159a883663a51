import { buildArray } from "../shared/cooperative.js";
import { mix32, seededRandom } from "../shared/random.js";

/**
 * Items to count, generated from a seed: the same seed gives the same items, so every run replays. Pure.
 */

/**
 * The i-th of a seed's distinct IPv4 addresses (the chapter's `PFADD unique-ips:api ip_address`). Two bijections on
 * 32-bit integers around a seed-dependent shift: distinct i give distinct addresses, and different seeds give
 * unrelated sets (they share about count²/2³² addresses by chance).
 */
export function ipAddress(seed: number, i: number): string {
  const x = mix32((mix32(i) + Math.imul(seed, 0x9e3779b9)) >>> 0);
  return `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
}

/** `count` distinct addresses for one seed. */
export function ipAddresses(seed: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => ipAddress(seed, i));
}

/** ipAddresses in slices that let the event loop in: ten million addresses take seconds, Ctrl-C stops them. */
export function ipAddressesCooperatively(seed: number, count: number, signal?: AbortSignal): Promise<string[]> {
  return buildArray(count, (i) => ipAddress(seed, i), signal);
}

/** A visitor id as an application would have it: `user:<n>`. */
export function visitorId(n: number): string {
  return `user:${n}`;
}

/**
 * Which of a pool of `pool` visitors came on each of `days` days: each visitor comes on a day with probability
 * `chance`, independently (seeded). Days overlap, so the week has fewer unique visitors than the days added up.
 */
export function dailyVisitors(seed: number, pool: number, days: number, chance: number): string[][] {
  const random = seededRandom(seed);
  const out: string[][] = Array.from({ length: days }, () => []);
  for (let n = 1; n <= pool; n++) {
    for (let d = 0; d < days; d++) if (random() < chance) out[d]!.push(visitorId(n));
  }
  return out;
}
