/**
 * Each cache strategy's entries have one home (entryKey in scenarios/cache/workload.ts): the reads of the workload,
 * the writes, and a verdict's evidence all name the same key. Write-behind keeps its entries under a hash tag of its
 * own; its evidence must find the commands on those entries, not on cache:write-behind:user:<id>.
 */
import { describe, expect, it } from "vitest";
import { cacheAside } from "../../scenarios/cache/cache-aside.js";
import { defaultWorkloadParams } from "../../scenarios/cache/params.js";
import { readThrough } from "../../scenarios/cache/read-through.js";
import { entryKey, strategyReads, workloadScenario, type WorkloadState } from "../../scenarios/cache/workload.js";
import { writeBehindImpl } from "../../scenarios/cache/write-behind.js";
import { writeThroughImpl } from "../../scenarios/cache/write-through.js";
import { cleanupRun, planRun, runScenario } from "../../src/runner/runner.js";
import type { ScenarioContext } from "../../src/runner/types.js";
import type { WorkloadParams } from "../../scenarios/cache/params.js";
import { useScenarioHarness } from "../helpers/scenario.js";

const harness = useScenarioHarness();

describe.each([cacheAside, readThrough, writeThroughImpl, writeBehindImpl])("cache/$strategy", (impl) => {
  it("reads and writes the entries entryKey names, and a verdict's evidence shows the commands on them", async () => {
    const env = harness.env();
    const mark = env.recorder.mark();
    const result = await runScenario(planRun(workloadScenario(impl), defaultWorkloadParams), env);
    const commands = env.recorder.since(mark);
    expect(result.error).toBeUndefined();
    const cleanup = await cleanupRun(env, false);
    expect(cleanup.error).toBeUndefined();

    const ctx = { keys: env.keys } as unknown as ScenarioContext<WorkloadParams>;
    // Every entry any command names (GET, SET, DEL, the write-behind script's keys) is the one entryKey names.
    const entries = commands.flatMap((c) =>
      c.argv.filter((a) => a.startsWith(env.keys.prefix) && /:user:\d+$/.test(a)),
    );
    expect(entries.length).toBeGreaterThan(0);
    const users = [...new Set(entries.map((k) => Number(k.split(":").pop())))];
    expect(new Set(entries)).toEqual(new Set(users.map((id) => entryKey(ctx, impl, id))));

    const id = users[0]!;
    const read = { seq: 1, id, hit: true, version: 1, dbVersion: 1, ms: 0, trips: 1, stale: false };
    const state = { workloadCommands: commands } as unknown as WorkloadState;
    const evidence = strategyReads(ctx, impl, state, [read])();
    expect(evidence.commands?.length, "commands on the judged user's entry").toBeGreaterThan(0);
    expect(evidence.commands!.every((c) => c.argv.includes(entryKey(ctx, impl, id)))).toBe(true);
  });
});
