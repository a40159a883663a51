import { describe, expect, it } from "vitest";
import { tokenBucketLimit } from "../../../src/patterns/ratelimit/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis, prefix } = usePrefixedRedis("token-bucket");
const T = Date.UTC(2024, 0, 15, 10, 30, 0);
const key = () => `${prefix()}:{user123}`;

describe("tokenBucketLimit", () => {
  it("starts full, drains without going negative, tells when to retry, and refills", async () => {
    const take = (now: number, cost = 1) => tokenBucketLimit(redis(), key(), { ratePerSec: 1, burst: 2, cost, now });
    const results = [await take(T), await take(T), await take(T), await take(T + 500), await take(T + 1000)];
    expect(results.map((r) => [r.allowed, r.tokens, r.retryAfterMs])).toEqual([
      [true, 1, 0],
      [true, 0, 0],
      [false, 0, 1000],
      [false, 0.5, 500],
      [true, 0, 0],
    ]);
    expect(await redis().hgetall(key())).toEqual({ tokens: "0", ts: String(T + 1000) });
  });

  it("always rejects a cost larger than the burst, and writes nothing for it", async () => {
    const r = await tokenBucketLimit(redis(), key(), { ratePerSec: 10, burst: 5, cost: 6, now: T });
    expect(r).toEqual({ allowed: false, tokens: 5, retryAfterMs: -1, now: T });
    expect(await redis().exists(key())).toBe(0);
  });

  it("expires the bucket when it would be full again: an absent key is a full bucket", async () => {
    const opts = { ratePerSec: 2, burst: 5, now: T };
    await tokenBucketLimit(redis(), key(), opts); // 4 left: full again in 500 ms
    let pttl = await redis().pttl(key());
    expect(pttl).toBeGreaterThan(400);
    expect(pttl).toBeLessThanOrEqual(500);
    await tokenBucketLimit(redis(), key(), { ...opts, cost: 2, ttlPaddingMs: 1000 }); // 2 left: 1500 ms + 1000
    pttl = await redis().pttl(key());
    expect(pttl).toBeGreaterThan(2400);
    expect(pttl).toBeLessThanOrEqual(2500);
  });

  it("deletes the key instead of setting a TTL of zero", async () => {
    // A cost so small next to the burst that burst - cost rounds back to burst: the bucket stays full.
    const r = await tokenBucketLimit(redis(), key(), { ratePerSec: 1, burst: 2 ** 53, cost: 0.5, now: T });
    expect(r).toMatchObject({ allowed: true, tokens: 2 ** 53 });
    expect(await redis().exists(key())).toBe(0);
  });

  it("stores fractional tokens so they round-trip exactly", async () => {
    const opts = { ratePerSec: 3.7, burst: 5 };
    await tokenBucketLimit(redis(), key(), { ...opts, now: T, cost: 4 });
    const r = await tokenBucketLimit(redis(), key(), { ...opts, now: T + 123 });
    expect(r).toMatchObject({ allowed: true, tokens: Math.min(5, 1 + (123 * 3.7) / 1000) - 1 });
    expect(r.tokens).not.toBe(0.4551); // the float noise survives the trip: nothing was rounded away
    expect(Number(await redis().hget(key(), "tokens"))).toBe(r.tokens);
  });

  it("does not refill for a clock that steps back", async () => {
    const opts = { ratePerSec: 2, burst: 2 };
    await tokenBucketLimit(redis(), key(), { ...opts, now: T + 10_000 });
    expect(await tokenBucketLimit(redis(), key(), { ...opts, now: T })).toMatchObject({ allowed: true, tokens: 0 });
    expect(await redis().hget(key(), "ts")).toBe(String(T + 10_000));
    expect(await tokenBucketLimit(redis(), key(), { ...opts, now: T + 10_100 })).toMatchObject({
      allowed: false,
      tokens: 0.2,
    });
  });
});
