import type { RedisCaller } from "../../redis/types.js";

/**
 * A tie-break by time packed into the score: `score × 2^bits + (2^bits − 1 − (achievedAt − epoch))`. Higher game
 * scores still win; between equal game scores the earlier arrival has the larger low part, so it ranks first.
 *
 * Redis scores are IEEE doubles: every integer up to 2^53 is exact, beyond that only every 2nd, 4th, … integer
 * exists. The composite is exact while `score ≤ 2^(53 − bits) − 1` ({@link maxExactScore}); past that, two
 * different composites can round to the same double and the time tie-break silently disappears.
 */
export interface TieBreakConfig {
  /** Bits kept for the time: 32 bits of milliseconds cover 49.7 days (a season). */
  bits: number;
  /** Start of the season, ms since the Unix epoch; `achievedAt` must fall within 2^bits ms after it. */
  epoch: number;
}

/** 2^53 = 9,007,199,254,740,992: doubles hold every integer up to here, and beyond it only every 2nd, 4th, … */
export const MAX_EXACT_INTEGER = 2n ** 53n;

/** The biggest game score whose composite is still exact: 2^(53 − bits) − 1 (2,097,151 with 32 time bits). */
export function maxExactScore(config: Pick<TieBreakConfig, "bits">): number {
  return 2 ** (53 - config.bits) - 1;
}

/** The composite as an exact integer (a BigInt: the point is that a JS number, a double, cannot always hold it). */
export function compositeScore(score: number, achievedAt: number, config: TieBreakConfig): bigint {
  if (!Number.isSafeInteger(score) || score < 0)
    throw new RangeError(`score must be a non-negative integer, got ${score}`);
  const offset = achievedAt - config.epoch;
  const span = 2n ** BigInt(config.bits);
  if (!Number.isSafeInteger(offset) || offset < 0 || BigInt(offset) >= span) {
    throw new RangeError(`achievedAt must be within 2^${config.bits} ms after the epoch, got ${offset} ms`);
  }
  return BigInt(score) * span + (span - 1n - BigInt(offset));
}

/** Back from a composite to the game score and the time it was reached (exact only for exact composites). */
export function decodeComposite(composite: bigint, config: TieBreakConfig): { score: number; achievedAt: number } {
  const span = 2n ** BigInt(config.bits);
  return { score: Number(composite / span), achievedAt: config.epoch + Number(span - 1n - (composite % span)) };
}

/**
 * The double a decimal integer becomes when Redis parses it (strtod rounds to the nearest, ties to even, as JS does).
 */
export function asDouble(value: bigint): number {
  return Number(value);
}

/**
 * Redis's ZSCORE reply as an exact integer when it is one (Redis prints integral doubles in full, e.g.
 * "18014398509481984").
 */
export function parseCompositeReply(reply: string): bigint {
  if (/^-?\d+$/.test(reply)) return BigInt(reply);
  const value = Number(reply);
  if (!Number.isFinite(value) || !Number.isInteger(value)) throw new RangeError(`not an integral score: ${reply}`);
  return BigInt(value);
}

/**
 * Record a score with the time tie-break: ZADD key <composite> player, the composite sent as its exact decimal
 * integer, so what Redis stores is Redis's own rounding of it. Returns the exact composite that was sent.
 * Pro: one sorted set, one ZREVRANGE still gives the order. Con: exact only up to {@link maxExactScore}; ZINCRBY
 * must add points × 2^bits and then keeps the time of the first score, not the latest.
 */
export async function submitWithTieBreak(
  redis: RedisCaller,
  key: string,
  player: string,
  score: number,
  achievedAt: number,
  config: TieBreakConfig,
): Promise<bigint> {
  const composite = compositeScore(score, achievedAt, config);
  await redis.call("ZADD", key, composite.toString(), player);
  return composite;
}

/**
 * Keep a player's best score: ZADD key GT CH score player. GT updates an existing member only when the new score
 * is greater (new members are always added); CH makes the reply count updated members, so it says whether this
 * submission became the best. Redis ≥ 6.2.
 * Pro: atomic in one command; no read-compare-write in the app that two submissions could interleave.
 * Con: a best-ever score only; a score that may go down (a rating) needs plain ZADD or ZINCRBY.
 */
export async function keepBestScore(redis: RedisCaller, key: string, player: string, score: number): Promise<boolean> {
  return Number(await redis.call("ZADD", key, "GT", "CH", String(score), player)) === 1;
}

/**
 * Two arrival times 1 ms apart, at or shortly after `from`, whose composites for `score` differ as integers but
 * round to the same double: the demonstration that the tie-break breaks. Null when the score is small enough for
 * every composite to be exact (then no two ever collide).
 */
export function collidingArrivals(
  score: number,
  from: number,
  config: TieBreakConfig,
): [earlier: number, later: number] | null {
  if (score <= maxExactScore(config)) return null;
  for (let t = from; t < from + 64; t++) {
    if (asDouble(compositeScore(score, t, config)) === asDouble(compositeScore(score, t + 1, config)))
      return [t, t + 1];
  }
  return null;
}
