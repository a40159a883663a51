import { describe, expect, it } from "vitest";
import { defaultParams, lockScenarios, noLockScenario, type LockParams } from "../../scenarios/lock/index.js";
import { lockScenario } from "../../scenarios/lock/algorithm-run.js";
import { fencing } from "../../scenarios/lock/fencing.js";
import { watchdog } from "../../scenarios/lock/watchdog.js";
import { lockAlgorithms } from "../../src/patterns/lock/index.js";
import { useScenarioHarness } from "../helpers/scenario.js";

const harness = useScenarioHarness();

const METRICS = ["finalCount", "expectedCount", "doubleHolds", "staleWritesRejected", "renewals", "waitP99Ms"];

const variants: [string, Partial<LockParams>][] = [
  ["defaults", {}],
  ["5 workers × 4 increments, 100 ms TTL, 250 ms stall", { workers: 5, increments: 4, ttlMs: 100, pauseMs: 250 }],
  ["2 workers × 25 increments", { workers: 2, increments: 25 }],
];

describe.each(lockAlgorithms)("lock/%s", (algo) => {
  it.each(variants)("%s: every check passes, the metrics are there, no key is left", async (_name, overrides) => {
    const params = { ...defaultParams, ...overrides };
    const result = await harness.run(lockScenarios[algo], params);
    expect(result.error).toBeUndefined();
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    // On a busy machine a lock may outlive its TTL's worth of time unrenewed: inconclusive, said why, never failed.
    expect(["passed", "inconclusive"]).toContain(result.status);
    if (result.status === "inconclusive") expect(result.inconclusive).toMatch(/this machine was too slow/);
    else {
      expect(result.checks.length).toBeGreaterThanOrEqual(5);
      expect(result.metrics.finalCount).toBe(params.workers * params.increments);
    }
    for (const metric of METRICS) expect(result.metrics[metric], metric).not.toBeUndefined();
    expect(result.metrics.expectedCount).toBe(params.workers * params.increments);
    expect(result.figures.length).toBe(1);
    // Each worker's commands went over its own connection, labelled in the trace.
    const clients = new Set(result.steps.flatMap((s) => s.commands.map((c) => c.client)));
    for (let k = 1; k <= params.workers; k++) expect(clients.has(`worker-${k}`)).toBe(true);
    expect(result.leftKeys).toEqual([]);
  });
});

describe("what the lock scenarios demonstrate", () => {
  it("simple: the expiry pitfall gives a double hold; the late release answers 0, the stale write lands", async () => {
    const result = await harness.run(lockScenarios.simple, defaultParams);
    expect(result.metrics.doubleHolds).toBeGreaterThanOrEqual(1);
    expect(result.metrics.staleWritesAccepted).toBe(1);
    expect(result.metrics.staleWritesRejected).toBe(0);
    expect(result.metrics.lostUpdates).toBe(1);
    expect(result.metrics.renewals).toBe(0);
    // The late release is in the trace: worker-1's release EVALSHA answered 0, and the lock was worker-2's after it.
    const resume = result.steps.find((s) => s.title.startsWith("3/3"))!;
    const releases = resume.commands.filter(
      (c) => c.client === "worker-1" && /^EVAL/.test(c.argv[0]!) && c.argv[1] !== undefined,
    );
    expect(releases.at(-1)!.reply).toBe(0);
  });

  it("watchdog: renewals, no double hold, and a LockLostError when a renewal fails", async () => {
    const result = await harness.run(lockScenarios.watchdog, defaultParams);
    // A machine too slow to renew in time makes it inconclusive (test/scenarios/stalls.test.ts), never failed.
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    if (result.status !== "inconclusive") expect(result.metrics.doubleHolds).toBe(0);
    expect(result.metrics.renewals).toBeGreaterThanOrEqual(1);
    const failed = result.steps.find((s) => s.title.startsWith("A renewal fails"))!;
    // The renewal that failed answered 0 in the trace.
    expect(failed.commands.some((c) => c.client === "worker-1" && c.argv[0] === "EVALSHA" && c.reply === 0)).toBe(true);
    expect(JSON.stringify(failed.tables)).toContain("LockLostError");
  });

  it("fencing: the stale write is rejected, and the tokens count up", async () => {
    const result = await harness.run(lockScenarios.fencing, defaultParams);
    expect(result.metrics.staleWritesRejected).toBe(1);
    expect(result.metrics.staleWritesAccepted).toBe(0);
    expect(result.metrics.doubleHolds).toBeGreaterThanOrEqual(1);
    expect(result.metrics.lostUpdates).toBe(0);
  });

  it.each([2, 3, 5])(
    "no-lock with %i workers loses updates on every run, exactly as the model says",
    async (workers) => {
      for (let run = 0; run < 3; run++) {
        const params = { ...defaultParams, workers, increments: 7 };
        const result = await harness.run(noLockScenario, params);
        expect(result.checks.filter((c) => !c.ok)).toEqual([]);
        expect(result.metrics.finalCount).toBe(7);
        expect(result.metrics.lostUpdates).toBe(workers * 7 - 7);
        for (const metric of METRICS) expect(result.metrics[metric], metric).not.toBeUndefined();
        expect(result.leftKeys).toEqual([]);
      }
    },
  );
});

describe("the checks can fail", () => {
  it("a 'watchdog' that never renews fails its own checks: the lock expires and worker-2 gets in", async () => {
    const broken = lockScenario({ ...watchdog, watchdog: false });
    const result = await harness.run(broken, defaultParams);
    const failed = result.checks.filter((c) => !c.ok).map((c) => c.name);
    expect(failed).toEqual(
      expect.arrayContaining([
        "the watchdog renewed the lock during the stall",
        "no double hold: worker-2 was refused while worker-1 stalled",
        "worker-1's release after the stall answered 1: it still owned its lock",
      ]),
    );
    expect(result.ok).toBe(false);
    expect(result.leftKeys).toEqual([]);
  });

  it("a 'fenced' resource that ignores tokens fails: the stale write is not rejected", async () => {
    const broken = lockScenario({
      ...fencing,
      async write(ctx, redis, value, grant) {
        // Writes the value and the token without comparing: what a resource that does not check would do.
        await redis.call(
          "HSET",
          ctx.keys.key("lock", "fencing", `{${ctx.params.resource}}`, "counter"),
          "value",
          String(value),
          "fence",
          String(grant.fence),
        );
        return true;
      },
    });
    const result = await harness.run(broken, defaultParams);
    const failed = result.checks.filter((c) => !c.ok).map((c) => c.name);
    expect(failed).toContain("the paused holder's late write, carrying the older token, was refused by the resource");
    expect(result.metrics.staleWritesRejected).toBe(0);
    expect(result.leftKeys).toEqual([]);
  });
});
