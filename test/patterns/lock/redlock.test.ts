import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  acquireRedlock,
  clockDrift,
  newLockToken,
  redlockQuorum,
  redlockRetryDelay,
  releaseRedlock,
  seededRandom,
  tryRedlock,
  type RedlockNode,
} from "../../../src/patterns/lock/index.js";
import { plainClient, testPrefix, useRedisServers } from "../../helpers/redis.js";

/** Five independent local masters; the tests stop some of them as they go (the order of the tests matters). */
const servers = useRedisServers(5);
let clients: Redis[] = [];
let nodes: RedlockNode[] = [];
const prefix = testPrefix("redlock");
let n = 0;
const key = () => `${prefix}:lock:${++n}`;

beforeAll(() => {
  clients = servers().map((s) => plainClient(s, { maxRetriesPerRequest: 0, commandTimeout: 500 }));
  for (const c of clients) c.on("error", () => {});
  nodes = clients.map((redis, i) => ({ label: `node-${i + 1}`, redis }));
});
afterAll(() => {
  clients.forEach((c) => c.disconnect());
});

async function holders(k: string): Promise<(string | null)[]> {
  return Promise.all(clients.map((c) => (c.status === "ready" ? c.get(k) : Promise.resolve(null))));
}

describe("the arithmetic", () => {
  it("quorum is a majority, drift is 1% + 2 ms, retry delays are seeded and within [d/2, 1.5d)", () => {
    expect([3, 4, 5, 6, 7].map(redlockQuorum)).toEqual([2, 3, 3, 4, 4]);
    expect(clockDrift(10_000)).toBe(102);
    const a = seededRandom(7);
    const b = seededRandom(7);
    const delays = Array.from({ length: 50 }, () => redlockRetryDelay(100, a));
    expect(delays).toEqual(Array.from({ length: 50 }, () => redlockRetryDelay(100, b)));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...delays)).toBeLessThanOrEqual(150);
  });

  it("refuses fewer than 3 nodes", async () => {
    await expect(tryRedlock(nodes.slice(0, 2), key(), { token: "t", ttlMs: 1000 })).rejects.toThrow(/at least 3/);
  });
});

describe("Redlock on 5 local masters", () => {
  it("all up: every node votes; validity = TTL − elapsed − drift; the release deletes it everywhere", async () => {
    const k = key();
    const token = newLockToken();
    const a = await tryRedlock(nodes, k, { token, ttlMs: 1000 });
    expect(a.acquired).toBe(true);
    expect(a.granted).toBe(5);
    expect(a.validityMs).toBeCloseTo(1000 - a.elapsedMs - 12, 6);
    expect(await holders(k)).toEqual([token, token, token, token, token]);
    const rel = await releaseRedlock(nodes, k, token);
    expect(rel.every((r) => r.released)).toBe(true);
    expect(await holders(k)).toEqual([null, null, null, null, null]);
  });

  it("a second client is refused while the first holds it; its failed try leaves the holder's keys alone", async () => {
    const k = key();
    const first = newLockToken();
    expect((await tryRedlock(nodes, k, { token: first, ttlMs: 2000 })).acquired).toBe(true);
    const b = await tryRedlock(nodes, k, { token: newLockToken(), ttlMs: 2000 });
    expect(b.acquired).toBe(false);
    expect(b.granted).toBe(0);
    expect(b.votes.every((v) => v.error === "held by another owner")).toBe(true);
    expect(b.releases?.every((r) => !r.released && !r.error)).toBe(true);
    expect(await holders(k)).toEqual([first, first, first, first, first]);
    await releaseRedlock(nodes, k, first);
  });

  it("a minority split (B got 2 nodes first): A fails, releases only its own votes; B's keys stay", async () => {
    const k = key();
    await clients[3]!.set(k, "B", "PX", 2000);
    await clients[4]!.set(k, "B", "PX", 2000);
    const token = newLockToken();
    const a = await tryRedlock(nodes, k, { token, ttlMs: 2000 });
    expect(a.acquired).toBe(true); // 3 of 5 is a majority
    await releaseRedlock(nodes, k, token);
    await clients[2]!.set(k, "B", "PX", 2000);
    const again = await tryRedlock(nodes, k, { token, ttlMs: 2000 });
    expect(again.acquired).toBe(false);
    expect(again.granted).toBe(2);
    expect(again.reason).toMatch(/2 of 5 nodes granted the lock, 3 needed/);
    expect(await holders(k)).toEqual([null, null, "B", "B", "B"]);
  });

  it("no validity left (TTL shorter than the drift allowance): refused though every node voted; released", async () => {
    const k = key();
    // TTL 2 ms: drift alone is 2.02 ms, so validity is negative whatever the latency.
    const a = await tryRedlock(nodes, k, { token: "t", ttlMs: 2 });
    expect(a.granted).toBe(5);
    expect(a.acquired).toBe(false);
    expect(a.reason).toMatch(/no validity left/);
    expect(await holders(k)).toEqual([null, null, null, null, null]);
  });

  it("two nodes stopped during the run: still acquired on the other 3; the dead nodes' errors reported", async () => {
    await servers()[3]!.stop();
    await servers()[4]!.stop();
    const k = key();
    const token = newLockToken();
    const a = await tryRedlock(nodes, k, { token, ttlMs: 1000 });
    expect(a.acquired).toBe(true);
    expect(a.granted).toBe(3);
    expect(a.votes.slice(3).every((v) => !v.voted && v.error)).toBe(true);
    await releaseRedlock(nodes, k, token);
  });

  it("a third node stopped: every retry fails for want of a majority; nothing left on the live nodes", async () => {
    await servers()[2]!.stop();
    const k = key();
    const attempts = await acquireRedlock(nodes, k, {
      token: newLockToken(),
      ttlMs: 1000,
      retries: 4,
      retryDelayMs: 5,
      random: seededRandom(1),
    });
    expect(attempts.map((a) => a.acquired)).toEqual([false, false, false, false]);
    expect(attempts.map((a) => a.granted)).toEqual([2, 2, 2, 2]);
    expect(await holders(k)).toEqual([null, null, null, null, null]);
  });
});
