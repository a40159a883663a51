import { writeFileSync } from "node:fs";
import { clientNames } from "../../../scenarios/ratelimit/index.js";
import { userScriptParams, userScriptScenario } from "../../../scenarios/ratelimit/user-script.js";
import { UsageError } from "../../errors.js";
import type { Semantics } from "../../patterns/ratelimit/user-check.js";
import { loadUserLimiter, type Contract } from "../../patterns/ratelimit/user-script.js";
import { planRun } from "../../runner/runner.js";
import type { RateLimitCliOptions } from "../options/ratelimit.js";
import { toJunit } from "../render/junit.js";
import { runSession } from "../session.js";
import { withFlagNames } from "./user-file-flags.js";

/** The promise that follows from the options: --semantics, else the model's or the contract's own. */
export function semanticsFor(opts: RateLimitCliOptions, contract: Contract): Semantics {
  if (opts.semantics) return opts.semantics;
  if (contract === "bucket" || opts.model === "token-bucket") return "bucket";
  if (opts.model === "fixed-window" || opts.model === "sliding-counter") return "fixed";
  return "sliding";
}

/** `ratelimit --script FILE.lua [--adapter …]`: the checks of scenarios/ratelimit/user-script.ts. */
export async function userScriptCommand(opts: RateLimitCliOptions): Promise<void> {
  if (opts.algo || opts.compare) {
    throw new UsageError(
      "--script checks your limiter: it takes no --algo/--compare (use --model <algo> to compare its decisions " +
        "with one)",
    );
  }
  const contract: Contract = opts.contract ?? (opts.model === "token-bucket" ? "bucket" : "window");
  const semantics = semanticsFor(opts, contract);
  if ((contract === "bucket") !== (semantics === "bucket")) {
    throw new UsageError(
      `--semantics ${semantics} does not fit --contract ${contract}: a bucket contract promises a bucket ` +
        `(--semantics bucket), a window contract a window (sliding or fixed)`,
    );
  }
  if (opts.model && (opts.model === "token-bucket") !== (contract === "bucket")) {
    throw new UsageError(`--model ${opts.model} does not fit --contract ${contract}`);
  }
  if (contract === "window" && opts.cost !== 1) {
    throw new UsageError("--cost needs --contract bucket: the window contract sends a request id, not a cost");
  }
  if (opts.seed !== undefined && opts.fuzz === undefined && !opts.script && !opts.adapter) {
    throw new UsageError("--seed goes with --script (and --fuzz)");
  }
  const limiter = await withFlagNames(() => loadUserLimiter(opts.script, opts.adapter));
  const capacity = opts.burst ?? opts.limit;
  const refillPerSec = opts.rate ?? (opts.limit * 1000) / opts.window;
  const size = contract === "bucket" ? Math.ceil(capacity / opts.cost) : opts.limit;
  const params = userScriptParams({
    limiter,
    config: {
      contract,
      semantics,
      ...(opts.model ? { model: opts.model } : {}),
      limit: opts.limit,
      windowMs: opts.window,
      capacity,
      refillPerSec,
    },
    requestsPerClient: opts.requests ?? 3 * size,
    clients: clientNames(Math.max(3, opts.clients)),
    instances: 4,
    cost: opts.cost,
    clock: opts.clock,
    fuzz: opts.fuzz ?? 0,
    seed: opts.seed ?? 1,
    shrinkTimeMs: 30_000,
    fuzzTimeMs: 300_000,
  });
  await runSession(opts, {
    command: "ratelimit",
    clockMode: opts.clock,
    runs: [planRun(userScriptScenario(), params)],
    onReport: (report) => {
      if (opts.junit) writeFileSync(opts.junit, toJunit(report));
    },
  });
}
