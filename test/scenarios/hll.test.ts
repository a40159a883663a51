import { describe, expect, it } from "vitest";
import { defaultHllParams, uniqueCount, weeklyMerge, type HllParams } from "../../scenarios/hll/index.js";
import { HLL_DENSE_BYTES } from "../../src/patterns/hll/index.js";
import type { AnyScenario } from "../../scenarios/index.js";
import { useScenarioHarness } from "../helpers/scenario.js";

const harness = useScenarioHarness();

const configs: [string, Partial<HllParams>][] = [
  ["defaults (100,000 addresses, 7 days)", {}],
  ["a small, still sparse HLL; 3 days; small batches", { count: 1_000, visitors: 3_000, days: 3, batch: 300 }],
  ["tiny: 5 items", { count: 5, visitors: 10, days: 2, batch: 2 }],
  ["with 12 trials of 20,000", { count: 20_000, trials: 12, visitors: 5_000 }],
  ["with 8 trials of 100,000 (the band's low end is checked too)", { trials: 8 }],
];

describe.each([
  ["hll/unique-count", uniqueCount],
  ["hll/weekly-merge", weeklyMerge],
] as [string, AnyScenario][])("%s", (_id, def) => {
  it.each(configs)(
    "%s: every check passes and no key is left",
    async (_name, overrides) => {
      const params = { ...defaultHllParams, ...overrides };
      const result = await harness.run(def, params);
      expect(result.error).toBeUndefined();
      expect(result.checks.filter((c) => !c.ok)).toEqual([]);
      expect(result.checks.length).toBeGreaterThanOrEqual(3);
      expect(result.leftKeys).toEqual([]);
      for (const cmd of result.steps.flatMap((s) => s.commands)) {
        // The key is the first argument; after the script or subcommand for EVALSHA and MEMORY USAGE.
        const key =
          cmd.argv[0] === "EVALSHA" || cmd.argv[0] === "EVAL"
            ? cmd.argv[3]
            : cmd.argv[0] === "MEMORY"
              ? cmd.argv[2]
              : cmd.argv[1];
        expect(key, cmd.argv.slice(0, 3).join(" ")).toMatch(/^test:sc:/);
      }
    },
    60_000,
  );
});

describe("what hll/unique-count measures", () => {
  it("the issue's metrics, a dense 12 KB counter next to the chapter's figures, and few round trips", async () => {
    const r = await harness.run(uniqueCount, defaultHllParams);
    for (const metric of ["estimate", "exact", "errorPct", "bytes"])
      expect(r.metrics[metric], metric).not.toBeUndefined();
    expect(r.metrics.exact).toBe(100_000);
    expect(r.metrics.bytes).toBe(HLL_DENSE_BYTES);
    expect(r.metrics.encoding).toBe("dense");
    expect(Number(r.metrics.errorPct)).toBeCloseTo(((Number(r.metrics.estimate) - 100_000) / 100_000) * 100, 3);
    // The switch to dense happened on the way, and it is visible in the table.
    expect(Number(r.metrics.sparseUntil)).toBeLessThan(Number(r.metrics.denseFrom));
    expect(Number(r.metrics.setBytes)).toBeGreaterThan(100 * Number(r.metrics.memoryUsage));
    expect(r.metrics.loadRoundTrips).toBe(18);
    expect(r.figures.map((f) => f.chapter)).toEqual(["12 KB per counter", "~0.81% error"]);
    expect(r.figures[0]!.agrees).toBe(true);
    // Every address went over the wire in PFADDs: the trace is exact, not a sample.
    const pfadd = r.steps[0]!.commands.filter((c) => c.argv[0] === "PFADD");
    expect(pfadd.reduce((n, c) => n + c.argv.length - 2, 0)).toBe(100_000);
    expect(Math.max(...pfadd.map((c) => c.argv.length - 2))).toBe(10_000);
  });

  it("a small set stays sparse, and the figure says so rather than claiming 12 KB", async () => {
    const r = await harness.run(uniqueCount, { ...defaultHllParams, count: 500 });
    expect(r.metrics.encoding).toBe("sparse");
    expect(Number(r.metrics.bytes)).toBeLessThan(HLL_DENSE_BYTES);
    expect(r.metrics.denseFrom).toBeNull();
    expect(r.figures[0]!.agrees).toBeUndefined();
  });

  it("--trials: the measured standard error next to 0.81%, from script-generated items", async () => {
    const r = await harness.run(uniqueCount, { ...defaultHllParams, count: 20_000, trials: 10 });
    expect(r.metrics.trials).toBe(10);
    expect(r.metrics.theoreticalStdErrorPct).toBeCloseTo(0.8125, 4);
    expect(Number(r.metrics.measuredStdErrorPct)).toBeGreaterThan(0);
    expect(r.figures.find((f) => f.what === "standard error of PFCOUNT")?.measured).toMatch(
      /RMS over 10 HLLs of 20,000 items/,
    );
    const trials = r.steps[2]!.commands;
    expect(trials.filter((c) => c.argv[0] === "PFCOUNT")).toHaveLength(10);
    expect(trials.some((c) => c.argv[0] === "PFADD")).toBe(false);
  });

  it("replays: the same seed gives the same estimate, another seed another one", async () => {
    const a = await harness.run(uniqueCount, { ...defaultHllParams, count: 30_000 });
    const b = await harness.run(uniqueCount, { ...defaultHllParams, count: 30_000 });
    const c = await harness.run(uniqueCount, { ...defaultHllParams, count: 30_000, seed: 2 });
    expect(b.metrics.estimate).toBe(a.metrics.estimate);
    expect(c.metrics.estimate).not.toBe(a.metrics.estimate);
  });
});

describe("what hll/weekly-merge shows", () => {
  it("the days overlap (their sum overcounts), and the merge is close to the exact weekly count", async () => {
    const r = await harness.run(weeklyMerge, defaultHllParams);
    expect(r.metrics.days).toBe(7);
    expect(Number(r.metrics.dailySum)).toBeGreaterThan(Number(r.metrics.weeklyExact));
    expect(Math.abs(Number(r.metrics.weeklyErrorPct))).toBeLessThan(4);
    const sent = r.steps.flatMap((s) => s.commands.map((c) => c.argv[0]));
    expect(sent).toContain("PFMERGE");
  });
});
