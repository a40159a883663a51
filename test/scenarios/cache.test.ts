import { describe, expect, it } from "vitest";
import {
  cacheScenarios,
  invalidationScenarios,
  stampedeScenarios,
  staleSetRace,
  strategyScenarios,
} from "../../scenarios/cache/index.js";
import { InterruptedError } from "../../src/errors.js";
import { KeySpace } from "../../src/redis/keys.js";
import { planRun, runScenario, cleanupRun, type RunEvent } from "../../src/runner/runner.js";
import type { ScenarioDef, ScenarioResult } from "../../src/runner/types.js";
import { testPrefix } from "../helpers/redis.js";
import { useScenarioHarness } from "../helpers/scenario.js";
import { POSTGRES_URL, postgresAnswers, postgresCacheTables } from "../patterns/cache/context.js";

const harness = useScenarioHarness();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = ScenarioDef<any, any>;

const COMMON_METRICS = ["hits", "misses", "dbReads", "dbWrites", "staleReads"];

function extraMetrics(id: string): string[] {
  if (id === "cache/sidecar" || id === "cache/remote") return ["readP50Ms", "readP99Ms", "staleReadsAfterWrite"];
  if (id === "cache/write-behind") return ["lostWrites", "batches", "flushLagP50Ms"];
  if (id.startsWith("cache/stampede-")) return ["dbLoads", "waiters", "latencyP50Ms", "latencyP99Ms"];
  if (id === "cache/invalidate-event")
    return ["propagationP50Ms", "missedInvalidations", "staleReadsWithoutRecovery", "staleReadsWithRecovery"];
  if (id.startsWith("cache/") && Object.values(strategyScenarios).some((s) => s.id === id))
    return ["hitRatio", "readHitP50Ms", "readMissP50Ms"];
  return [];
}

/** The table a run created, read from its CREATE TABLE statement in the trace. */
function tablesOf(result: ScenarioResult): string[] {
  return result.steps
    .flatMap((s) => s.commands)
    .filter((c) => c.source === "db")
    .map((c) => /^CREATE TABLE (\w+)/.exec(c.argv[0] ?? "")?.[1])
    .filter((t): t is string => t !== undefined);
}

function expectPassed(result: ScenarioResult & { leftKeys: string[] }, prefixCheck = true): void {
  expect(result.error, result.error).toBeUndefined();
  expect(result.checks.filter((c) => !c.ok)).toEqual([]);
  expect(result.checks.length).toBeGreaterThanOrEqual(2);
  for (const metric of [...COMMON_METRICS, ...extraMetrics(result.id)])
    expect(result.metrics[metric], metric).not.toBeUndefined();
  expect(result.leftKeys).toEqual([]);
  const commands = result.steps.flatMap((s) => s.commands);
  // Database statements are in the trace, marked as such; the table is dropped at the end.
  const db = commands.filter((c) => c.source === "db");
  expect(db.length).toBeGreaterThan(0);
  expect(db.some((c) => /^CREATE TABLE rp_cache_/.test(c.argv[0]!))).toBe(true);
  const teardown = result.steps[result.steps.length - 1]!;
  expect(teardown.title).toBe("Teardown");
  // (cache/sidecar also QUITs its sidecars there, before stopping them.)
  expect(teardown.commands.filter((c) => c.source === "db").map((c) => c.argv[0])).toEqual([
    `DROP TABLE ${tablesOf(result)[0]}`,
  ]);
  if (prefixCheck) {
    // Every Redis command that names a cache key names one under the run's prefix.
    for (const cmd of commands.filter((c) => c.source !== "db")) {
      for (const arg of cmd.argv.filter((a) => a.includes(":cache:")))
        expect(arg.startsWith("test:sc:"), arg).toBe(true);
    }
  }
}

describe.each(cacheScenarios.map((s) => [s.id, s] as [string, Any]))("%s with SQLite (defaults)", (_id, def) => {
  it("every check passes, the metrics are there, no key or table is left", async () => {
    const result = await harness.run(def, def.defaults);
    expectPassed(result);
  });
});

describe("variants", () => {
  it("write-behind --crash-before-flush: lostWrites equals the writes pending when the worker died", async () => {
    const def = strategyScenarios["write-behind"];
    const result = await harness.run(def, { ...def.defaults, crashBeforeFlush: true, flushIntervalMs: 5 });
    expectPassed(result);
    expect(result.metrics.lostWrites).toBe(result.metrics.pendingAtCrash);
    expect(Number(result.metrics.lostWrites)).toBeGreaterThan(0);
  });

  it("a worker that never gets to flush loses every write", async () => {
    const def = strategyScenarios["write-behind"];
    const result = await harness.run(def, { ...def.defaults, crashBeforeFlush: true, flushIntervalMs: 60_000 });
    expectPassed(result);
    expect(result.metrics.lostWrites).toBe(def.defaults.writes);
    expect(result.metrics.batches).toBe(0);
  });

  it.each(Object.keys(strategyScenarios) as (keyof typeof strategyScenarios)[])(
    "%s with entries expiring during the run (TTL 20 ms): still correct, model not applied",
    async (strategy) => {
      const def = strategyScenarios[strategy];
      const result = await harness.run(def, { ...def.defaults, ttlMs: 20, reads: 60, writes: 10 });
      expectPassed(result);
      expect(result.checks.some((c) => c.name.includes("model"))).toBe(false);
    },
  );

  it("a bigger, less skewed workload with no database latency", async () => {
    const def = strategyScenarios["write-through"];
    const result = await harness.run(def, {
      ...def.defaults,
      keys: 200,
      reads: 300,
      writes: 60,
      dbLatencyMs: 0,
      seed: 99,
    });
    expectPassed(result);
    expect(result.metrics.reads).toBe(300);
  });

  it.each([1, 5])("event invalidation with %i instance(s)", async (instances) => {
    const def = invalidationScenarios.event;
    const result = await harness.run(def, { ...def.defaults, instances });
    expectPassed(result);
    expect(result.metrics.missedInvalidations).toBe(2);
    expect(result.metrics.invalidationsDelivered).toBe(2 * instances + 2 * (instances - 1));
  });

  it("stampede with 3 concurrent requests", async () => {
    for (const def of Object.values(stampedeScenarios) as Any[]) {
      const result = await harness.run(def, { ...def.defaults, concurrency: 3 });
      expectPassed(result);
    }
  });
});

