import { describe, expect, it } from "vitest";
import { NOWHERE, runCli, scanKeys } from "../helpers/cli.js";
import { expectPassingReport, expectPassingRun, usePatternCli } from "../helpers/pattern-cli.js";
import { testPrefix } from "../helpers/redis.js";

/** `redis-patterns hll` as a user runs it: human output, --json, and usage errors. */
const { server, redis, run } = usePatternCli("hll");

describe("hll, human output", () => {
  it("runs both scenarios with every check passing, the chapter's figures, and no key left", async () => {
    const prefix = testPrefix("hll-human");
    const result = await run(["--prefix", prefix]);
    const out = expectPassingRun(result, ["hll/unique-count", "hll/weekly-merge"], 7);
    // --trace full: a 10,000-item PFADD with every argument as sent.
    expect(out).toMatch(/PFADD \S+:unique-ips:\{api\} (\d+\.\d+\.\d+\.\d+ ){1000,}/);
    expect(out).toMatch(/BITFIELD_RO \S+ GET u8 32 {2}→ 1\) \(integer\) 0/);
    expect(out).toMatch(/PFMERGE "?\S+:uv:\{homepage\}:/);
    expect(out).toMatch(/memory of one HyperLogLog counter │ 12 KB per counter │ 12,304 bytes/);
    expect(out).toMatch(/error of one PFCOUNT\s+│ ~0\.81% error/);
    expect(out).toMatch(/✓ all checks passed \(2 scenarios, \d+ commands\)/);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });
});

describe("hll --json", () => {
  it("one document with estimate, exact, errorPct and bytes, and every item of every PFADD", async () => {
    const prefix = testPrefix("hll-json");
    const result = await runCli([
      "hll",
      "--count",
      "30000",
      "--trials",
      "4",
      "--json",
      "--prefix",
      prefix,
      "--url",
      server().url,
    ]);
    const report = expectPassingReport(result, "hll");
    const [unique, weekly] = report.scenarios;
    expect(unique!.id).toBe("hll/unique-count");
    expect(weekly!.id).toBe("hll/weekly-merge");
    for (const name of ["estimate", "exact", "errorPct", "bytes"])
      expect(typeof unique!.metrics[name], name).toBe("number");
    expect(unique!.metrics.exact).toBe(30_000);
    expect(unique!.metrics.trials).toBe(4);
    const pfadd = unique!.steps[0]!.commands.filter((c) => c.argv[0] === "PFADD");
    expect(pfadd.reduce((n, c) => n + c.argv.length - 2, 0)).toBe(30_000);
    expect(pfadd.every((c) => c.batch?.kind === "pipeline")).toBe(true);
    expect(unique!.figures.map((f) => f.chapter)).toEqual(["12 KB per counter", "~0.81% error", "~0.81% error"]);
    expect(typeof weekly!.metrics.weeklyEstimate).toBe("number");
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });
});

describe("hll usage errors exit 2 before connecting", () => {
  it.each([
    [["--count", "0"], /--count must be between 1 and 10000000, not 0/],
    [["--trials", "x"], /--trials must be a whole number, not "x"/],
    [["--days", "1"], /--days must be between 2 and 31, not 1/],
  ])("hll %j", async (args, message) => {
    const result = await runCli(["hll", ...args, ...NOWHERE]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(message);
  });
});
