import { describe, expect, it } from "vitest";
import { generateTraffic, maxInAnyWindow, slidingLogLimit } from "../../../src/patterns/ratelimit/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis, prefix } = usePrefixedRedis("sliding-log");
const T = Date.UTC(2024, 0, 15, 10, 30, 0);
const key = () => `${prefix()}:{user123}`;

describe("slidingLogLimit", () => {
  it("stores two requests of the same millisecond as two entries", async () => {
    const opts = { limit: 5, windowMs: 1000, now: T };
    await slidingLogLimit(redis(), key(), { ...opts, requestId: "1" });
    const r = await slidingLogLimit(redis(), key(), { ...opts, requestId: "2" });
    expect(r).toEqual({ allowed: true, count: 2, remaining: 3, oldestAt: T, now: T });
    expect(await redis().zrange(key(), 0, -1)).toEqual([`${T}-1`, `${T}-2`]);
  });

  it("does not log rejected requests, and admits again once the oldest entry leaves the window", async () => {
    const opts = { limit: 2, windowMs: 1000 };
    const run = (now: number, requestId: string) => slidingLogLimit(redis(), key(), { ...opts, now, requestId });
    expect((await run(T, "a")).allowed).toBe(true);
    expect((await run(T + 400, "b")).allowed).toBe(true);
    for (let i = 0; i < 5; i++) expect(await run(T + 500 + i, `retry${i}`)).toMatchObject({ allowed: false, count: 2 });
    expect(await redis().zcard(key())).toBe(2);
    // At T + 999 the first entry is still inside (T + 999 < T + 1000); at T + 1000 it has left.
    expect(await run(T + 999, "c")).toMatchObject({ allowed: false, count: 2, oldestAt: T });
    expect(await run(T + 1000, "d")).toEqual({
      allowed: true,
      count: 2,
      remaining: 0,
      oldestAt: T + 400,
      now: T + 1000,
    });
  });

  it("logs one member per unit of cost, and refuses a cost that does not fit", async () => {
    const opts = { limit: 5, windowMs: 1000, now: T };
    expect(await slidingLogLimit(redis(), key(), { ...opts, cost: 3, requestId: "x" })).toMatchObject({ count: 3 });
    expect(await redis().zrange(key(), 0, -1)).toEqual([`${T}-x-1`, `${T}-x-2`, `${T}-x-3`]);
    expect(await slidingLogLimit(redis(), key(), { ...opts, cost: 3, requestId: "y" })).toMatchObject({
      allowed: false,
      count: 3,
      remaining: 2,
    });
  });

  it("reports an empty log as oldestAt null and writes nothing for it", async () => {
    const r = await slidingLogLimit(redis(), key(), { limit: 1, windowMs: 1000, cost: 2, now: T, requestId: "big" });
    expect(r).toEqual({ allowed: false, count: 0, remaining: 1, oldestAt: null, now: T });
    expect(await redis().exists(key())).toBe(0);
  });

  it("expires the log one window (plus padding) after the newest entry", async () => {
    await slidingLogLimit(redis(), key(), { limit: 5, windowMs: 30_000, now: T, ttlPaddingMs: 1000 });
    const pttl = await redis().pttl(key());
    expect(pttl).toBeGreaterThan(30_000);
    expect(pttl).toBeLessThanOrEqual(31_000);
  });

  it("never lets more than the limit into any window, even at the boundary", async () => {
    const windowMs = 60_000;
    const traffic = generateTraffic({ shape: "boundary", requestsPerClient: 200, clients: ["u"], windowMs });
    const allowedAt: number[] = [];
    for (const { at, seq } of traffic) {
      if ((await slidingLogLimit(redis(), key(), { limit: 100, windowMs, now: at, requestId: seq })).allowed) {
        allowedAt.push(at);
      }
    }
    expect(allowedAt).toHaveLength(100);
    expect(maxInAnyWindow(allowedAt, windowMs)).toBe(100);
  });

  it("generates a request id when none is given", async () => {
    await slidingLogLimit(redis(), key(), { limit: 5, windowMs: 1000, now: T });
    await slidingLogLimit(redis(), key(), { limit: 5, windowMs: 1000, now: T });
    expect(await redis().zcard(key())).toBe(2);
  });
});
