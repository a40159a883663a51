import { describe, expect, it } from "vitest";
import {
  acquireFencedLock,
  newLockToken,
  readFenced,
  releaseLock,
  writeFenced,
} from "../../../src/patterns/lock/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis, prefix } = usePrefixedRedis("lock-fencing");

describe("acquireFencedLock", () => {
  it("hands out 1, 2, 3 … one per acquisition, and nothing while the lock is held", async () => {
    const lock = `${prefix()}:{r}:lock`;
    const fence = `${prefix()}:{r}:fence`;
    const tokens: number[] = [];
    for (let i = 0; i < 3; i++) {
      const owner = newLockToken();
      const got = await acquireFencedLock(redis(), lock, fence, { token: owner, ttlMs: 10_000 });
      expect(got).not.toBeNull();
      tokens.push(got!);
      // While held: refused, and the counter does not move.
      expect(await acquireFencedLock(redis(), lock, fence, { token: newLockToken(), ttlMs: 10_000 })).toBeNull();
      expect(await releaseLock(redis(), lock, owner)).toBe(true);
    }
    expect(tokens).toEqual([1, 2, 3]);
    expect(await redis().get(fence)).toBe("3");
    expect(await redis().pttl(fence)).toBe(-1); // the counter never expires: tokens must not restart
  });

  it("refuses a lock and a counter in different hash tags", async () => {
    await expect(
      acquireFencedLock(redis(), `${prefix()}:{a}:lock`, `${prefix()}:{b}:fence`, { token: "t", ttlMs: 1_000 }),
    ).rejects.toThrow(/hash tag/);
  });
});

describe("writeFenced", () => {
  it("accepts the same or a newer token, refuses an older one, and keeps the highest", async () => {
    const resource = `${prefix()}:{r}:resource`;
    expect(await readFenced(redis(), resource)).toEqual({ value: null, fence: 0 });
    expect(await writeFenced(redis(), resource, 5, "a")).toEqual({ accepted: true, highest: 5 });
    expect(await writeFenced(redis(), resource, 5, "b")).toEqual({ accepted: true, highest: 5 });
    expect(await writeFenced(redis(), resource, 4, "stale")).toEqual({ accepted: false, highest: 5 });
    expect(await readFenced(redis(), resource)).toEqual({ value: "b", fence: 5 });
    expect(await writeFenced(redis(), resource, 9, "c")).toEqual({ accepted: true, highest: 9 });
    expect(await writeFenced(redis(), resource, 6, "stale")).toEqual({ accepted: false, highest: 9 });
    expect(await readFenced(redis(), resource)).toEqual({ value: "c", fence: 9 });
  });

  it("rejects a token that is not a positive whole number", async () => {
    await expect(writeFenced(redis(), `${prefix()}:x`, 0, "v")).rejects.toThrow(RangeError);
  });
});
