import { describe, expect, it } from "vitest";
import {
  counters,
  defaultAnalyticsParams,
  timeseries,
  trending,
  type AnalyticsParams,
} from "../../scenarios/analytics/index.js";
import { scanPrefix } from "../../src/redis/cleanup.js";
import { cleanupRun, planRun, runScenario } from "../../src/runner/runner.js";
import type { AnyScenario } from "../../scenarios/index.js";
import { useScenarioHarness } from "../helpers/scenario.js";

const harness = useScenarioHarness();

const configs: [string, Partial<AnalyticsParams>][] = [
  ["defaults", {}],
  [
    "another seed, a strong decay, a short series",
    { seed: 7, decay: 0.5, hours: 5, minutes: 10, lastMs: 120_000, bucketMs: 30_000 },
  ],
  [
    "three simulated days, a weak decay, an hour of samples",
    { seed: 3, decay: 0.99, hours: 72, minutes: 60, lastMs: 900_000, bucketMs: 300_000 },
  ],
];

const METRICS: Record<string, string[]> = {
  "analytics/counters": [
    "events",
    "pageviews",
    "apiCalls",
    "buckets",
    "countMode",
    "commandsPerEvent",
    "roundTripsPerEvent",
  ],
  "analytics/trending": [
    "views",
    "decays",
    "topDecayed",
    "topNeverDecayed",
    "naiveDecayCommands",
    "atomicDecayCommands",
    "viewsLostByNaiveDecay",
  ],
  "analytics/timeseries": [
    "samples",
    "windowSamples",
    "buckets",
    "streamBytes",
    "zsetBytes",
    "approxMaxlenLeft",
    "exactMaxlenLeft",
    "approxMinidLeft",
    "exactMinidLeft",
  ],
};

describe.each([
  ["analytics/counters", counters],
  ["analytics/trending", trending],
  ["analytics/timeseries", timeseries],
] as [string, AnyScenario][])("%s", (id, def) => {
  it.each(configs)("%s: every check passes, the metrics are there, no key is left", async (_name, overrides) => {
    const result = await harness.run(def, { ...defaultAnalyticsParams, ...overrides });
    expect(result.error).toBeUndefined();
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.checks.length).toBeGreaterThanOrEqual(3);
    for (const metric of METRICS[id]!) expect(result.metrics[metric], metric).not.toBeUndefined();
    expect(result.leftKeys).toEqual([]);
  });
});

describe("analytics/counters", () => {
  it("on Redis 7 each event: MULTI/EXEC of INCR + EXPIRE … NX; a bucket's first EXPIRE answers 1, then 0", async () => {
    const r = await harness.run(counters, defaultAnalyticsParams);
    expect(r.metrics).toMatchObject({ countMode: "multi", commandsPerEvent: 4, roundTripsPerEvent: 1 });
    const execs = r.steps.flatMap((s) => s.commands).filter((c) => /^exec$/i.test(c.argv[0]!));
    expect(execs.length).toBe(r.metrics.events);
    const expireReplies = execs.map((c) => (c.reply as number[])[1]);
    expect(expireReplies.filter((x) => x === 1).length).toBe(r.metrics.buckets);
    // The chapter's key names, under the run's prefix and with a hash tag.
    const keys = r.steps
      .flatMap((s) => s.commands)
      .filter((c) => c.argv[0] === "INCR")
      .map((c) => c.argv[1]!);
    expect(keys.every((k) => k.startsWith("test:sc:"))).toBe(true);
    expect(keys.some((k) => k.endsWith(":pageviews:{homepage}:2024-01-15"))).toBe(true);
    expect(keys.some((k) => k.endsWith(":api:calls:user:{123}:2024-01-15-10"))).toBe(true);
    // The day's series is one MGET of 24 keys.
    const mget = r.steps[r.steps.length - 1]!.commands[0]!;
    expect(mget.argv[0]).toBe("MGET");
    expect(mget.argv).toHaveLength(25);
  });

  it("on a server before 7.0 (no EXPIRE … NX) the same counting runs as a Lua script; its checks pass", async () => {
    const env = harness.env();
    const old = { ...env, target: { ...env.target, version: "6.2.14" } };
    const r = await runScenario(planRun(counters, defaultAnalyticsParams), old);
    await cleanupRun(old, false);
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    // One EVALSHA per event, plus one EVAL after the first NOSCRIPT when the script is not cached yet.
    expect(r.metrics.countMode).toBe("lua");
    expect(Number(r.metrics.commandsPerEvent)).toBeLessThanOrEqual(1 + 1 / Number(r.metrics.events) + 0.001);
    const sent = new Set(r.steps.flatMap((s) => s.commands.map((c) => c.argv[0]!.toUpperCase())));
    expect(sent.has("EVALSHA")).toBe(true);
    expect(sent.has("MULTI")).toBe(false);
    expect(await scanPrefix(harness.connection().redis, old.keys.prefix)).toEqual([]);
  });
});

describe("analytics/trending", () => {
  it("decay puts the rising article on top; without, the old hit stays; the naive loop loses a view", async () => {
    const r = await harness.run(trending, defaultAnalyticsParams);
    expect(r.metrics).toMatchObject({
      topDecayed: "article:812",
      topNeverDecayed: "article:789",
      atomicDecayCommands: 1,
      viewsLostByNaiveDecay: 1,
    });
    // The concurrent view comes from a second recorded connection.
    const clients = new Set(r.steps.flatMap((s) => s.commands.map((c) => c.client)));
    expect(clients).toEqual(new Set(["main", "web-2"]));
    expect(
      r.steps.flatMap((s) => s.commands).some((c) => c.argv[0] === "ZUNIONSTORE" && c.argv.includes("WEIGHTS")),
    ).toBe(true);
  });
});

describe("analytics/timeseries", () => {
  it("approximate trims keep whole nodes (more than asked), exact trims exactly what was asked", async () => {
    const r = await harness.run(timeseries, defaultAnalyticsParams);
    expect(r.metrics).toMatchObject({
      samples: 240,
      windowSamples: 40,
      trimKeep: 80,
      exactMaxlenLeft: 80,
      exactMinidLeft: 80,
      approxMaxlenLeft: 140,
      approxMinidLeft: 140,
    });
    expect(Number(r.metrics.zsetBytes)).toBeGreaterThan(Number(r.metrics.streamBytes));
    const xadd = r.steps[0]!.commands.find((c) => c.argv[0] === "XADD")!;
    expect(xadd.argv.slice(2)).toEqual([
      `${Date.UTC(2024, 0, 15, 10)}-0`,
      "value",
      expect.stringMatching(/^\d+\.\d$/),
      "host",
      "server1",
    ]);
  });
});
