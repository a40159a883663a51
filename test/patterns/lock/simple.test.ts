import { describe, expect, it } from "vitest";
import {
  acquireLock,
  backoffDelay,
  newLockToken,
  pause,
  releaseLock,
  waitForLock,
} from "../../../src/patterns/lock/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis, prefix } = usePrefixedRedis("lock-simple");

describe("acquireLock / releaseLock", () => {
  it("SET NX PX: the first owner gets it with the TTL, a second is refused while it is held", async () => {
    const key = `${prefix()}:{r}:lock`;
    const a = newLockToken();
    const b = newLockToken();
    expect(a).not.toBe(b);
    expect(await acquireLock(redis(), key, { token: a, ttlMs: 10_000 })).toBe(true);
    expect(await acquireLock(redis(), key, { token: b, ttlMs: 10_000 })).toBe(false);
    expect(await redis().get(key)).toBe(a);
    const pttl = await redis().pttl(key);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(10_000);
  });

  it("release deletes only the owner's lock: another token answers false and leaves it", async () => {
    const key = `${prefix()}:{r}:lock`;
    const owner = newLockToken();
    await acquireLock(redis(), key, { token: owner, ttlMs: 10_000 });
    expect(await releaseLock(redis(), key, newLockToken())).toBe(false);
    expect(await redis().get(key)).toBe(owner);
    expect(await releaseLock(redis(), key, owner)).toBe(true);
    expect(await redis().exists(key)).toBe(0);
    // Releasing again (the lock is gone) is harmless.
    expect(await releaseLock(redis(), key, owner)).toBe(false);
  });

  it("a late release after the lock expired and was re-taken leaves the new owner's lock", async () => {
    const key = `${prefix()}:{r}:lock`;
    const first = newLockToken();
    const second = newLockToken();
    await acquireLock(redis(), key, { token: first, ttlMs: 10_000 });
    // Expire it at once on the server (rather than waiting): PEXPIRE 0 deletes the key.
    await redis().pexpire(key, 0);
    expect(await acquireLock(redis(), key, { token: second, ttlMs: 10_000 })).toBe(true);
    expect(await releaseLock(redis(), key, first)).toBe(false);
    expect(await redis().get(key)).toBe(second);
  });

  it("rejects a TTL that is not a positive whole number", async () => {
    await expect(acquireLock(redis(), `${prefix()}:x`, { token: "t", ttlMs: 0 })).rejects.toThrow(RangeError);
    await expect(acquireLock(redis(), `${prefix()}:x`, { token: "t", ttlMs: 1.5 })).rejects.toThrow(RangeError);
  });
});

describe("waitForLock", () => {
  it("retries until the holder releases, and counts the attempts", async () => {
    const key = `${prefix()}:{r}:lock`;
    const holder = newLockToken();
    const waiter = newLockToken();
    await acquireLock(redis(), key, { token: holder, ttlMs: 10_000 });
    let refusals = 0;
    const result = await waitForLock(
      async () => {
        const got = await acquireLock(redis(), key, { token: waiter, ttlMs: 10_000 });
        if (!got && ++refusals === 3) await releaseLock(redis(), key, holder); // the holder finishes after 3 refusals
        return got ? waiter : null;
      },
      { initialDelayMs: 1, maxDelayMs: 4, timeoutMs: 10_000 },
    );
    expect(result.grant).toBe(waiter);
    expect(result.attempts).toBe(4);
    expect(result.waitedMs).toBeGreaterThan(0);
    expect(await redis().get(key)).toBe(waiter);
  });

  it("gives up after the timeout with no grant", async () => {
    const result = await waitForLock(async () => null, { initialDelayMs: 1, maxDelayMs: 2, timeoutMs: 20 });
    expect(result.grant).toBeNull();
    expect(result.attempts).toBeGreaterThan(1);
    expect(result.waitedMs).toBeGreaterThanOrEqual(20);
  });

  it("stops when its signal aborts", async () => {
    const controller = new AbortController();
    const reason = new Error("stop");
    const waiting = waitForLock(
      async () => {
        controller.abort(reason);
        return null;
      },
      { initialDelayMs: 1_000, maxDelayMs: 1_000, timeoutMs: 60_000, signal: controller.signal },
    );
    await expect(waiting).rejects.toBe(reason);
  });

  it("backs off exponentially up to the cap", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, { initialDelayMs: 1, maxDelayMs: 16 }))).toEqual([
      1, 2, 4, 8, 16, 16, 16,
    ]);
  });

  it("pause rejects with the signal's reason", async () => {
    const controller = new AbortController();
    const waiting = pause(60_000, controller.signal);
    controller.abort(new Error("lost"));
    await expect(waiting).rejects.toThrow("lost");
  });
});