describe("what the scenarios demonstrate", () => {
  const metrics = async (def: Any, overrides: Record<string, unknown> = {}) =>
    (await harness.run(def, { ...def.defaults, ...overrides })).metrics;

  it("on one workload write-around leaves stale reads; cache-aside, write-through, write-behind none", async () => {
    const stale = Object.fromEntries(
      await Promise.all(
        Object.entries(strategyScenarios).map(async ([name, def]) => [name, (await metrics(def)).staleReads]),
      ),
    );
    expect(stale["read-through"]).toBeGreaterThan(0);
    expect(stale).toMatchObject({ "cache-aside": 0, "write-through": 0, "write-behind": 0 });
  });

  it("write-behind writes fewer rows than it acknowledged (a batch coalesces a user's writes)", async () => {
    const m = await metrics(strategyScenarios["write-behind"], { flushIntervalMs: 30 });
    expect(Number(m.dbWrites)).toBeLessThanOrEqual(Number(m.writes));
    expect(Number(m.dbWriteStatements)).toBeLessThan(Number(m.writes));
  });

  it("stampede: unprotected loads a whole wave, the lock loads once", async () => {
    const none = await metrics(stampedeScenarios.none);
    const lock = await metrics(stampedeScenarios.lock);
    expect(Number(none.dbLoads)).toBeGreaterThanOrEqual(8);
    expect(lock.dbLoads).toBe(1);
    expect(Number(lock.waiters)).toBeGreaterThan(0);
  });

  it("the stale-set race: stale without the fix, not with it", async () => {
    const m = await metrics(staleSetRace);
    expect(m.staleReadsWithoutFix).toBe(3);
    expect(m.staleReadsWithFix).toBe(0);
  });
});

describe("teardown after Ctrl-C", () => {
  it("an interrupted scenario still drops its table and closes the database", async () => {
    const controller = new AbortController();
    const env = { ...harness.env(), keys: new KeySpace(testPrefix("sc")), signal: controller.signal };
    env.recorder.setAbortSignal(controller.signal);
    let result: ScenarioResult | undefined;
    const onEvent = (e: RunEvent) => {
      if (e.type === "step-end" && e.step.title.startsWith("The origin database")) controller.abort();
      if (e.type === "scenario-end") result = e.result;
    };
    const def = strategyScenarios["cache-aside"];
    await expect(runScenario(planRun(def, def.defaults), env, onEvent)).rejects.toBeInstanceOf(InterruptedError);
    env.recorder.setAbortSignal(undefined);
    await cleanupRun(env, false);
    expect(result?.steps.map((s) => s.title)).toEqual([expect.stringMatching(/^The origin database/), "Teardown"]);
    expect(result?.steps[1]!.commands[0]!.argv[0]).toMatch(/^DROP TABLE rp_cache_/);
  });
});

const pgUp = await postgresAnswers();
if (!pgUp)
  console.warn(
    `PostgreSQL does not answer at ${POSTGRES_URL}: the PostgreSQL variants of the cache scenarios are skipped`,
  );

describe.skipIf(!pgUp).each(cacheScenarios.map((s) => [s.id, s] as [string, Any]))("%s with PostgreSQL", (id, def) => {
  it("every check passes, and the run's table is gone afterwards", async () => {
    const latency = id.startsWith("cache/stampede-") ? def.defaults.dbLatencyMs : 0;
    const result = await harness.run(def, { ...def.defaults, db: POSTGRES_URL, dbLatencyMs: latency });
    expectPassed(result);
    expect(result.title).toContain("PostgreSQL");
    const tables = tablesOf(result);
    expect(tables).toHaveLength(1);
    expect(await postgresCacheTables(tables)).toEqual([]);
  });
});

describe.skipIf(!pgUp)("PostgreSQL specifics", () => {
  it("write-behind crash on PostgreSQL loses exactly the pending writes", async () => {
    const def = strategyScenarios["write-behind"];
    const result = await harness.run(def, {
      ...def.defaults,
      db: POSTGRES_URL,
      dbLatencyMs: 0,
      crashBeforeFlush: true,
    });
    expectPassed(result);
    expect(result.metrics.lostWrites).toBe(result.metrics.pendingAtCrash);
  });

  it("an unreachable PostgreSQL ends the run with a connection error naming it, password redacted", async () => {
    const def = strategyScenarios["cache-aside"];
    await expect(harness.run(def, { ...def.defaults, db: "postgres://app:s3cret@127.0.0.1:1/none" })).rejects.toThrow(
      /cannot connect to the database at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/none/,
    );
  });
});
