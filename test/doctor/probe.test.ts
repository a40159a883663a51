/**
 * `collectFacts` + `evaluatePatterns` against real redis-server processes configured to make each verdict appear:
 * no persistence, AOF, RDB only, allkeys-lru with a memory limit, and doctor writing nothing (DEBUG DIGEST).
 * ACL users and renamed commands are in probe-acl.test.ts and probe-renamed.test.ts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { evaluatePatterns, PATTERNS, type PatternName } from "../../src/doctor/index.js";
import { useRedisClient, useRedisServer } from "../helpers/redis.js";
import { ALL_OK, ANY_KEY_EVICTED } from "./facts-fixtures.js";
import { runDoctor, verdictMap } from "./run-doctor.js";

const { server: plain, redis: admin } = useRedisClient();
const aof = useRedisServer(["--appendonly", "yes", "--appendfsync", "everysec"]);
const rdb = useRedisServer(["--save", "3600 1"]);
const evicting = useRedisServer(["--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru", "--appendonly", "yes"]);

describe('a server with no persistence (save "", appendonly no)', () => {
  it("reads the facts: version, mode, persistence, memory, Lua, clock, latency, ACL", async () => {
    const { facts } = await runDoctor(plain().url);
    expect(facts.server).toEqual({ name: "Redis", version: plain().version, redisVersion: plain().version });
    expect(facts.mode).toBe("standalone");
    expect(facts.persistence).toEqual({ rdbSave: "", aof: false, appendfsync: "everysec", source: "config" });
    expect(facts.memory).toMatchObject({ maxmemory: 0, policy: "noeviction", source: "config" });
    expect(facts.lua).toEqual({ runs: true, time: true });
    if (facts.clock === "unknown" || facts.latency === "unknown") throw new Error("clock or latency unknown");
    // Same machine, same clock: the skew is within the round trip (plus a little scheduling slack), whatever it is.
    expect(Math.abs(facts.clock.skewMs)).toBeLessThanOrEqual(facts.clock.uncertaintyMs + 5);
    expect(facts.latency.samples).toBe(20);
    expect(facts.latency.p50Ms).toBeLessThanOrEqual(facts.latency.p99Ms);
    expect(facts.latency.p99Ms).toBeLessThanOrEqual(facts.latency.maxMs);
    expect(facts.acl.user).toBe("default");
    expect(facts.acl.method).toBe("dryrun");
    expect(Object.values(facts.acl.commands).every((c) => c.permission === "allowed")).toBe(true);
    expect(facts.unknowns).toEqual([]);
  });

  it("queues and write-behind are at risk; the rest is ok", async () => {
    const { verdicts } = await runDoctor(plain().url);
    expect(verdictMap(verdicts)).toEqual({ ...ALL_OK, cache: "warning", queue: "warning", primary: "warning" });
    const queue = verdicts.find((v) => v.pattern === "queue")!;
    expect(queue.reason).toMatch(
      /no persistence \(save "", appendonly no\): on a restart queued and unacknowledged messages are lost/,
    );
    expect(verdicts.find((v) => v.pattern === "cache")!.reason).toMatch(/^write-behind: no persistence/);
  });

  it("writes nothing: the dataset digest and key count are unchanged, and only reads were sent", async () => {
    try {
      await admin().set("doctor-test:user-key", "keep me");
      await admin().zadd("doctor-test:board", 1, "a", 2, "b");
      const digest = await admin().call("DEBUG", "DIGEST");
      const size = await admin().dbsize();
      const { commands } = await runDoctor(plain().url);
      expect(await admin().call("DEBUG", "DIGEST")).toBe(digest);
      expect(await admin().dbsize()).toBe(size);
      const names = new Set(commands.map((c) => c.argv[0]!.toUpperCase()));
      expect([...names].sort()).toEqual(["ACL", "CONFIG", "EVAL", "INFO", "PING", "TIME"]);
      expect(commands.filter((c) => c.argv[0] === "CONFIG").every((c) => c.argv[1] === "GET")).toBe(true);
      expect(commands.filter((c) => c.argv[0] === "ACL").every((c) => ["WHOAMI", "DRYRUN"].includes(c.argv[1]!))).toBe(
        true,
      );
      expect(commands.filter((c) => c.argv[0] === "EVAL").map((c) => c.argv[1])).toEqual([
        "return 1",
        "return redis.call('TIME')",
      ]);
    } finally {
      await admin().del("doctor-test:user-key", "doctor-test:board");
    }
  });

  it("--only limits the patterns and the ACL checks to what they send", async () => {
    const { verdicts, commands } = await runDoctor(plain().url, ["ratelimit", "lock"]);
    expect(verdictMap(verdicts)).toEqual({ ratelimit: "ok", lock: "ok" });
    const checked = commands.filter((c) => c.argv[1] === "DRYRUN").map((c) => c.argv[3]);
    expect(checked).toContain("EVALSHA");
    expect(checked).not.toContain("XADD");
    expect(checked).not.toContain("PFADD");
  });

  it("every command goes through the given client (none unrecorded): the PING count is the one asked for", async () => {
    const { commands } = await runDoctor(plain().url, PATTERNS, 7);
    expect(commands.filter((c) => c.argv[0] === "PING")).toHaveLength(7);
    expect(commands.filter((c) => c.argv[0] === "TIME")).toHaveLength(5);
  });
});

describe("a server with AOF (appendonly yes, appendfsync everysec)", () => {
  it("every pattern is ok; the queue notes the second a crash can lose", async () => {
    const { facts, verdicts } = await runDoctor(aof().url);
    expect(facts.persistence).toMatchObject({ aof: true, appendfsync: "everysec", source: "config" });
    expect(verdictMap(verdicts)).toEqual(ALL_OK);
    expect(verdicts.find((v) => v.pattern === "queue")!.reason).toMatch(
      /AOF with appendfsync everysec: a crash loses at most about a second/,
    );
  });
});

describe("a server with RDB snapshots only (save 3600 1)", () => {
  it("queues and write-behind are at risk between snapshots", async () => {
    const { facts, verdicts } = await runDoctor(rdb().url);
    expect(facts.persistence).toMatchObject({ rdbSave: "3600 1", aof: false });
    expect(verdictMap(verdicts)).toEqual({ ...ALL_OK, cache: "warning", queue: "warning", primary: "warning" });
    expect(verdicts.find((v) => v.pattern === "queue")!.reason).toMatch(
      /RDB snapshots only \(save "3600 1"\): a crash loses what was written since the last snapshot/,
    );
  });
});

describe("a server with maxmemory 64mb and maxmemory-policy allkeys-lru", () => {
  let facts: Awaited<ReturnType<typeof runDoctor>>["facts"];
  beforeAll(async () => {
    facts = (await runDoctor(evicting().url)).facts;
  });

  it("reads the limit and the policy", () => {
    expect(facts.memory).toMatchObject({ maxmemory: 64 * 1024 * 1024, policy: "allkeys-lru", source: "config" });
  });

  it("every pattern whose keys are not a cache's can lose them silently: locks, sessions, queue entries, …", () => {
    const verdicts = evaluatePatterns(facts, PATTERNS);
    expect(verdictMap(verdicts)).toEqual({ ...ALL_OK, ...ANY_KEY_EVICTED });
    const reason = (p: PatternName) => verdicts.find((v) => v.pattern === p)!.reason;
    expect(reason("lock")).toMatch(
      /allkeys-lru \(maxmemory 64mb\) can evict any key: an evicted lock lets a second worker in/,
    );
    expect(reason("session")).toMatch(/logs its user out/);
    expect(reason("queue")).toMatch(/messages lost/);
    expect(reason("cache")).toMatch(/what a cache wants/);
  });
});
