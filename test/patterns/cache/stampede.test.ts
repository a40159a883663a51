import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fetchUnprotected,
  fetchWithEarlyExpiry,
  fetchWithLock,
  releaseLockScript,
  seededRandom,
  shouldRecomputeEarly,
  type UserRow,
} from "../../../src/patterns/cache/index.js";
import { plainClient, usePrefixedRedis } from "../../helpers/redis.js";

const { redis, prefix, server } = usePrefixedRedis("cache-stampede");
let clients: Redis[] = [];
beforeAll(() => {
  clients = Array.from({ length: 6 }, () => plainClient(server()));
});
afterAll(() => clients.forEach((c) => c.disconnect()));

const ROW: UserRow = { id: 1, name: "user 1", version: 1 };

/** A loader that takes `ms` and counts its calls: the expensive query. */
function slowLoader(ms: number) {
  const calls = { n: 0 };
  return { calls, load: async () => (calls.n++, await new Promise((r) => setTimeout(r, ms)), ROW) };
}

describe("shouldRecomputeEarly (XFetch)", () => {
  it("recomputes when -delta·β·ln(r) reaches the remaining TTL", () => {
    // -40 · ln(0.5) ≈ 27.7
    expect(shouldRecomputeEarly(40, 1, 27, 0.5)).toBe(true);
    expect(shouldRecomputeEarly(40, 1, 28, 0.5)).toBe(false);
    expect(shouldRecomputeEarly(40, 2, 55, 0.5)).toBe(true);
    expect(shouldRecomputeEarly(40, 1, 1e9, 1e-300)).toBe(false);
  });

  it("recomputes with probability exp(-remaining/delta) (seeded, within 5 standard deviations)", () => {
    const random = seededRandom(11);
    const n = 10_000;
    let yes = 0;
    for (let i = 0; i < n; i++) if (shouldRecomputeEarly(40, 1, 40, random())) yes++;
    const p = Math.exp(-1);
    expect(Math.abs(yes - n * p)).toBeLessThan(5 * Math.sqrt(n * p * (1 - p)));
  });
});

describe("a cold key under concurrent requests", () => {
  it("without protection, every request loads", async () => {
    const { calls, load } = slowLoader(30);
    const key = `${prefix()}:none`;
    const results = await Promise.all(clients.map((c) => fetchUnprotected(c, key, load, { ttlMs: 10_000 })));
    expect(calls.n).toBe(clients.length);
    expect(results.every((r) => r.loaded && r.row?.id === 1)).toBe(true);
  });

  it("with a lock, one request loads and the others wait for its result; the lock is released", async () => {
    const { calls, load } = slowLoader(30);
    const key = `${prefix()}:lock`;
    const lockKey = `${key}:lock`;
    const results = await Promise.all(
      clients.map((c, i) =>
        fetchWithLock(c, key, lockKey, load, {
          ttlMs: 10_000,
          lockTtlMs: 1_000,
          pollMs: 5,
          maxWaitMs: 2_000,
          token: `t${i}`,
        }),
      ),
    );
    expect(calls.n).toBe(1);
    expect(results.filter((r) => r.loaded)).toHaveLength(1);
    expect(results.filter((r) => r.waited && r.hit)).toHaveLength(clients.length - 1);
    expect(results.every((r) => r.row?.id === 1)).toBe(true);
    expect(await redis().exists(lockKey)).toBe(0);
  });

  it("a waiter takes over when the holder's lock has expired (the holder died)", async () => {
    const key = `${prefix()}:orphan`;
    const lockKey = `${key}:lock`;
    await redis().set(lockKey, "dead-holder", "PX", 50);
    const { calls, load } = slowLoader(1);
    const r = await fetchWithLock(redis(), key, lockKey, load, {
      ttlMs: 10_000,
      lockTtlMs: 50,
      pollMs: 10,
      maxWaitMs: 2_000,
      token: "me",
    });
    expect(r).toMatchObject({ loaded: true, waited: true });
    expect(calls.n).toBe(1);
  });

  it("the release script deletes only its own lock", async () => {
    const lockKey = `${prefix()}:l`;
    await redis().set(lockKey, "other");
    expect(
      await redis()
        .evalsha(releaseLockScript.sha, 1, lockKey, "me")
        .catch(() => redis().eval(releaseLockScript.lua, 1, lockKey, "me")),
    ).toBe(0);
    expect(await redis().get(lockKey)).toBe("other");
  });
});

describe("probabilistic early expiry", () => {
  it("serves the entry while far from expiry, recomputes early near it, and loads a missing one", async () => {
    const key = `${prefix()}:xf`;
    const { calls, load } = slowLoader(1);
    const never = () => 0.999999;
    const always = () => 0; // ln(0) = -∞: recompute whatever the TTL left
    expect((await fetchWithEarlyExpiry(redis(), key, load, { ttlMs: 10_000, beta: 1, random: never })).loaded).toBe(
      true,
    );
    const hit = await fetchWithEarlyExpiry(redis(), key, load, { ttlMs: 10_000, beta: 1, random: never });
    expect(hit).toMatchObject({ hit: true, early: false });
    expect(hit.remainingMs).toBeGreaterThan(9_000);
    const early = await fetchWithEarlyExpiry(redis(), key, load, { ttlMs: 10_000, beta: 1, random: always });
    expect(early).toMatchObject({ loaded: true, early: true });
    expect(calls.n).toBe(2);
  });
});
