import {
  defaultParams,
  failoverDefaults,
  failoverScenario,
  lockScenarios,
  noLockScenario,
  redlockDefaults,
  redlockScenario,
  type LockParams,
  type RedlockParams,
} from "../../../scenarios/lock/index.js";
import { UsageError } from "../../errors.js";
import { redactUrl } from "../../redis/redact.js";
import { lockAlgorithms } from "../../patterns/lock/index.js";
import { planRun } from "../../runner/runner.js";
import type { ScenarioResult, TableData } from "../../runner/types.js";
import type { LockCliOptions } from "../options/lock.js";
import { runSession } from "../session.js";
import { wantsLockScript } from "../options/lock-script.js";
import { writeNotice } from "../notice.js";
import { checksCell } from "../format.js";

/** Command-line options → scenario parameters. The stall defaults to twice the TTL and must exceed it. */
export function lockParams(opts: LockCliOptions): LockParams {
  const pauseMs = opts.pause ?? 2 * opts.ttl;
  if (pauseMs <= opts.ttl) {
    throw new UsageError(
      `--pause (${pauseMs} ms) must be longer than --ttl (${opts.ttl} ms): the pitfall is a holder that stalls ` +
        `past its lock's TTL`,
    );
  }
  return {
    ...defaultParams,
    workers: opts.workers,
    increments: opts.increments,
    ttlMs: opts.ttl,
    pauseMs,
    renew: opts.renew !== false,
  };
}

/** Command-line options → Redlock parameters: 3 or more --node URLs, or none (throwaway servers). */
export function redlockParams(opts: LockCliOptions): RedlockParams {
  const nodes = opts.node ?? [];
  if (nodes.length > 0 && nodes.length < 3) {
    throw new UsageError(
      `Redlock needs 3 or more independent masters: got ${nodes.length} --node (5 is usual; or none, to start ` +
        `5 throwaway servers)`,
    );
  }
  const params: RedlockParams = {
    ...redlockDefaults,
    nodes,
    ttlMs: opts.ttl,
    nodeTimeoutMs: opts.nodeTimeout,
    retries: opts.retries,
    retryDelayMs: opts.retryDelay,
    seed: opts.seed,
  };
  // The report (--json) carries the parameters: the node URLs go there without their passwords.
  Object.defineProperty(params, "toJSON", {
    enumerable: false,
    value: () => ({ ...params, nodes: nodes.map(redactUrl) }),
  });
  return params;
}

export async function lockCommand(opts: LockCliOptions): Promise<void> {
  if (wantsLockScript(opts)) return (await import("./lock-script.js")).lockScriptCommand(opts);
  if (opts.fuzz !== undefined) throw new UsageError("lock --fuzz checks your own lock: give it with --acquire-script");
  if (opts.junit)
    throw new UsageError("lock --junit goes with --acquire-script (smoke --junit covers the built-in locks)");
  if (opts.node && opts.algo !== "redlock")
    throw new UsageError("--node names a Redlock master: use it with --algo redlock");
  if (opts.failover && (opts.algo || !opts.lock))
    throw new UsageError("--failover runs its own demonstration: it takes no --algo and no --no-lock");
  if (opts.failover || opts.algo === "redlock") {
    const own = opts.failover
      ? "a master and a replica"
      : opts.node
        ? null
        : `${redlockDefaults.startNodes} independent masters`;
    // Said before the run, on stderr: the demonstration starts (and stops) its own servers.
    if (own)
      writeNotice(`starting ${own} as throwaway redis-servers for this run (no persistence); they stop when it ends`);
    const run = opts.failover
      ? planRun(failoverScenario, failoverDefaults)
      : planRun(redlockScenario, redlockParams(opts));
    await runSession(opts, { command: "lock", runs: [run] });
    return;
  }
  const params = lockParams(opts);
  if (!opts.lock && opts.algo)
    throw new UsageError(
      `--no-lock runs the increments without any lock: it takes no --algo (got --algo ${opts.algo})`,
    );
  const algo = opts.algo;
  const runs = !opts.lock
    ? [planRun(noLockScenario, params)]
    : (algo ? [algo] : [...lockAlgorithms]).map((a) => planRun(lockScenarios[a], params));
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
    title:
      `Compared on the same work and the same stall (TTL ${String(first?.metrics.ttlMs)} ms, ` +
      `stall ${String(first?.metrics.pauseMs)} ms)`,
    columns: [
      "algorithm",
      "final count",
      "expected",
      "double holds",
      "stale writes rejected",
      "stale writes accepted",
      "renewals",
      "wait p99 ms",
      "checks",
    ],
    rows: results.map((r) => [
      r.id.replace("lock/", ""),
      m(r, "finalCount"),
      m(r, "expectedCount"),
      m(r, "doubleHolds"),
      m(r, "staleWritesRejected"),
      m(r, "staleWritesAccepted"),
      m(r, "renewals"),
      m(r, "waitP99Ms"),
      checksCell(r),
    ]),
  };
}
