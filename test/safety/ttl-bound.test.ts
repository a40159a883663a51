/**
 * A lost run self-cleans (issue 12): every key a run writes carries a TTL from the moment it is written (the TTL
 * guard, src/redis/ttl-guard.ts, or the pattern's own), so a run killed with SIGKILL (no signal handler, no cleanup)
 * leaves only keys that expire on their own, none later than the bound docs/safety.md states. Each pattern's command
 * is killed at several moments of its run against a server holding someone else's keys; then every key under the
 * prefix must have a TTL within the bound, and once they are gone DEBUG DIGEST is what it was before the run.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { RUN_MARKER_TTL_MS } from "../../src/redis/ownership.js";
import { RUN_KEY_TTL_S } from "../../src/redis/ttl-guard.js";
import { scanKeys, startCli, waitFor } from "../helpers/cli.js";
import { digest, useForeignData } from "../helpers/foreign-data.js";

const { server, admin: adminClient, baseline } = useForeignData(2000);

/** Keys the kills left and this file checked: the last test asserts the kills did leave something. */
let checked = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The bound for keys without a TTL of their pattern's own, and for the run's marker. */
const BOUND_MS = Math.max(RUN_KEY_TTL_S * 1000, RUN_MARKER_TTL_MS);

describe("SIGKILL mid-run: every key left under the prefix expires within the bound", () => {
  // [args, ms after the run's first key, the longest TTL a pattern gives its own keys with these options]
  const cases: [string[], number[], number?, { key: string; members: number }?][] = [
    [
      ["ratelimit", "--compare", "--clock", "real", "--window", "2s", "--traffic", "steady"],
      [0, 300],
    ],
    [["cache"], [0, 200]],
    [["cache", "--strategy", "write-behind"], [100]],
    [["session"], [0, 200], 3_600_000],
    [["session", "--variant", "hash"], [100], 3_600_000],
    [
      ["hll", "--count", "200000"],
      [0, 400],
    ],
    // The documented limit: while the first pipeline (10 ZADDs of 1,000 members) is still on its way, its EXPIRE is
    // queued behind it. These kills come once the first 10,000 members are in (the load then streams on).
    [["leaderboard", "--players", "200000"], [0, 300], undefined, { key: "leaderboard:{global}", members: 10_000 }],
    // The day boards' own TTL: up to the retention (--days, 7 by default).
    [["leaderboard", "--variant", "time-scoped"], [100], 7 * 86_400_000],
    // The day buckets' own TTL: 30 days.
    [["analytics", "--minutes", "1440"], [0, 300], 30 * 86_400_000],
    [["analytics", "--kind", "trending"], [100]],
    [
      ["lock", "--workers", "5"],
      [0, 300],
    ],
    [
      ["queue", "--messages", "2000"],
      [0, 300],
    ],
    [["queue", "--variant", "stream", "--messages", "2000"], [100]],
    [["smoke"], [500, 2_000, 5_000], 30 * 86_400_000],
  ];
  for (const [args, delays, ownMaxMs, after] of cases) {
    for (const delayMs of delays) {
      it(`${args.join(" ")}, killed ${delayMs} ms after its first key`, async () => {
        const admin = adminClient();
        const prefix = `rp:ttl${randomBytes(3).toString("hex")}`;
        const run = startCli([...args, "--prefix", prefix, "--trace", "off", "--url", server().url], {
          timeoutMs: 120_000,
        });
        await waitFor(
          "the run's first key",
          async () => run.child.exitCode !== null || (await scanKeys(admin, prefix)).length > 1,
          30_000,
        );
        if (after) {
          const key = `${prefix}:${after.key}`;
          await waitFor(
            `${after.members} members in ${key}`,
            async () => run.child.exitCode !== null || Number(await admin.zcard(key)) >= after.members,
            30_000,
          );
        }
        await sleep(delayMs);
        const killed = run.child.exitCode === null && run.child.kill("SIGKILL");
        await run.done;
        const left = await scanKeys(admin, prefix);
        const bound = Math.max(BOUND_MS, ownMaxMs ?? 0);
        const pttls = await Promise.all(left.map(async (k) => [k, Number(await admin.pttl(k))] as const));
        if (left.length > 0) await admin.del(...left);
        const without = pttls.filter(([, ms]) => ms === -1).map(([k]) => k);
        expect(without, "keys left without a TTL").toEqual([]);
        for (const [key, ms] of pttls) {
          if (ms === -2) continue; // expired between SCAN and PTTL
          expect(ms, `${key}'s TTL`).toBeLessThanOrEqual(bound);
        }
        if (killed) checked += left.length;
        expect(await digest(adminClient())).toBe(baseline());
      }, 150_000);
    }
  }

  it("the kills left keys to check", () => {
    expect(checked).toBeGreaterThan(0);
  });
});
