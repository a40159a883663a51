import { writeFileSync } from "node:fs";
import { allScenarios, selectScenarios } from "../../../scenarios/index.js";
import { UsageError } from "../../errors.js";
import { planRun } from "../../runner/runner.js";
import type { ScenarioResult, TableData } from "../../runner/types.js";
import type { SmokeCliOptions } from "../options/smoke.js";
import { formatMs } from "../format.js";
import { toJunit } from "../render/junit.js";
import { runSession } from "../session.js";

/** `redis-patterns smoke`: every scenario, default parameters, compact output, JUnit on request. */
export async function smokeCommand(opts: SmokeCliOptions): Promise<void> {
  const all = await allScenarios();
  const chosen = selectScenarios(all, opts.only, opts.skip);
  if (chosen.length === 0) {
    throw new UsageError(
      `--only/--skip left no scenario to run; the scenarios are: ${all.map((s) => s.id).join(", ")}`,
    );
  }
  const started = performance.now();
  await runSession(
    { ...opts, trace: opts.json ? opts.trace : "off" },
    {
      command: "smoke",
      runs: chosen.map((def) => planRun(def, def.defaults)),
      compact: true,
      maxKeys: opts.maxKeys,
      waitMs: opts.wait,
      summarize: (results) => smokeTable(results, performance.now() - started),
      onReport: (report) => {
        if (opts.junit) writeFileSync(opts.junit, toJunit(report));
      },
    },
  );
}

export function smokeTable(results: ScenarioResult[], totalMs: number): TableData {
  const passed = results.filter((r) => r.ok).length;
  return {
    title: `Smoke: ${passed}/${results.length} scenarios passed in ${formatMs(totalMs)}`,
    columns: ["scenario", "result", "duration", "commands", "checks"],
    rows: results.map((r) => [
      r.id,
      r.ok ? "✓ pass" : r.error ? "✗ error" : "✗ fail",
      formatMs(r.ms),
      r.steps.reduce((n, s) => n + s.commands.length, 0),
      `${r.checks.filter((c) => c.ok).length}/${r.checks.length}`,
    ]),
  };
}
