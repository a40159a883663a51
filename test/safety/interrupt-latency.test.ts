/**
 * Ctrl-C is honoured within a second in the long phase of every command (issue 12, case 7): a million-player
 * leaderboard built and sorted, and mid-load; ten million HyperLogLog items generated, a thousand trials; a million
 * session reads; a day of time series; a hundred thousand queued messages; a million cache reads; 30,000 rate-limited
 * requests; 50 lock workers; smoke; doctor's 100,000 pings; a benchmark; the primary pattern's throwaway server.
 * Long in-process loops yield (src/patterns/shared/cooperative.ts; the leaderboard load between pipelines), so the
 * signal handler runs; the run then cleans up and exits 130. Asserted: exit 130, nothing left under the prefix,
 * DEBUG DIGEST unchanged. The time from the signal to the exit is bounded only as a sanity limit (5 s: the machine
 * may be loaded); the requirement is 1 s, and docs/safety.md gives the figures measured idle and at load 20.
 */
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { markerKey } from "../../src/redis/ownership.js";
import { scanKeys, startCli, waitFor } from "../helpers/cli.js";
import { digest, fillForeignData } from "../helpers/foreign-data.js";
import { useRedisClient } from "../helpers/redis.js";

const { server, redis: admin } = useRedisClient();
let baseline: string;
beforeAll(async () => {
  await fillForeignData(admin(), 2000);
  baseline = await digest(admin());
}, 30_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("SIGINT in a long loop: exit 130 within the bound, nothing left", () => {
  // [args, when to interrupt: after the first key of the run (ms), or at a fixed time from the start (ms) when the
  // loop runs before any key is written (building and sorting the model)]
  const cases: [string[], { afterKeyMs?: number; atMs?: number; sanityMs?: number }][] = [
    [["leaderboard", "--players", "1000000"], { atMs: 2_500 }],
    // Mid-load: the load yields between pipelines, so it stops at the next one; the server works through those
    // already sent (up to 16 × 10,000 members), then the DEL of the half-built board.
    [["leaderboard", "--players", "1000000"], { afterKeyMs: 300 }],
    // Later in the load the board is bigger: its DEL alone keeps the server busy for seconds (3.9 s at load 14).
    [["leaderboard", "--players", "1000000"], { afterKeyMs: 1_500, sanityMs: 15_000 }],
    [["hll", "--count", "10000000"], { atMs: 2_500 }],
    [["hll", "--count", "100000", "--trials", "1000"], { afterKeyMs: 1_500 }],
    [["session", "--variant", "read-latency", "--reads", "1000000"], { afterKeyMs: 500 }],
    [["analytics", "--minutes", "1440"], { afterKeyMs: 300 }],
    [["queue", "--messages", "100000"], { afterKeyMs: 300 }],
    [["cache", "--reads", "1000000"], { afterKeyMs: 500 }],
    [["ratelimit", "--requests", "30000", "--clock", "real", "--window", "1s"], { afterKeyMs: 300 }],
    [["lock", "--workers", "50", "--increments", "1000"], { afterKeyMs: 300 }],
    [["smoke"], { afterKeyMs: 1_000 }],
    // No key of its own (doctor writes nothing; bench and primary work on their own keys and servers): at a time.
    [["doctor", "--pings", "100000"], { atMs: 3_000 }],
    [["bench", "ratelimit", "--ops", "100000000"], { atMs: 4_000 }],
    [["primary"], { atMs: 4_000 }],
  ];
  for (const [args, when] of cases) {
    const moment = when.atMs !== undefined ? `at ${when.atMs} ms` : `${when.afterKeyMs} ms after its first key`;
    it(`${args.join(" ")} (${moment})`, async () => {
      const prefix = `rp:int${randomBytes(3).toString("hex")}`;
      const run = startCli([...args, "--prefix", prefix, "--trace", "off", "--url", server().url], {
        timeoutMs: 90_000,
      });
      if (when.atMs !== undefined) await sleep(when.atMs);
      else {
        await waitFor(
          "the run's first key",
          async () =>
            run.child.exitCode !== null || (await scanKeys(admin(), prefix)).some((k) => k !== markerKey(prefix)),
          30_000,
        );
        await sleep(when.afterKeyMs!);
      }
      expect(run.child.exitCode, "the run ended before the interrupt").toBeNull();
      const sent = Date.now();
      run.child.kill("SIGINT");
      const result = await run.done;
      const ms = Date.now() - sent;
      expect(result.code, result.stderr).toBe(130);
      expect(ms, `exit ${ms} ms after SIGINT`).toBeLessThan(when.sanityMs ?? 5_000);
      expect(await scanKeys(admin(), prefix)).toEqual([]);
      expect(await digest(admin())).toBe(baseline);
    }, 120_000);
  }
});
