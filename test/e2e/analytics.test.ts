import { describe, expect, it } from "vitest";
import { NOWHERE, runCli, scanKeys } from "../helpers/cli.js";
import { expectPassingReport, expectPassingRun, usePatternCli } from "../helpers/pattern-cli.js";
import { testPrefix } from "../helpers/redis.js";

/** `redis-patterns analytics` as a user runs it: human output, --json, and usage errors. */
const { server, redis, run } = usePatternCli("analytics");

describe("analytics, human output", () => {
  it("runs the three kinds with every check passing and no key left", async () => {
    const prefix = testPrefix("an-human");
    const result = await run(["--prefix", prefix]);
    const out = expectPassingRun(result, ["analytics/counters", "analytics/trending", "analytics/timeseries"], 20);
    expect(out).toMatch(/┌ MULTI\/EXEC transaction: one round trip/);
    expect(out).toMatch(/EXPIRE \S+:pageviews:\{homepage\}:2024-01-15 2592000 NX/);
    expect(out).toMatch(/MGET \S+:api:calls:user:\{123\}:2024-01-15-00 /);
    expect(out).toMatch(/ZUNIONSTORE (\S+:trending:\{articles\}) 1 \1 WEIGHTS 0\.9/);
    expect(out).toMatch(/\[web-2\] ZINCRBY \S+:naive-copy 1 article:812/);
    expect(out).toMatch(/XADD \S+:metrics:\{cpu\} 1705312800000-0 value \d+\.\d host server1/);
    expect(out).toMatch(/XTRIM \S+:trim-maxlen-approx MAXLEN ~ 80/);
    expect(out).toMatch(/✓ all checks passed \(3 scenarios, \d+ commands\)/);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });

  it("--kind trending runs only that one", async () => {
    const result = await run(["--kind", "trending", "--decay", "0.5", "--trace", "off"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      "━━ analytics/trending · Trending articles: ZINCRBY per view, every score × 0.5 each hour",
    );
    expect(result.stdout).not.toContain("analytics/counters");
    expect(result.stdout).toMatch(/✓ all checks passed \(1 scenario, \d+ commands\)/);
  });
});

describe("analytics --json", () => {
  it("one document; the time series with its own window and buckets", async () => {
    const prefix = testPrefix("an-json");
    const result = await runCli([
      "analytics",
      "--kind",
      "timeseries",
      "--minutes",
      "20",
      "--last",
      "2m",
      "--bucket",
      "30s",
      "--json",
      "--prefix",
      prefix,
      "--url",
      server().url,
    ]);
    const report = expectPassingReport(result, "analytics");
    expect(report.scenarios.map((s) => s.id)).toEqual(["analytics/timeseries"]);
    const [ts] = report.scenarios;
    expect(ts!.metrics).toMatchObject({ samples: 160, windowSamples: 16, buckets: 8 });
    expect(ts!.checks.every((c) => c.ok)).toBe(true);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });
});

describe("analytics usage errors exit 2 before connecting", () => {
  it.each([
    [["--kind", "gauges"], /'gauges' is invalid/],
    [["--decay", "1.5"], /--decay must be a number between 0 and 1/],
    [["--decay", "0"], /--decay must be a number between 0 and 1/],
    [["--last", "1h"], /--last \(60 min\) is longer than the simulated --minutes 30/],
    [["--bucket", "10m", "--last", "5m"], /--bucket must not be longer than --last/],
    [["--hours", "0"], /--hours must be between 1 and 336, not 0/],
  ])("analytics %j", async (args, message) => {
    const result = await runCli(["analytics", ...args, ...NOWHERE]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});
