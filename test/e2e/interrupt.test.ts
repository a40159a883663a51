import { describe, expect, it } from "vitest";
import { parseJsonOutput, scanKeys, startCli, waitForDataKey } from "../helpers/cli.js";
import { testPrefix, useRedisClient } from "../helpers/redis.js";

/**
 * Ctrl-C in the middle of a run: the CLI cleans up what it wrote and exits 130. A real-clock run paces its requests
 * over about two windows (~4 s here), long enough to interrupt it once its first key exists.
 */
const { server, redis } = useRedisClient();

const PACED = [
  "ratelimit",
  "--algo",
  "sliding-log",
  "--clock",
  "real",
  "--window",
  "2s",
  "--limit",
  "5",
  "--traffic",
  "steady",
];

describe.each([
  { mode: "human", extra: [] as string[] },
  { mode: "--json", extra: ["--json"] },
])("SIGINT during a run ($mode)", ({ mode, extra }) => {
  it("exits 130 and leaves no key under the prefix", async () => {
    const prefix = testPrefix("sigint");
    const { child, done } = startCli([...PACED, ...extra, "--prefix", prefix, "--url", server().url], {
      timeoutMs: 30_000,
    });
    await waitForDataKey(child, redis(), prefix);
    child.kill("SIGINT");
    const result = await done;

    expect(result.code, result.stderr).toBe(130);
    expect(result.signal).toBeNull();
    expect(result.stderr).toMatch(/^redis-patterns: interrupted: cleaning up/m);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
    if (mode === "--json") {
      const report = parseJsonOutput<{
        ok: boolean;
        interrupted?: boolean;
        error?: { exitCode: number };
        cleanup: { deleted: number };
        scenarios: { id: string; ok: boolean; steps: { commands: unknown[] }[] }[];
      }>(result);
      expect(report).toMatchObject({ ok: false, interrupted: true, error: { exitCode: 130 } });
      expect(report.cleanup.deleted).toBeGreaterThan(0);
      // The interrupted scenario is reported with the commands it had sent.
      expect(report.scenarios).toHaveLength(1);
      expect(report.scenarios[0]).toMatchObject({ id: "ratelimit/sliding-log", ok: false });
      expect(report.scenarios[0]!.steps.flatMap((s) => s.commands).length).toBeGreaterThan(0);
    } else {
      expect(result.stdout).toMatch(/^Interrupted \(1 scenario, [1-9]\d* commands\)/m);
    }
  });
});
