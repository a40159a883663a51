import { describe, expect, it } from "vitest";
import {
  MAX_EXACT_INTEGER,
  asDouble,
  collidingArrivals,
  compositeScore,
  decodeComposite,
  keepBestScore,
  maxExactScore,
  parseCompositeReply,
  playerScore,
  submitWithTieBreak,
  type TieBreakConfig,
} from "../../../src/patterns/leaderboard/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis, prefix } = usePrefixedRedis("lb-ties");
const SEASON: TieBreakConfig = { bits: 32, epoch: Date.UTC(2024, 0, 1) };
const T = Date.UTC(2024, 0, 15, 10, 30);

describe("compositeScore (pure)", () => {
  it("orders by score first, then the earlier arrival higher, and decodes back", () => {
    const early = compositeScore(100, T, SEASON);
    const late = compositeScore(100, T + 1, SEASON);
    expect(early).toBe(late + 1n);
    expect(compositeScore(101, SEASON.epoch + 2 ** 32 - 1, SEASON)).toBeGreaterThan(
      compositeScore(100, SEASON.epoch, SEASON),
    );
    expect(decodeComposite(early, SEASON)).toEqual({ score: 100, achievedAt: T });
    expect(() => compositeScore(1, SEASON.epoch - 1, SEASON)).toThrow(RangeError);
    expect(() => compositeScore(1, SEASON.epoch + 2 ** 32, SEASON)).toThrow(RangeError);
    expect(() => compositeScore(1.5, T, SEASON)).toThrow(RangeError);
  });

  it("is exact up to maxExactScore and not beyond: the largest composite crosses 2^53 right there", () => {
    const max = maxExactScore(SEASON);
    expect(max).toBe(2 ** 21 - 1);
    const last = SEASON.epoch; // offset 0 gives the largest low part
    expect(compositeScore(max, last, SEASON)).toBeLessThanOrEqual(MAX_EXACT_INTEGER);
    expect(compositeScore(max + 1, last, SEASON)).toBeGreaterThan(MAX_EXACT_INTEGER);
    expect(collidingArrivals(max, T, SEASON)).toBeNull();
    const pair = collidingArrivals(3_000_000, T, SEASON)!;
    expect(pair[1] - pair[0]).toBe(1);
    const [a, b] = pair.map((t) => compositeScore(3_000_000, t, SEASON));
    expect(a).not.toBe(b);
    expect(asDouble(a!)).toBe(asDouble(b!));
  });

  it("parses Redis's ZSCORE replies as exact integers", () => {
    expect(parseCompositeReply("12884904935567292")).toBe(12884904935567292n);
    expect(parseCompositeReply("1e+20")).toBe(10n ** 20n);
    expect(() => parseCompositeReply("1.5")).toThrow(RangeError);
  });
});

describe("the composite in Redis", () => {
  it("below 2^53 every composite is stored exactly: two arrivals 1 ms apart stay apart, earlier first", async () => {
    const key = `${prefix()}:{lb}:below`;
    const a = await submitWithTieBreak(redis(), key, "player:zoe", maxExactScore(SEASON), T + 1, SEASON);
    const b = await submitWithTieBreak(redis(), key, "player:amy", maxExactScore(SEASON), T, SEASON);
    expect(parseCompositeReply((await redis().zscore(key, "player:zoe"))!)).toBe(a);
    expect(parseCompositeReply((await redis().zscore(key, "player:amy"))!)).toBe(b);
    expect(await redis().zrevrange(key, 0, -1)).toEqual(["player:amy", "player:zoe"]);
  });

  it("beyond 2^53 two different composites are stored as the same double, and the name decides again", async () => {
    const key = `${prefix()}:{lb}:beyond`;
    const [earlier, later] = collidingArrivals(3_000_000, T, SEASON)!;
    const a = await submitWithTieBreak(redis(), key, "player:amy", 3_000_000, earlier, SEASON);
    const z = await submitWithTieBreak(redis(), key, "player:zoe", 3_000_000, later, SEASON);
    expect(a).not.toBe(z);
    const [sa, sz] = [await redis().zscore(key, "player:amy"), await redis().zscore(key, "player:zoe")];
    expect(sa).toBe(sz);
    expect(BigInt(sa!)).toBe(BigInt(asDouble(a)));
    expect(await redis().zrevrange(key, 0, -1)).toEqual(["player:zoe", "player:amy"]);
  });
});

describe("keepBestScore (ZADD GT CH)", () => {
  it("adds a new player, ignores lower submissions, raises on higher ones, and says which", async () => {
    const key = `${prefix()}:{lb}:best`;
    const replies = [];
    for (const s of [1_200, 900, 1_500, 1_400, 1_500]) replies.push(await keepBestScore(redis(), key, "player:amy", s));
    expect(replies).toEqual([true, false, true, false, false]);
    expect(await playerScore(redis(), key, "player:amy")).toBe(1_500);
  });
});
