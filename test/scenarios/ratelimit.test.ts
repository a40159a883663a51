import { describe, expect, it } from "vitest";
import {
  clientNames,
  defaultParams,
  rateLimitScenarios,
  type RateLimitParams,
} from "../../scenarios/ratelimit/index.js";
import { algorithms } from "../../src/patterns/ratelimit/index.js";
import { cleanupRun, planRun, runScenario, type RunEnv } from "../../src/runner/runner.js";
import { useScenarioHarness } from "../helpers/scenario.js";

const harness = useScenarioHarness();
const env = (): RunEnv => harness.env();

const variants: [string, Partial<RateLimitParams>][] = [
  ["defaults (boundary)", {}],
  ["steady, 3 clients", { traffic: "steady", clients: clientNames(3) }],
  ["burst in one millisecond, cost 2", { traffic: "burst", cost: 2, clients: clientNames(2) }],
  ["chapter's 100 per minute", { limit: 100, burst: 100, ratePerSec: 100 / 60, requestsPerClient: 200 }],
  ["short window, fast refill", { windowMs: 500, ratePerSec: 20, traffic: "steady" }],
];

// Every scenario's checks, on several traffic shapes: the table-driven run that `smoke` will build on.
describe.each(algorithms)("ratelimit/%s", (algo) => {
  it.each(variants)("%s: every check passes and the keys are cleaned up", async (_name, overrides) => {
    const e = env();
    const params = { ...defaultParams, ...overrides };
    const result = await runScenario(planRun(rateLimitScenarios[algo], params), e);
    const failed = result.checks.filter((c) => !c.ok);
    expect(result.error).toBeUndefined();
    expect(failed).toEqual([]);
    expect(result.checks.length).toBeGreaterThanOrEqual(3);
    for (const metric of [
      "requests",
      "allowed",
      "rejected",
      "maxAllowedInWindow",
      "commandsPerRequest",
      "bytesPerIdentifier",
    ]) {
      expect(result.metrics[metric], metric).not.toBeUndefined();
    }
    expect(result.metrics.requests).toBe(params.requestsPerClient * params.clients.length);
    // Every command a step sent touches only the run's keys.
    for (const step of result.steps) {
      for (const cmd of step.commands) {
        const keys = cmd.argv.filter((a) => a.includes(":ratelimit:"));
        for (const key of keys) expect(key.startsWith(e.keys.prefix + ":")).toBe(true);
      }
    }
    const cleanup = await cleanupRun(e, false);
    expect(cleanup.error).toBeUndefined();
    expect(cleanup.deleted).toBeGreaterThan(0);
    const left = (await harness
      .connection()
      .redis.call("SCAN", "0", "MATCH", `${e.keys.prefix}:*`, "COUNT", 10_000)) as [string, string[]];
    expect(left[1]).toEqual([]);
  });
});

describe("what the scenarios demonstrate", () => {
  async function metrics(algo: (typeof algorithms)[number], overrides: Partial<RateLimitParams> = {}) {
    const e = env();
    const result = await runScenario(planRun(rateLimitScenarios[algo], { ...defaultParams, ...overrides }), e);
    await cleanupRun(e, false);
    return result.metrics;
  }

  it("the fixed window lets 2 × limit through at a boundary; the sliding log never more than the limit", async () => {
    expect((await metrics("fixed-window")).maxAllowedInWindow).toBe(20);
    expect((await metrics("sliding-log")).maxAllowedInWindow).toBe(10);
    expect((await metrics("sliding-counter")).maxAllowedInWindow).toBeLessThan(20);
  });

  it("the sliding log costs more memory per identifier than the counters", async () => {
    const log = Number((await metrics("sliding-log", { traffic: "steady" })).bytesPerIdentifier);
    const counter = Number((await metrics("sliding-counter", { traffic: "steady" })).bytesPerIdentifier);
    expect(log).toBeGreaterThan(counter);
  });
});
