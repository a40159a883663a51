/**
 * The user's data is safe: on a server full of someone else's keys (every type, TTLs, binary, and names that look
 * like another run's keys or sit under the hash tags the scenarios use), a run of the CLI leaves the whole dataset
 * bit-for-bit as it was. DEBUG DIGEST (a hash over every key, value and the presence of an expiry, in every
 * database) is taken before and compared after each run: after success, after a failure, after Ctrl-C, and after
 * `--keep` followed by `cleanup --prefix`.
 *
 * The filler's TTLs are a day long so nothing expires during the test (an expiry would change the digest).
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { beforeAll, describe, expect, it } from "vitest";
import type { ThrowawayServer } from "../../src/redis/throwaway-server.js";
import type { RunReport } from "../../src/runner/report.js";
import { useRedisClient } from "../helpers/redis.js";
import { assertBuilt, firstJsonDocument, runCli, startCli, type CliResult } from "../helpers/cli.js";

const ALGORITHMS = ["fixed-window", "sliding-log", "sliding-counter", "token-bucket"] as const;
const DAY_S = 86_400;
/** The prefix the --keep test will use; the filler holds near misses of it that cleanup must not touch. */
const KEEP_PREFIX = `rp:kept${randomBytes(3).toString("hex")}`;
/** Prefixes of "another run" and the key shapes the four algorithms use (see scenarios/ratelimit/*). */
const OTHER_RUNS = ["rp:deadbeef", "rp:other", "rp:00000000", "rp:ffffffff"];
const CLIENTS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];

const { server, redis: admin } = useRedisClient();
let baseline: string;

async function digest(): Promise<string> {
  return String(await admin().call("DEBUG", "DIGEST"));
}

async function keysUnder(prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await admin().scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== "0");
  return found;
}

/** Thousands of keys of every type that belong to somebody else. Deterministic apart from the random binary bytes. */
async function fill(redis: Redis): Promise<number> {
  const p = redis.pipeline();
  let n = 0;
  const bin = () => randomBytes(16 + Math.floor(Math.random() * 48));
  for (let i = 0; i < 1500; i++) {
    p.set(`user:${i}:name`, `name-${i}`);
    p.set(Buffer.concat([Buffer.from("bin:"), bin()]), bin()); // binary key and value
    p.set(`session:${i}`, `token-${i}`, "EX", DAY_S); // TTL'd
    n += 3;
  }
  for (let i = 0; i < 300; i++) {
    p.rpush(`queue:${i}`, "a", "b", bin(), String(i));
    p.sadd(`tags:${i}`, "red", "green", bin());
    p.zadd(`scores:${i}`, 1, "one", 2.5, "two", -3, bin());
    p.hset(`profile:${i}`, "name", `n${i}`, "age", String(i), "blob", bin());
    p.pfadd(`visitors:${i}`, "a", "b", "c", String(i));
    p.hset(`cache:${i}`, "v", String(i));
    p.pexpire(`cache:${i}`, DAY_S * 1000);
    n += 6;
  }
  for (let i = 0; i < 100; i++) {
    for (let j = 0; j < 5; j++) p.xadd(`events:${i}`, `${1_700_000_000_000 + j}-${i}`, "type", "click", "n", String(j));
    n += 1;
  }
  p.xgroup("CREATE", "events:0", "workers", "0");
  // Look-alikes of another run's keys, of the right types, with and without TTLs.
  for (const run of OTHER_RUNS) {
    for (const c of CLIENTS) {
      p.set(`${run}:ratelimit:{${c}}:fw:202401151030`, "7");
      p.set(`${run}:ratelimit:{${c}}:fw:202401151031`, "3", "EX", DAY_S);
      p.zadd(`${run}:ratelimit:{${c}}:log`, 1705314600000, "1", 1705314600001, "2");
      p.set(`${run}:ratelimit:{${c}}:sc:202401151030`, "4");
      p.set(`${run}:ratelimit:{${c}}:sc:202401151029`, "9", "PX", DAY_S * 1000);
      p.hset(`${run}:ratelimit:{${c}}:tb`, "tokens", "2.5", "ts", "1705314600000");
      n += 6;
    }
  }
  // The same hash tags and key shapes without a run prefix (an application's own rate limiter), and the chapter's key.
  for (const c of CLIENTS) {
    p.set(`ratelimit:{${c}}:fw:202401151030`, "5");
    p.hset(`{${c}}`, "owner", c);
    p.set(`user:{${c}}:tokens`, "10", "EX", DAY_S);
    n += 3;
  }
  p.set("ratelimit:user123:202401151030", "42");
  // Near misses of the --keep test's prefix: cleanup --prefix KEEP_PREFIX must take none of these.
  p.set(KEEP_PREFIX, "exactly the prefix, no colon");
  p.set(`${KEEP_PREFIX}x:ratelimit:{alice}:tb`, "longer prefix");
  p.set(`${KEEP_PREFIX}-old:ratelimit:{alice}:fw:202401151030`, "1");
  p.set(`${KEEP_PREFIX.toUpperCase()}:ratelimit:{alice}:tb`, "upper case");
  p.set(`rp:kept:ratelimit:{alice}:tb`, "shorter prefix");
  n += 6;
  const results = await p.exec();
  const failed = results?.filter(([err]) => err);
  if (failed?.length) throw new Error(`filling failed: ${String(failed[0]![0])}`);
  // Another database too: DEBUG DIGEST covers them all, and the CLI (db 0) must not reach into it.
  await redis.select(2);
  await redis.set("rp:deadbeef:ratelimit:{alice}:tb", "db2");
  await redis.set("other-db", "x", "EX", DAY_S);
  await redis.select(0);
  return n + 2;
}

