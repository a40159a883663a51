import { describe, expect, it } from "vitest";
import {
  countEvent,
  countEventScript,
  dayBucket,
  hourBucket,
  hoursOfDay,
  readCounters,
  supportsExpireNx,
  type CountMode,
} from "../../../src/patterns/analytics/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis, prefix } = usePrefixedRedis("counters");
const T = Date.UTC(2024, 0, 15, 10, 42, 7);

describe("bucket names", () => {
  it("day and hour buckets as in the chapter's keys", () => {
    expect(dayBucket(T)).toBe("2024-01-15");
    expect(hourBucket(T)).toBe("2024-01-15-10");
    expect(hourBucket(Date.UTC(2024, 0, 15, 0, 0, 0))).toBe("2024-01-15-00");
    const hours = hoursOfDay(T);
    expect(hours).toHaveLength(24);
    expect(hours[0]).toBe("2024-01-15-00");
    expect(hours[23]).toBe("2024-01-15-23");
  });

  it("EXPIRE … NX needs Redis 7", () => {
    expect(supportsExpireNx("7.0.15")).toBe(true);
    expect(supportsExpireNx("7.2.4")).toBe(true);
    expect(supportsExpireNx("6.2.14")).toBe(false);
    expect(supportsExpireNx("unknown")).toBe(false);
  });
});

describe.each<CountMode>(["multi", "lua"])("countEvent (%s)", (mode) => {
  it("counts, and sets the expiry with the first event only", async () => {
    const key = `${prefix()}:pageviews:{homepage}:2024-01-15`;
    const first = await countEvent(redis(), key, 100, mode);
    expect(first).toEqual({ count: 1, expirySet: true });
    // Shorten the TTL by hand: a later event must leave it alone (NX / only on count 1), not push it back to 100.
    await redis().expire(key, 50);
    const second = await countEvent(redis(), key, 100, mode);
    expect(second).toEqual({ count: 2, expirySet: false });
    const ttl = await redis().ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(50);
  });

  it("a bucket never exists without an expiry", async () => {
    const key = `${prefix()}:api:calls:user:{123}:2024-01-15-10`;
    for (let i = 0; i < 5; i++) {
      await countEvent(redis(), key, 3_600, mode);
      expect(await redis().ttl(key)).toBeGreaterThan(0);
    }
    expect(await redis().get(key)).toBe("5");
  });
});

describe("readCounters", () => {
  it("one MGET; missing buckets read 0", async () => {
    const keys = ["a", "b", "c"].map((k) => `${prefix()}:{x}:${k}`);
    await redis().set(keys[1]!, "7");
    expect(await readCounters(redis(), keys)).toEqual([0, 7, 0]);
    expect(await readCounters(redis(), [])).toEqual([]);
  });

  it("the script's SHA is what SCRIPT LOAD returns", async () => {
    expect(await redis().call("SCRIPT", "LOAD", countEventScript.lua)).toBe(countEventScript.sha);
  });
});
