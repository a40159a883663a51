/**
 * A bench run whose workers' operations fail names the command that got the first error reply, as a worker sent it:
 * the workers' commands are not in the trace (only the sample operation's is), so without it the failure's evidence
 * would show no command at all when the sample operation succeeds.
 */
import { describe, expect, it } from "vitest";
import type { CheckFailure } from "../../src/check-failure.js";
import { parseJsonOutput, runCli, scanKeys } from "../helpers/cli.js";
import { testPrefix, useRedisClient } from "../helpers/redis.js";

const { server, redis: admin } = useRedisClient();

interface BenchFailureJson {
  ok: boolean;
  errors: number;
  firstError?: string;
  firstErrorCommand?: string[];
  failures?: CheckFailure[];
}

/**
 * A user who may touch the run's marker and client 0's keys only: the sample operation (client 0's keys, on the main
 * connection) succeeds, worker client 1's EVALSHA on its own key gets NOPERM.
 */
async function clientZeroOnly(prefix: string): Promise<string> {
  await admin().call(
    "ACL",
    "SETUSER",
    "bench-zero",
    "reset",
    "on",
    ">pw",
    `~${prefix}:rp-run`,
    `~${prefix}:bench:*{000000000000}*`,
    "&*",
    "+@all",
  );
  return `redis://bench-zero:pw@${server().host}:${server().port}`;
}

/** What the run could not clean up (client 1's key, denied to the user; the marker). */
async function removeAll(prefix: string): Promise<void> {
  const keys = await scanKeys(admin(), prefix);
  if (keys.length > 0) await admin().call("UNLINK", ...keys);
}

describe("bench: operations that fail in the workers", () => {
  it("name the worker's command that got the first error reply, in --json and in the terminal", async () => {
    const prefix = testPrefix("bench-fail");
    const url = await clientZeroOnly(prefix);
    const args = ["bench", "ratelimit", "--kind", "fixed-window", "--clients", "2", "--ops", "200", "--rounds", "1"];
    try {
      const json = await runCli([...args, "--json", "--prefix", prefix, "--url", url]);
      expect(json.code, json.stderr).toBe(1);
      const report = parseJsonOutput<BenchFailureJson>(json);
      expect(report.ok).toBe(false);
      expect(report.errors).toBeGreaterThan(0);
      expect(report.firstError).toMatch(/^NOPERM/);
      const denied = `${prefix}:bench:ratelimit-fixed-window:{000000000001}:fw`;
      expect(report.firstErrorCommand).toEqual([
        "EVALSHA",
        expect.stringMatching(/^[0-9a-f]{40}$/),
        "1",
        denied,
        ...["100", "60000", "1", expect.any(String)],
      ]);
      const failure = report.failures?.find((f) => f.check === "every operation succeeded");
      expect(failure?.evidence?.values?.["the command that got it"]).toBe(report.firstErrorCommand!.join(" "));
      await removeAll(prefix);

      const human = await runCli([...args, "--width", "200", "--prefix", prefix, "--url", url]);
      expect(human.code).toBe(1);
      expect(human.stdout).toMatch(
        /evidence: the command that got it = "EVALSHA [0-9a-f]{40} 1 [^"]*\{000000000001\}:fw/,
      );
    } finally {
      await removeAll(prefix);
    }
  });
});