beforeAll(async () => {
  assertBuilt();
  const n = await fill(admin());
  expect(n).toBeGreaterThan(5000);
  expect(await admin().dbsize()).toBeGreaterThan(5000);
  baseline = await digest();
  expect(baseline).not.toMatch(/^0+$/);
}, 30_000);

function url(user?: { name: string; password: string }): string {
  const s: ThrowawayServer = server();
  return user ? `redis://${user.name}:${user.password}@${s.host}:${s.port}` : s.url;
}

async function expectUntouched(result: CliResult, expectedCode: number): Promise<void> {
  expect(result.code, `exit code; stderr: ${result.stderr}`).toBe(expectedCode);
  expect(await digest()).toBe(baseline);
}

describe("a run leaves someone else's data exactly as it was", () => {
  const variants: string[][] = [
    ...ALGORITHMS.map((algo) => ["--algo", algo]),
    ["--compare"],
    [], // no flags: all four
    ["--compare", "--traffic", "steady", "--clients", "3"],
    ["--compare", "--traffic", "burst", "--clients", "8", "--cost", "2"],
    ["--compare", "--traffic", "boundary", "--clients", "2", "--limit", "5", "--window", "10s"],
    ["--algo", "token-bucket", "--rate", "5", "--burst", "10", "--traffic", "burst", "--clients", "4"],
    ["--algo", "sliding-log", "--limit", "50", "--requests", "120", "--traffic", "steady"],
    ["--algo", "sliding-counter", "--clock", "real", "--window", "1s", "--traffic", "burst", "--clients", "2"],
  ];
  for (const variant of variants) {
    it(`ratelimit ${variant.join(" ") || "(defaults)"}`, async () => {
      const result = await runCli(["ratelimit", ...variant, "--json", "--url", url()]);
      const report = firstJsonDocument<RunReport>(result.stdout);
      expect(report.ok).toBe(true);
      expect(report.cleanup.kept).toBe(false);
      await expectUntouched(result, 0);
      expect(await keysUnder(report.prefix)).toEqual([]);
    });
  }

  // Every pattern's scenarios (cache, session, leaderboard, hll, analytics, lock, queue, …), as CI would run them.
  it("smoke: every scenario of every pattern", async () => {
    const result = await runCli(["smoke", "--json", "--url", url()], { timeoutMs: 300_000 });
    const report = firstJsonDocument<RunReport>(result.stdout);
    expect(report.scenarios.length).toBeGreaterThan(20);
    expect(report.scenarios.filter((s) => !s.ok).map((s) => s.id)).toEqual([]);
    await expectUntouched(result, 0);
    expect(await keysUnder(report.prefix)).toEqual([]);
  }, 150_000);

  it("a run interrupted with SIGINT mid-run cleans up and exits 130", async () => {
    const prefix = `rp:sigint${randomBytes(3).toString("hex")}`;
    const run = startCli([
      "ratelimit",
      "--clock",
      "real",
      "--window",
      "2s",
      "--traffic",
      "steady",
      "--prefix",
      prefix,
      "--json",
      "--url",
      url(),
    ]);
    // Wait until the run has written its first key, so the interrupt lands mid-run with state to clean up.
    const deadline = Date.now() + 10_000;
    while (!(await keysUnder(prefix)).some((k) => !k.endsWith(":rp-run"))) {
      if (Date.now() > deadline || run.child.exitCode !== null) throw new Error("the run wrote no key within 10 s");
      await new Promise((r) => setTimeout(r, 25));
    }
    run.child.kill("SIGINT");
    const result = await run.done;
    const report = firstJsonDocument<RunReport>(result.stdout);
    expect(report.interrupted).toBe(true);
    expect(report.error?.exitCode).toBe(130);
    expect(report.cleanup.deleted).toBeGreaterThan(0);
    await expectUntouched(result, 130);
    expect(await keysUnder(prefix)).toEqual([]);
  }, 20_000);

  it("a run refused EVALSHA by an ACL fails with exit 4 and changes nothing", async () => {
    const user = { name: `noevalsha${randomBytes(3).toString("hex")}`, password: randomBytes(8).toString("hex") };
    await admin().call("ACL", "SETUSER", user.name, "on", `>${user.password}`, "~*", "&*", "+@all", "-evalsha");
    try {
      const result = await runCli(["ratelimit", "--compare", "--json", "--url", url(user)]);
      expect(firstJsonDocument<RunReport>(result.stdout).error?.message).toMatch(/NOPERM/);
      await expectUntouched(result, 4);
    } finally {
      await admin().call("ACL", "DELUSER", user.name);
    }
  });

  it("a run failing after writing keys (PTTL denied by ACL) still deletes them: exit 4, nothing changed", async () => {
    const user = { name: `nopttl${randomBytes(3).toString("hex")}`, password: randomBytes(8).toString("hex") };
    await admin().call("ACL", "SETUSER", user.name, "on", `>${user.password}`, "~*", "&*", "+@all", "-pttl");
    try {
      const result = await runCli([
        "ratelimit",
        "--algo",
        "sliding-log",
        "--clients",
        "3",
        "--json",
        "--url",
        url(user),
      ]);
      const report = firstJsonDocument<RunReport>(result.stdout);
      expect(report.error?.message).toMatch(/NOPERM.*pttl/i);
      expect(report.cleanup.keys).toBeGreaterThan(0);
      expect(report.cleanup.deleted).toBe(report.cleanup.keys);
      await expectUntouched(result, 4);
    } finally {
      await admin().call("ACL", "DELUSER", user.name);
    }
  });

  it("--keep leaves the run's keys; cleanup --prefix removes exactly those", async () => {
    const kept = await runCli([
      "ratelimit",
      "--compare",
      "--clients",
      "2",
      "--keep",
      "--prefix",
      KEEP_PREFIX,
      "--json",
      "--url",
      url(),
    ]);
    expect(kept.code, kept.stderr).toBe(0);
    const report = firstJsonDocument<RunReport>(kept.stdout);
    expect(report.cleanup.kept).toBe(true);
    const keys = (await keysUnder(KEEP_PREFIX)).filter((k) => !k.endsWith(":rp-run"));
    expect(keys.length).toBeGreaterThan(0);
    expect(await digest()).not.toBe(baseline);

    const dryRun = await runCli(["cleanup", "--prefix", KEEP_PREFIX, "--dry-run", "--json", "--url", url()]);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    const listed = firstJsonDocument<{ found: number; deleted: number; keys: string[] }>(dryRun.stdout);
    expect(listed.deleted).toBe(0);
    expect(listed.keys.sort()).toEqual(keys.sort());

    const cleanup = await runCli(["cleanup", "--prefix", KEEP_PREFIX, "--yes", "--json", "--url", url()]);
    expect(firstJsonDocument<{ deleted: number }>(cleanup.stdout).deleted).toBe(keys.length);
    await expectUntouched(cleanup, 0);
  });
});

describe("a --prefix that already holds someone's keys", () => {
  const { server: other, redis } = useRedisClient();
  beforeAll(async () => {
    await redis().set("app:ratelimit:{alice}:fw:202401151030", "3");
    await redis().hset("app:ratelimit:{alice}:tb", "tokens", "1", "ts", "1705314600000");
    await redis().set("app:unrelated", "x");
  });

  // The run deletes every key it names, so a user-chosen prefix that already holds keys is refused up front.
  it("is left as it was: the run refuses to start (exit 2)", async () => {
    const before = String(await redis().call("DEBUG", "DIGEST"));
    const result = await runCli([
      "ratelimit",
      "--algo",
      "fixed-window",
      "--prefix",
      "app",
      "--json",
      "--url",
      other().url,
    ]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/--prefix app already holds keys/);
    expect(String(await redis().call("DEBUG", "DIGEST"))).toBe(before);
  });
});
