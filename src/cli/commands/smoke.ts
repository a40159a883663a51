import { accessSync, constants, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
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
  // Before connecting: a report that cannot be written is a usage error, not a surprise after a green run.
  if (opts.junit) checkWritable(opts.junit);
  const started = performance.now();
  let written: string | undefined;
  try {
    await runSession(
      { ...opts, trace: opts.json ? opts.trace : "off" },
      {
        command: "smoke",
        runs: chosen.map((def) => planRun(def, def.defaults)),
        compact: true,
        maxKeys: opts.maxKeys,
        waitMs: opts.wait,
        probe: true,
        alsoFail: opts.strict ? ["skipped", "inconclusive"] : [],
        summarize: (results) => smokeTable(results, performance.now() - started),
        onReport: (report) => {
          if (!opts.junit) return;
          writeFileSync(opts.junit, toJunit(report));
          written = opts.junit;
        },
      },
    );
  } finally {
    // On stderr, so --json's stdout stays one document; also after failed checks (the report is what CI shows).
    if (written) process.stderr.write(`JUnit written to ${resolve(written)}\n`);
  }
}

/** The --junit file must be creatable: its directory exists and is writable, and it is not a directory itself. */
function checkWritable(file: string): void {
  const path = resolve(file);
  const dir = dirname(path);
  try {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new Error("is a directory");
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`no such directory: ${dir}`);
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const why = err instanceof Error && "code" in err ? `cannot write in ${dir}` : (err as Error).message;
    throw new UsageError(`--junit ${file}: ${why}`);
  }
}

const RESULT_TEXT: Record<ScenarioResult["status"], string> = {
  passed: "✓ pass",
  failed: "✗ fail",
  errored: "✗ error",
  skipped: "– skipped",
  inconclusive: "? inconclusive",
};

export function smokeTable(results: ScenarioResult[], totalMs: number): TableData {
  const passed = results.filter((r) => r.status === "passed").length;
  return {
    title: `Smoke: ${passed}/${results.length} scenarios passed in ${formatMs(totalMs)}`,
    columns: ["scenario", "result", "duration", "commands", "checks"],
    rows: results.map((r) => [
      r.id,
      r.status === "passed" && r.fallbacks?.length ? "✓ pass (fallback)" : RESULT_TEXT[r.status],
      formatMs(r.ms),
      r.steps.reduce((n, s) => n + s.commands.length, 0),
      `${r.checks.filter((c) => c.ok).length}/${r.checks.length}`,
    ]),
  };
}
