import { describe, expect, it } from "vitest";
import {
  alignedStart,
  fixedWindowIndex,
  fixedWindowLabel,
  fixedWindowLimit,
  generateTraffic,
  maxInAnyWindow,
} from "../../../src/patterns/ratelimit/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis, prefix } = usePrefixedRedis("fixed-window");
const MINUTE = 60_000;
const T = alignedStart(MINUTE); // 2024-01-15 10:30:00 UTC
const keyAt = (now: number, windowMs = MINUTE) => `${prefix()}:{user123}:${fixedWindowLabel(now, windowMs)}`;

describe("fixedWindowIndex / fixedWindowLabel", () => {
  it("labels minute-or-longer windows by their UTC start minute, shorter ones by index", () => {
    expect(fixedWindowLabel(T + 59_999, MINUTE)).toBe("202401151030");
    expect(fixedWindowLabel(T + 60_000, MINUTE)).toBe("202401151031");
    expect(fixedWindowLabel(T + 20 * MINUTE, 3_600_000)).toBe("202401151000");
    expect(fixedWindowLabel(10_500, 1000)).toBe("10");
    expect(fixedWindowIndex(10_500, 1000)).toBe(10);
  });
});

describe("fixedWindowLimit", () => {
  it("allows up to the limit, then rejects (still counting), and starts over in the next window", async () => {
    const opts = { limit: 3, windowMs: MINUTE };
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await fixedWindowLimit(redis(), keyAt(T + i), { ...opts, now: T + i }));
    expect(results.map((r) => [r.allowed, r.count, r.remaining])).toEqual([
      [true, 1, 2],
      [true, 2, 1],
      [true, 3, 0],
      [false, 4, 0],
      [false, 5, 0],
    ]);
    expect(results[0]!.resetAt).toBe(T + MINUTE);
    const next = await fixedWindowLimit(redis(), keyAt(T + MINUTE), { ...opts, now: T + MINUTE });
    expect(next).toEqual({ allowed: true, count: 1, remaining: 2, resetAt: T + 2 * MINUTE, now: T + MINUTE });
  });

  it("counts a request's cost", async () => {
    const r = await fixedWindowLimit(redis(), keyAt(T), { limit: 5, windowMs: MINUTE, cost: 4, now: T });
    expect(r).toMatchObject({ allowed: true, count: 4, remaining: 1 });
    const s = await fixedWindowLimit(redis(), keyAt(T), { limit: 5, windowMs: MINUTE, cost: 2, now: T });
    expect(s).toMatchObject({ allowed: false, count: 6, remaining: 0 });
  });

  it("sets the expiry when it creates the counter, even with a cost above 1, and never extends it", async () => {
    const key = keyAt(T);
    await fixedWindowLimit(redis(), key, { limit: 5, windowMs: MINUTE, cost: 3, now: T, ttlPaddingMs: 5000 });
    const first = await redis().pttl(key);
    expect(first).toBeGreaterThan(MINUTE + 5000 - 1000);
    expect(first).toBeLessThanOrEqual(MINUTE + 5000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await fixedWindowLimit(redis(), key, { limit: 5, windowMs: MINUTE, now: T + 1, ttlPaddingMs: 5000 });
    expect(await redis().pttl(key)).toBeLessThan(first);
  });

  it("lets 2 × limit through in one second at the window edge (the chapter's 100/min, 200 requests)", async () => {
    const traffic = generateTraffic({
      shape: "boundary",
      requestsPerClient: 200,
      clients: ["user123"],
      windowMs: MINUTE,
    });
    const allowedAt: number[] = [];
    for (const { at } of traffic) {
      const r = await fixedWindowLimit(redis(), keyAt(at), { limit: 100, windowMs: MINUTE, now: at });
      if (r.allowed) allowedAt.push(at);
    }
    expect(allowedAt).toHaveLength(200);
    expect(allowedAt.at(-1)! - allowedAt[0]!).toBeLessThan(1000);
    expect(maxInAnyWindow(allowedAt, MINUTE)).toBe(200);
    // Two counters, both with an expiry.
    for (const key of [keyAt(T), keyAt(T + MINUTE)]) expect(await redis().pttl(key)).toBeGreaterThan(0);
  });

  it("rejects bad options before talking to Redis", async () => {
    await expect(fixedWindowLimit(redis(), keyAt(T), { limit: 0, windowMs: MINUTE, now: T })).rejects.toThrow(/limit/);
    await expect(fixedWindowLimit(redis(), keyAt(T), { limit: 1, windowMs: 1.5, now: T })).rejects.toThrow(/windowMs/);
    expect(await redis().exists(keyAt(T))).toBe(0);
  });
});
