import { checkRatelimitSize } from "../options/bounds.js";
import { rateLimitScenarios, clientNames, type RateLimitParams } from "../../../scenarios/ratelimit/index.js";
import { algorithms } from "../../patterns/ratelimit/index.js";
import { planRun } from "../../runner/runner.js";
import type { ScenarioResult, TableData } from "../../runner/types.js";
import type { RateLimitCliOptions } from "../options/ratelimit.js";
import { runSession } from "../session.js";
import { UsageError } from "../../errors.js";
import { wantsUserScript } from "../options/ratelimit-script.js";
import { checksCell } from "../format.js";

/** Command-line options → scenario parameters; the defaults follow from --limit and --window. */
export function rateLimitParams(opts: RateLimitCliOptions): RateLimitParams {
  return {
    limit: opts.limit,
    windowMs: opts.window,
    ratePerSec: opts.rate ?? (opts.limit * 1000) / opts.window,
    burst: opts.burst ?? opts.limit,
    cost: opts.cost,
    requestsPerClient: opts.requests ?? 3 * opts.limit,
    clients: clientNames(opts.clients),
    traffic: opts.traffic,
    clock: opts.clock,
  };
}

export async function ratelimitCommand(opts: RateLimitCliOptions): Promise<void> {
  checkRatelimitSize(opts);
  if (wantsUserScript(opts)) return (await import("./ratelimit-script.js")).userScriptCommand(opts);
  if (opts.fuzz !== undefined || opts.seed !== undefined || opts.junit || opts.model || opts.semantics || opts.contract)
    throw new UsageError(
      "--fuzz, --seed, --junit, --model, --semantics and --contract check your own limiter: give it with --script",
    );
  const params = rateLimitParams(opts);
  const chosen = opts.algo && !opts.compare ? [opts.algo] : [...algorithms];
  await runSession(opts, {
    command: "ratelimit",
    clockMode: opts.clock,
    runs: chosen.map((algo) => planRun(rateLimitScenarios[algo], params)),
    summarize: chosen.length > 1 ? compareTable : undefined,
  });
}

/** One row per algorithm, so the fixed window's boundary burst and the counter's approximation sit side by side. */
export function compareTable(results: ScenarioResult[]): TableData {
  const limit = results[0]?.metrics.limit;
  return {
    title: `Compared on the same traffic (limit ${String(limit)} per window)`,
    columns: [
      "algorithm",
      "requests",
      "allowed",
      "rejected",
      "max in any window",
      "commands/request",
      "round trips/request",
      "bytes/identifier",
      "checks",
    ],
    rows: results.map((r) => [
      r.id.replace("ratelimit/", ""),
      r.metrics.requests ?? null,
      r.metrics.allowed ?? null,
      r.metrics.rejected ?? null,
      r.metrics.maxAllowedInWindow ?? null,
      r.metrics.commandsPerRequest ?? null,
      r.metrics.roundTripsPerRequest ?? null,
      r.metrics.bytesPerIdentifier ?? null,
      checksCell(r),
    ]),
  };
}
