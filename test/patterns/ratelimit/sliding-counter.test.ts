import { describe, expect, it } from "vitest";
import { alignedStart, fixedWindowLabel, slidingCounterLimit } from "../../../src/patterns/ratelimit/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis, prefix } = usePrefixedRedis("sliding-counter");
const W = 1000;
const T = alignedStart(W);
const keys = (now: number) =>
  [
    `${prefix()}:{user123}:${fixedWindowLabel(now, W)}`,
    `${prefix()}:{user123}:${fixedWindowLabel(now - W, W)}`,
  ] as const;
const limit = (now: number, extra: { cost?: number; ttlPaddingMs?: number } = {}) =>
  slidingCounterLimit(redis(), ...keys(now), { limit: 10, windowMs: W, now, ...extra });

describe("slidingCounterLimit", () => {
  it("fills the window, then weights it as the previous one (a quarter in: 75% of it still counts)", async () => {
    for (let i = 0; i < 10; i++) expect((await limit(T + i)).allowed).toBe(true);
    expect(await limit(T + 10)).toMatchObject({ allowed: false, estimate: 10, current: 10, previous: 0 });
    const next = [await limit(T + W + 250), await limit(T + W + 250), await limit(T + W + 250)];
    expect(next).toEqual([
      { allowed: true, estimate: 7.5, current: 1, previous: 10, weight: 0.75, now: T + W + 250 },
      { allowed: true, estimate: 8.5, current: 2, previous: 10, weight: 0.75, now: T + W + 250 },
      { allowed: false, estimate: 9.5, current: 2, previous: 10, weight: 0.75, now: T + W + 250 },
    ]);
  });

  it("returns fractions exactly, not truncated to integers", async () => {
    for (let i = 0; i < 3; i++) await limit(T);
    const r = await limit(T + W + 333);
    expect(r.weight).toBe(0.667);
    expect(r.estimate).toBe(3 * 0.667 + 0);
  });

  it("does not count rejected requests", async () => {
    await limit(T, { cost: 9 });
    expect(await limit(T + 1, { cost: 2 })).toMatchObject({ allowed: false, current: 9 });
    expect(await limit(T + 2, { cost: 1 })).toMatchObject({ allowed: true, current: 10 });
    expect(await redis().get(keys(T)[0])).toBe("10");
  });

  it("keeps the counter two windows (plus padding), long enough to serve as the previous one", async () => {
    await limit(T, { ttlPaddingMs: 500 });
    const pttl = await redis().pttl(keys(T)[0]);
    expect(pttl).toBeGreaterThan(2 * W + 500 - 200);
    expect(pttl).toBeLessThanOrEqual(2 * W + 500);
    expect(await redis().exists(keys(T)[1])).toBe(0); // the previous counter is only read
  });
});
