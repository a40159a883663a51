import { durabilityScenarios, primaryDefaults, type PrimaryParams } from "../../../scenarios/primary/index.js";
import { PERSISTENCE_SETTINGS } from "../../patterns/primary/persistence.js";
import { planRun } from "../../runner/runner.js";
import type { ScenarioResult, TableData } from "../../runner/types.js";
import type { PrimaryCliOptions } from "../options/primary.js";
import { runSession } from "../session.js";
import { writeNotice } from "../notice.js";
import { checksCell } from "../format.js";

export function primaryParams(opts: PrimaryCliOptions): PrimaryParams {
  return {
    ...primaryDefaults,
    killAfterMs: opts.killAfter ?? null,
    // Past the first snapshot of the default save rule (Redis takes it 1-2 s after it starts), so RDB shows a loss
    // since the last snapshot rather than no snapshot at all.
    killRangeMs: [2_300, 3_300],
    seed: opts.seed,
    rate: opts.rate,
    rdbSave: opts.rdbSave,
    serverBinary: opts.serverBinary ?? null,
  };
}

export async function primaryCommand(opts: PrimaryCliOptions): Promise<void> {
  const params = primaryParams(opts);
  const chosen = opts.persistence ? [opts.persistence] : [...PERSISTENCE_SETTINGS];
  // Said before the run, on stderr: the command starts (and kills) servers of its own.
  if (!opts.json)
    writeNotice(
      `starting a throwaway redis-server per setting (${chosen.join(", ")}) to SIGKILL and restart; ` +
        "each stops and its files are removed when the run ends",
    );
  await runSession(opts, {
    command: "primary",
    runs: chosen.map((s) => planRun(durabilityScenarios[s], params)),
    summarize: compareTable,
  });
}

/** One row per persistence setting: the same app, the same kill moment, and what each kept. */
export function compareTable(results: ScenarioResult[]): TableData {
  const m = (r: ScenarioResult, name: string) => r.metrics[name] ?? null;
  const first = results[0];
  return {
    title:
      `Acknowledged writes lost to a SIGKILL after ${String(first?.metrics.killAfterMs ?? "?")} ms · the ` +
      `chapter: "Shopping cart (with AOF persistence)"`,
    columns: [
      "setting",
      "acknowledged",
      "lost",
      "may lose ≤",
      "lost (cart)",
      "promise",
      "a power loss could lose",
      "write p50 ms",
      "write p99 ms",
      "checks",
    ],
    rows: results.map((r) => [
      String(m(r, "setting") ?? r.id.replace("primary/", "")),
      m(r, "acked"),
      m(r, "lost"),
      m(r, "lostBound"),
      m(r, "cartLost"),
      m(r, "promiseProcessCrash"),
      m(r, "promiseMachineCrash"),
      m(r, "writeP50Ms"),
      m(r, "writeP99Ms"),
      checksCell(r),
    ]),
  };
}
