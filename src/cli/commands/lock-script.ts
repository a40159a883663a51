import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import { userLockParams, userLockScenario } from "../../../scenarios/lock/user-script.js";
import { UsageError } from "../../errors.js";
import { loadUserLock } from "../../patterns/lock/user-script.js";
import { planRun } from "../../runner/runner.js";
import type { LockCliOptions } from "../options/lock.js";
import { toJunit } from "../render/junit.js";
import { runSession } from "../session.js";
import { withFlagNames } from "./user-file-flags.js";

/** `lock --acquire-script A --release-script R [--extend-script E]`: the checks of scenarios/lock/user-script.ts. */
export async function lockScriptCommand(opts: LockCliOptions): Promise<void> {
  if (!opts.acquireScript || !opts.releaseScript) {
    throw new UsageError(
      "checking your lock needs both --acquire-script and --release-script (--extend-script is optional)",
    );
  }
  if (opts.algo || !opts.lock || opts.failover || opts.node) {
    throw new UsageError("--acquire-script checks your lock: it takes no --algo, --no-lock, --failover or --node");
  }
  const pauseMs = opts.pause ?? 2 * opts.ttl;
  if (pauseMs <= opts.ttl) throw new UsageError(`--pause (${pauseMs} ms) must be longer than --ttl (${opts.ttl} ms)`);
  const { acquireScript: acquire, releaseScript: release, extendScript: extend } = opts;
  const lock = await withFlagNames(() => loadUserLock({ acquire, release, extend }));
  const params = userLockParams({
    lock,
    names: [opts.acquireScript, opts.releaseScript, ...(opts.extendScript ? [opts.extendScript] : [])].map((f) =>
      basename(f),
    ),
    workers: opts.workers,
    increments: opts.increments,
    ttlMs: opts.ttl,
    pauseMs,
    resource: "order-456",
    fuzz: opts.fuzz ?? 0,
    seed: opts.seed,
  });
  await runSession(opts, {
    command: "lock",
    runs: [planRun(userLockScenario(), params)],
    onReport: (report) => {
      if (opts.junit) writeFileSync(opts.junit, toJunit(report));
    },
  });
}
