import { keepEvidence, type CheckFailure } from "../check-failure.js";
import type { Target } from "../redis/connection.js";
import type { RecordedCommand } from "../redis/recorder.js";
import { scriptBySha } from "../redis/script.js";
import type { CleanupResult } from "./runner.js";
import type { CheckResult, ScenarioResult, ScenarioStatus, TableData } from "./types.js";

/** Bumped whenever a field of the --json document changes meaning or disappears. */
export const SCHEMA_VERSION = 1;

/** The one document `--json` prints, and what the human renderer draws from. */
export interface RunReport {
  schemaVersion: typeof SCHEMA_VERSION;
  ok: boolean;
  command: string;
  target: Target;
  prefix: string;
  /** What was sent before the scenarios: the connection handshake (AUTH redacted) and the server description. */
  setup: { commands: RecordedCommand[] };
  scenarios: ScenarioResult[];
  /**
   * Every check that did not hold, scenario by scenario, and every scenario that stopped on an error (as the check
   * {@link RAN_TO_THE_END}): expected, actual and the evidence (checkFailures).
   */
  failures: CheckFailure[];
  /** A table across scenarios (e.g. `ratelimit --compare`). */
  summary?: TableData;
  /** Source of every Lua script the trace names by SHA. */
  scripts: { name: string; sha: string; lua: string }[];
  cleanup: CleanupResult;
  interrupted?: boolean;
  error?: { message: string; exitCode: number };
}

/** A check of a scenario as a failure: the shape CheckFailedError, the report and every renderer share. */
export function checkFailure(scenario: string, { name, ok: _ok, ...rest }: CheckResult): CheckFailure {
  return { scenario, check: name, ...rest };
}

/** How many of the last commands before an error are its evidence: what led up to it, and the refused command. */
export const ERROR_EVIDENCE_COMMANDS = 6;

/** The check a scenario that stopped on an error failed, in `failures` with the checks that did not hold. */
export const RAN_TO_THE_END = "the scenario ran to the end";

/**
 * A scenario that stopped on an error, as a failed check: expected no error, actual the error, where it stopped (the
 * step and the command the server refused), and as evidence the last commands of that step (ERROR_EVIDENCE_COMMANDS)
 * with their replies and errors. Undefined for a scenario that did not error.
 */
export function errorFailure(s: ScenarioResult): CheckFailure | undefined {
  if (s.error === undefined) return undefined;
  const where = s.errorAt;
  const step = where ? s.steps.findLast((st) => st.title === where.step) : s.steps.at(-1);
  const evidence = keepEvidence({ commands: (step?.commands ?? []).slice(-ERROR_EVIDENCE_COMMANDS) });
  return {
    scenario: s.id,
    check: RAN_TO_THE_END,
    expected: "no error",
    actual: s.error,
    ...(where ? { detail: `stopped in "${where.step}"${where.command ? ` at: ${where.command}` : ""}` } : {}),
    ...(Object.keys(evidence).length > 0 ? { evidence } : {}),
  };
}

/** The checks that did not hold and the scenarios that stopped on an error, scenario by scenario, in run order. */
export function checkFailures(scenarios: readonly ScenarioResult[]): CheckFailure[] {
  return scenarios.flatMap((s) => {
    const stopped = errorFailure(s);
    return [...(stopped ? [stopped] : []), ...s.checks.filter((c) => !c.ok).map((c) => checkFailure(s.id, c))];
  });
}

/** The scripts a set of commands ran, each once, with their source. */
export function scriptsUsed(commands: Iterable<RecordedCommand>): RunReport["scripts"] {
  const out = new Map<string, RunReport["scripts"][number]>();
  for (const cmd of commands) {
    // An EVAL only ever follows the EVALSHA of the same script that got NOSCRIPT, so the SHAs name them all.
    if (cmd.argv[0]?.toUpperCase() !== "EVALSHA") continue;
    const script = scriptBySha(cmd.argv[1] ?? "");
    if (script && !out.has(script.sha)) out.set(script.sha, { name: script.name, sha: script.sha, lua: script.lua });
  }
  return [...out.values()];
}

/** How many scenarios ended in each status. */
export function countStatuses(scenarios: readonly ScenarioResult[]): Record<ScenarioStatus, number> {
  const counts: Record<ScenarioStatus, number> = { passed: 0, failed: 0, errored: 0, skipped: 0, inconclusive: 0 };
  for (const s of scenarios) counts[s.status] += 1;
  return counts;
}

/** "30 passed, 1 failed, 1 errored, 2 skipped, 0 inconclusive": every status, also the ones that did not occur. */
export function statusLine(scenarios: readonly ScenarioResult[]): string {
  const counts = countStatuses(scenarios);
  const order: ScenarioStatus[] = ["passed", "failed", "errored", "skipped", "inconclusive"];
  return order.map((status) => `${counts[status]} ${status}`).join(", ");
}
