import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import {
  acquireLock,
  extendLock,
  LockLostError,
  newLockToken,
  startWatchdog,
  type LockWatchdog,
} from "../../../src/patterns/lock/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis, prefix } = usePrefixedRedis("lock-watchdog");

/** The reason the watchdog's signal aborts with, once it does. */
function lost(watchdog: LockWatchdog): Promise<unknown> {
  return new Promise((resolve) => {
    if (watchdog.signal.aborted) resolve(watchdog.signal.reason);
    else watchdog.signal.addEventListener("abort", () => resolve(watchdog.signal.reason), { once: true });
  });
}

describe("extendLock", () => {
  it("resets the owner's TTL and refuses another token", async () => {
    const key = `${prefix()}:{r}:lock`;
    const owner = newLockToken();
    await acquireLock(redis(), key, { token: owner, ttlMs: 1_000 });
    expect(await extendLock(redis(), key, owner, 60_000)).toBe(true);
    expect(await redis().pttl(key)).toBeGreaterThan(1_000);
    expect(await extendLock(redis(), key, newLockToken(), 600_000)).toBe(false);
    expect(await redis().pttl(key)).toBeLessThanOrEqual(60_000);
    expect(await redis().get(key)).toBe(owner);
  });

  it("answers false when the lock is gone, and does not create it", async () => {
    const key = `${prefix()}:{r}:lock`;
    expect(await extendLock(redis(), key, newLockToken(), 1_000)).toBe(false);
    expect(await redis().exists(key)).toBe(0);
  });
});

describe("startWatchdog", () => {
  it("keeps a lock alive well past its TTL, then stops renewing when told", async () => {
    const key = `${prefix()}:{r}:lock`;
    const owner = newLockToken();
    const ttlMs = 300; // renewals every 100 ms: 200 ms of slack for a late timer on a busy machine
    await acquireLock(redis(), key, { token: owner, ttlMs });
    let renewed = 0;
    const watchdog = startWatchdog(redis(), key, owner, { ttlMs, onRenew: (n) => (renewed = n) });
    await new Promise((r) => setTimeout(r, 3 * ttlMs)); // real time: Redis expires on its own clock
    expect(await redis().get(key)).toBe(owner);
    expect(watchdog.renewals).toBeGreaterThanOrEqual(1);
    expect(renewed).toBe(watchdog.renewals);
    expect(watchdog.signal.aborted).toBe(false);
    await watchdog.stop();
    const after = watchdog.renewals;
    await new Promise((r) => setTimeout(r, 2 * ttlMs));
    expect(watchdog.renewals).toBe(after);
    expect(await redis().exists(key)).toBe(0); // no renewals since stop: it expired
    expect(watchdog.signal.aborted).toBe(false);
  });

  it("tells the holder with a LockLostError when a renewal finds the lock taken", async () => {
    const key = `${prefix()}:{r}:lock`;
    const owner = newLockToken();
    await acquireLock(redis(), key, { token: owner, ttlMs: 10_000 });
    const watchdog = startWatchdog(redis(), key, owner, { ttlMs: 10_000, intervalMs: 10 });
    // Someone else's lock now: deleted and re-taken behind the holder's back.
    await redis().del(key);
    await acquireLock(redis(), key, { token: "intruder", ttlMs: 10_000 });
    const reason = await lost(watchdog);
    expect(reason).toBeInstanceOf(LockLostError);
    expect((reason as LockLostError).why).toBe("taken");
    expect((reason as LockLostError).key).toBe(key);
    expect(await redis().get(key)).toBe("intruder"); // its renewal did not touch the new owner's lock
    await watchdog.stop();
  });

  it("tells the holder when its connection is cut", async () => {
    const key = `${prefix()}:{r}:lock`;
    const owner = newLockToken();
    const { host, port } = redis().options;
    const holder = new Redis({ host, port, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    holder.on("error", () => {});
    await holder.connect();
    await acquireLock(holder, key, { token: owner, ttlMs: 10_000 });
    const watchdog = startWatchdog(holder, key, owner, { ttlMs: 10_000, intervalMs: 10 });
    holder.disconnect();
    const reason = await lost(watchdog);
    expect(reason).toBeInstanceOf(LockLostError);
    expect((reason as LockLostError).why).toBe("error");
    await watchdog.stop();
  });
});
