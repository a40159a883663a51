import { describe, expect, it } from "vitest";
import { ANSI, NOWHERE, parseJsonOutput, runCli, scanKeys } from "../helpers/cli.js";
import { expectPassingReport, usePatternCli } from "../helpers/pattern-cli.js";
import { testPrefix } from "../helpers/redis.js";
import type { RunReport as Report } from "../../src/runner/report.js";

/** `redis-patterns lock` as a user runs it: the comparison table, --json with the metrics, --no-lock, usage errors. */
const { redis, run } = usePatternCli("lock");

const ALGORITHMS = ["simple", "watchdog", "fencing"] as const;

describe("lock", () => {
  it("without --algo runs the three algorithms and ends with one comparison table", async () => {
    const prefix = testPrefix("lock");
    const result = await run(["--prefix", prefix]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(ANSI);
    for (const algo of ALGORITHMS) expect(result.stdout).toContain(`━━ lock/${algo} · `);
    // Each worker's commands are labelled in the trace.
    expect(result.stdout).toMatch(/\[worker-1\] SET \S+:lock \S+ NX PX 150/);
    expect(result.stdout).toContain("[worker-2]");
    const table = result.stdout.slice(result.stdout.indexOf("Compared on the same work")).split("\n");
    expect(table.some((l) => /│ algorithm\s+│ final count\s+│ expected\s+│ double holds/.test(l))).toBe(true);
    for (const algo of ALGORITHMS)
      expect(
        table.find((l) => l.startsWith(`│ ${algo} `)),
        algo,
      ).toMatch(/│ 30\s+│ 30\s+│.*\d+\/\d+ ✓\s+│$/);
    expect(result.stdout).toMatch(/✓ all checks passed \(3 scenarios, \d+ commands\)/);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });

  it.each(ALGORITHMS)("--algo %s --json: one document, the metrics, every check passing", async (algo) => {
    const prefix = testPrefix("lockjson");
    const result = await run(["--algo", algo, "--json", "--workers", "4", "--increments", "5", "--prefix", prefix]);
    const report = expectPassingReport(result, "lock");
    expect(report.scenarios.map((s) => s.id)).toEqual([`lock/${algo}`]);
    const [s] = report.scenarios;
    for (const metric of ["finalCount", "expectedCount", "doubleHolds", "staleWritesRejected", "renewals", "waitP99Ms"])
      expect(s!.metrics).toHaveProperty(metric);
    expect(s!.metrics.finalCount).toBe(20);
    expect(s!.checks.every((c) => c.ok)).toBe(true);
    expect(report.summary).toBeUndefined();
    const clients = new Set(s!.steps.flatMap((st) => st.commands.map((c) => c.client)));
    expect([...clients].sort()).toEqual(["main", "worker-1", "worker-2", "worker-3", "worker-4"]);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });

  it("--no-lock --json: updates lost, and the checks that say so pass", async () => {
    const prefix = testPrefix("nolock");
    const result = await run(["--no-lock", "--json", "--workers", "4", "--increments", "6", "--prefix", prefix]);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<Report>(result);
    const [s] = report.scenarios;
    expect(s!.id).toBe("lock/no-lock");
    expect(s!.metrics.finalCount).toBe(6);
    expect(s!.metrics.expectedCount).toBe(24);
    expect(s!.metrics.lostUpdates).toBe(18);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });

  it.each([
    {
      name: "--pause not longer than --ttl",
      args: ["--ttl", "200ms", "--pause", "200ms"],
      says: /--pause \(200 ms\) must be longer than --ttl \(200 ms\)/,
    },
    { name: "--workers 1", args: ["--workers", "1"], says: /--workers must be between 2 and 50, not 1/ },
    { name: "--ttl too short", args: ["--ttl", "5ms"], says: /--ttl must be between 30 ms and 10 s/ },
    { name: "--no-lock with --algo", args: ["--no-lock", "--algo", "fencing"], says: /--no-lock .* takes no --algo/ },
    {
      name: "unknown algorithm",
      args: ["--algo", "paxos"],
      says: /unknown lock algorithm "paxos": choose one of simple, watchdog, fencing, redlock/,
    },
  ])("usage error: $name exits 2 with one line, before connecting", async ({ args, says }) => {
    const result = await runCli(["lock", ...args, ...NOWHERE]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(says);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});
