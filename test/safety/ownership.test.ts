/**
 * Ownership, not patterns (issue 12, cases 1, 2 and 4): a run claims its prefix with a marker before its first write,
 * refuses a prefix that normalises to nothing or is held by another run or other data, deletes only keys it created,
 * and `cleanup --prefix` deletes only what a run's marker vouches for. Every test runs against a real redis-server
 * holding thousands of someone else's keys with look-alikes next to the prefixes, and compares DEBUG DIGEST.
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KeySpace } from "../../src/redis/keys.js";
import { PrefixClaim, markerKey, parseMarker, watchForeignKeys } from "../../src/redis/ownership.js";
import { CommandRecorder } from "../../src/redis/recorder.js";
import { cleanupRun } from "../../src/runner/runner.js";
import { parseJsonOutput, runCli, scanKeys, startCli, waitFor, type CliResult } from "../helpers/cli.js";
import { digest, fillForeignData } from "../helpers/foreign-data.js";
import { plainClient, useRedisClient } from "../helpers/redis.js";

const { server, redis: admin } = useRedisClient();
let baseline: string;

beforeAll(async () => {
  expect(await fillForeignData(admin())).toBeGreaterThan(3000);
  baseline = await digest(admin());
}, 30_000);

const url = () => server().url;
const fresh = (name: string) => `rp:${name}${randomBytes(3).toString("hex")}`;

async function expectUntouched(result: CliResult, code: number): Promise<void> {
  expect(result.code, `exit code; stderr: ${result.stderr}`).toBe(code);
  expect(await digest(admin())).toBe(baseline);
}

describe("case 1: a prefix is normalised before every check", () => {
  for (const prefix of [":::", "::", ":", "rp:", "rp::", "*", "::*", "rp:*", "?:?", "[]:", "ab", " : "]) {
    it(`--prefix "${prefix}" is refused before connecting (exit 2), nothing changes`, async () => {
      const result = await runCli(["ratelimit", "--algo", "token-bucket", "--prefix", prefix, "--url", url()]);
      expect(result.stderr).toMatch(/--prefix/);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      await expectUntouched(result, 2);
    });
  }

  it("cleanup refuses the same prefixes: rp: would match every run's keys", async () => {
    for (const prefix of ["rp:", ":::", "rp:*"]) {
      const result = await runCli(["cleanup", "--prefix", prefix, "--yes", "--url", url()]);
      await expectUntouched(result, 2);
    }
  });
});

describe("case 2: cleanup deletes what a run's marker vouches for, never by pattern", () => {
  for (const prefix of ["user", "session", "rp:app", "rp:someone-else", "rp:demo"]) {
    it(`cleanup --prefix ${prefix} --yes (foreign or half-foreign, no marker) is refused in one line`, async () => {
      const result = await runCli(["cleanup", "--prefix", prefix, "--yes", "--url", url()]);
      expect(result.stderr).toMatch(
        /^redis-patterns: cleanup refused: .*no redis-patterns run marker.*nothing deleted\n$/,
      );
      await expectUntouched(result, 2);
    });
  }

  it("a kept run's cleanup lists keys, asks (refused without --yes off a tty), deletes only the manifest", async () => {
    const prefix = fresh("kept");
    const kept = await runCli([
      "ratelimit",
      "--compare",
      "--clients",
      "2",
      "--keep",
      "--json",
      "--prefix",
      prefix,
      "--url",
      url(),
    ]);
    expect(kept.code, kept.stderr).toBe(0);
    const keys = (await scanKeys(admin(), prefix)).filter((k) => k !== markerKey(prefix));
    expect(keys.length).toBeGreaterThan(0);
    // Kept keys carry a TTL of at most a day; the marker lists them.
    for (const key of keys) {
      const pttl = await admin().pttl(key);
      expect(pttl, key).toBeGreaterThan(0);
      expect(pttl, key).toBeLessThanOrEqual(86_400_000);
    }
    const marker = parseMarker(await admin().get(markerKey(prefix)));
    expect(marker?.state).toBe("kept");
    expect([...(marker?.keys ?? [])].sort()).toEqual(keys);

    // Someone else writes under the prefix afterwards: not the run's, so cleanup leaves it.
    const intruder = `${prefix}:ratelimit:{zed}:theirs`;
    await admin().set(intruder, "not the run's");

    const unconfirmed = await runCli(["cleanup", "--prefix", prefix, "--url", url()]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stdout).toContain(`found ${keys.length} keys under ${prefix}: left by a --keep run`);
    expect(unconfirmed.stderr).toMatch(/add --yes to confirm/);
    expect((await scanKeys(admin(), prefix)).length).toBe(keys.length + 2);

    const dry = await runCli(["cleanup", "--prefix", prefix, "--dry-run", "--json", "--url", url()]);
    const listed = parseJsonOutput<{ keys: string[]; left: string[]; deleted: number }>(dry);
    expect(listed.keys.sort()).toEqual(keys);
    expect(listed.left).toEqual([intruder]);

    const done = await runCli(["cleanup", "--prefix", prefix, "--yes", "--json", "--url", url()]);
    expect(parseJsonOutput<{ deleted: number }>(done).deleted).toBe(keys.length);
    expect(await scanKeys(admin(), prefix)).toEqual([intruder]);
    await admin().del(intruder);
    await expectUntouched(done, 0);
  });
});

describe("case 4: one prefix, one run; only keys the run created are deleted", () => {
  it("three claims racing for one prefix: exactly one wins, the others are told who holds it", async () => {
    const prefix = fresh("race");
    const clients = [plainClient(server()), plainClient(server()), plainClient(server())];
    try {
      const outcomes = await Promise.allSettled(
        clients.map((c) => PrefixClaim.claim(c, [c], { prefix, version: "test", requireEmpty: true, renew: false })),
      );
      const won = outcomes.filter((o) => o.status === "fulfilled");
      expect(won).toHaveLength(1);
      for (const o of outcomes.filter((o) => o.status === "rejected"))
        expect(String((o as PromiseRejectedResult).reason)).toMatch(/in use by another redis-patterns run/);
      expect(await (won[0] as PromiseFulfilledResult<PrefixClaim>).value.release()).toBe(true);
      expect(await digest(admin())).toBe(baseline);
    } finally {
      for (const c of clients) c.disconnect();
    }
  });

  it("runs started on a prefix another run holds exit 2 before writing and leave that run's marker alone", async () => {
    const prefix = fresh("busy");
    const holder = plainClient(server());
    try {
      // Another run holds the prefix (its claim, made the way every run makes it).
      const claim = await PrefixClaim.claim(holder, [holder], {
        prefix,
        version: "other",
        requireEmpty: true,
        renew: false,
      });
      const held = await admin().get(markerKey(prefix));
      const [second, third] = await Promise.all([
        runCli(["queue", "--prefix", prefix, "--url", url()]),
        runCli(["ratelimit", "--prefix", `${prefix}:`, "--url", url()]),
      ]);
      for (const other of [second, third]) {
        expect(other.code, other.stderr).toBe(2);
        expect(other.stderr).toMatch(
          /is in use by another redis-patterns run [0-9a-f]+ \(pid \d+ on .*redis-patterns other\)/,
        );
      }
      expect(await admin().get(markerKey(prefix))).toBe(held);
      expect(await scanKeys(admin(), prefix)).toEqual([markerKey(prefix)]);
      expect(await claim.release()).toBe(true);
      expect(await digest(admin())).toBe(baseline);
    } finally {
      holder.disconnect();
    }
  });

  it("a run started while another CLI run holds the prefix is refused; the first run finishes clean", async () => {
    const prefix = fresh("live");
    const first = startCli([
      "ratelimit",
      "--algo",
      "fixed-window",
      "--clock",
      "real",
      "--window",
      "2s",
      "--traffic",
      "steady",
      "--json",
      "--prefix",
      prefix,
      "--url",
      url(),
    ]);
    await waitFor("the first run's marker", async () => (await admin().exists(markerKey(prefix))) === 1);
    const second = await runCli(["ratelimit", "--prefix", prefix, "--url", url()]);
    const result = await first.done;
    // Either the second run met the first run's marker (exit 2), or the first had already finished and given the
    // prefix back (exit 0); never both running on it. Both leave nothing behind.
    if (second.code === 2) expect(second.stderr).toMatch(/is in use by another redis-patterns run/);
    else expect(second.code, second.stderr).toBe(0);
    expect(parseJsonOutput<{ ok: boolean }>(result).ok).toBe(true);
    await expectUntouched(result, 0);
    expect(await scanKeys(admin(), prefix)).toEqual([]);
  }, 40_000);

  it("a user prefix that holds other data is refused, and the claim is withdrawn", async () => {
    for (const prefix of ["rp:app", "rp:demo", "rp:someone-else"]) {
      const result = await runCli(["ratelimit", "--algo", "token-bucket", "--prefix", prefix, "--url", url()]);
      expect(result.stderr).toMatch(/already holds keys/);
      await expectUntouched(result, 2);
    }
  });

  describe("a key a command failed on with WRONGTYPE is not the run's", () => {
    let recorded: Redis;
    beforeEach(() => {
      recorded = plainClient(server());
    });

    it("is left as it was by the end-of-run cleanup, which deletes the run's own keys", async () => {
      const prefix = fresh("wrongtype");
      const recorder = new CommandRecorder();
      recorder.attach(recorded, "main").endHandshake();
      const keys = new KeySpace(prefix);
      watchForeignKeys(recorder, keys);
      const theirs = keys.key("ratelimit", "{alice}", "tb");
      const ours = keys.key("ratelimit", "{alice}", "fw", 1);
      // Someone else's hash appears where the run expected to write a counter.
      await admin().hset(theirs, "tokens", "1");
      await recorded.call("SET", ours, "1");
      await expect(recorded.call("INCR", theirs)).rejects.toThrow(/WRONGTYPE/);
      const cleanup = await cleanupRun({ redis: recorded, recorder, keys }, false);
      expect(cleanup.deleted).toBe(1);
      expect(cleanup.left).toEqual([theirs]);
      expect(await admin().hget(theirs, "tokens")).toBe("1");
      expect(await admin().exists(ours)).toBe(0);
      await admin().del(theirs);
      expect(await digest(admin())).toBe(baseline);
      recorded.disconnect();
    });

    // Case 4's neighbour: the WRONGTYPE comes back inside EXEC's reply (MULTI: the command itself replied QUEUED), or
    // from a pipeline.
    for (const how of ["MULTI", "pipeline"] as const) {
      it(`a WRONGTYPE inside ${how}: that key is left as it was, the run's own key deleted`, async () => {
        const prefix = fresh("multi");
        const recorder = new CommandRecorder();
        recorder.attach(recorded, "main").endHandshake();
        const keys = new KeySpace(prefix);
        watchForeignKeys(recorder, keys);
        const theirs = keys.key("leaderboard", "{global}");
        const ours = keys.key("leaderboard", "{global}", "copy");
        await admin().hset(theirs, "owner", "someone else");
        if (how === "pipeline") {
          const replies = await recorded.pipeline().set(ours, "1").zadd(theirs, 1, "alice").exec();
          expect(String(replies?.[1]?.[0])).toMatch(/WRONGTYPE/);
        } else {
          const replies = await recorded.multi().set(ours, "1").zadd(theirs, 1, "alice").exec();
          expect(String(replies?.[1]?.[0])).toMatch(/WRONGTYPE/);
        }
        const cleanup = await cleanupRun({ redis: recorded, recorder, keys }, false);
        expect(cleanup.deleted).toBe(1);
        expect(await admin().exists(ours)).toBe(0);
        expect(await admin().hget(theirs, "owner")).toBe("someone else");
        expect(await digest(admin())).not.toBe(baseline);
        await admin().del(theirs);
        expect(await digest(admin())).toBe(baseline);
        recorded.disconnect();
      });
    }
  });
});
