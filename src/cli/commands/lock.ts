import { defaultParams, lockScenarios, noLockScenario, type LockParams } from "../../../scenarios/lock/index.js";
import { UsageError } from "../../errors.js";
import { lockAlgorithms } from "../../patterns/lock/index.js";
import { planRun } from "../../scenario/runner.js";
import type { ScenarioResult, TableData } from "../../scenario/types.js";
import type { LockCliOptions } from "../declare/lock.js";
import { runSession } from "../session.js";

/** Command-line options → scenario parameters. The stall defaults to twice the TTL and must exceed it. */
export function lockParams(opts: LockCliOptions): LockParams {
  const pauseMs = opts.pause ?? 2 * opts.ttl;
  if (pauseMs <= opts.ttl) {
    throw new UsageError(`--pause (${pauseMs} ms) must be longer than --ttl (${opts.ttl} ms): the pitfall is a holder that stalls past its lock's TTL`);
  }
  return { ...defaultParams, workers: opts.workers, increments: opts.increments, ttlMs: opts.ttl, pauseMs };
}

export async function lockCommand(opts: LockCliOptions): Promise<void> {
  const params = lockParams(opts);
  if (!opts.lock && opts.algo) throw new UsageError(`--no-lock runs the increments without any lock: it takes no --algo (got --algo ${opts.algo})`);
  const runs = !opts.lock
    ? [planRun(noLockScenario, params)]
    : (opts.algo ? [opts.algo] : [...lockAlgorithms]).map((algo) => planRun(lockScenarios[algo], params));
  await runSession(opts, {
    command: "lock",
    runs,
    summarize: runs.length > 1 ? compareTable : undefined,
  });
}

/** One row per algorithm: the same workload and the same stall, and what each made of it. */
export function compareTable(results: ScenarioResult[]): TableData {
  const m = (r: ScenarioResult, name: string) => r.metrics[name] ?? null;
  const first = results[0];
  return {
    title: `Compared on the same work and the same stall (TTL ${String(first?.metrics.ttlMs)} ms, stall ${String(first?.metrics.pauseMs)} ms)`,
    columns: ["algorithm", "final count", "expected", "double holds", "stale writes rejected", "stale writes accepted", "renewals", "wait p99 ms", "checks"],
    rows: results.map((r) => [
      r.id.replace("lock/", ""),
      m(r, "finalCount"),
      m(r, "expectedCount"),
      m(r, "doubleHolds"),
      m(r, "staleWritesRejected"),
      m(r, "staleWritesAccepted"),
      m(r, "renewals"),
      m(r, "waitP99Ms"),
      `${r.checks.filter((c) => c.ok).length}/${r.checks.length}${r.ok ? " ✓" : " ✗"}`,
    ]),
  };
}
