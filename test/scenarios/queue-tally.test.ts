/**
 * The queue comparison (`queue` without --kind) reads each run's tally back from its metrics: each of its cells must
 * be the cell the scenario's own tally table shows, under the same column.
 */
import { describe, expect, it } from "vitest";
import { defaultQueueParams, queueScenarios } from "../../scenarios/queue/index.js";
import { queueKinds } from "../../src/patterns/queue/index.js";
import type { ScenarioResult } from "../../src/runner/types.js";
import { compareQueues } from "../../src/cli/commands/queue.js";
import { useScenarioHarness } from "../helpers/scenario.js";

const harness = useScenarioHarness();

describe("the queues' comparison table", () => {
  it("shows each queue's tally as the scenario's own table does, column by column", async () => {
    const results: ScenarioResult[] = [];
    for (const kind of queueKinds) results.push(await harness.run(queueScenarios[kind], defaultQueueParams));
    const comparison = compareQueues(results);
    for (const [i, result] of results.entries()) {
      const own = result.steps.flatMap((s) => s.tables).find((t) => t.title?.startsWith("Every produced message"));
      expect(own, result.id).toBeDefined();
      const row = comparison.rows[i]!;
      for (const [c, column] of own!.columns.entries()) {
        if (column === "throughput") continue;
        expect(row[comparison.columns.indexOf(column)], `${result.id}: ${column}`).toBe(own!.rows[0]![c]);
      }
    }
    // Something to compare: the default crashes leave duplicates or losses in every queue.
    expect(comparison.rows.every((r) => r.slice(1, 8).some((v) => typeof v === "number" && v > 0))).toBe(true);
  });
});
