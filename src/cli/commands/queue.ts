import { queueScenarios, TALLY_COLUMNS, tallyRow, type QueueParams } from "../../../scenarios/queue/index.js";
import { UsageError } from "../../errors.js";
import { queueKinds } from "../../patterns/queue/index.js";
import { planRun } from "../../runner/runner.js";
import type { ScenarioResult, TableData } from "../../runner/types.js";
import type { QueueCliOptions } from "../options/queue.js";
import { runSession } from "../session.js";
import { checksCell } from "../format.js";

/** Command-line options → scenario parameters, refusing combinations that could not show what they promise. */
export function queueParams(opts: QueueCliOptions): QueueParams {
  const crash = opts.crash ?? true;
  if (crash && opts.consumers < 2) {
    throw new UsageError(
      "--consumers must be at least 2 with a crash (consumer-1 dies for good, consumer-2 restarts); or add --no-crash",
    );
  }
  if (crash && opts.messages < 2 * opts.batch) {
    throw new UsageError(
      `--messages must be at least 2 × --batch (${2 * opts.batch}) so each crashing consumer takes a full ` +
        `batch; or add --no-crash`,
    );
  }
  if (opts.block * 2 > opts.timeout) {
    throw new UsageError(
      `--block ${opts.block}ms must stay well under --timeout ${opts.timeout}ms (at most half), or the client ` +
        `gives up on a blocked command`,
    );
  }
  return {
    messages: opts.messages,
    consumers: opts.consumers,
    batch: opts.batch,
    crash,
    blockMs: opts.block,
    visibilityMs: opts.visibility,
    maxDeliveries: opts.maxDeliveries,
    poison: opts.poison,
  };
}

export async function queueCommand(opts: QueueCliOptions): Promise<void> {
  const params = queueParams(opts);
  const kinds = opts.kind ? [opts.kind] : [...queueKinds];
  await runSession(opts, {
    command: "queue",
    runs: kinds.map((kind) => planRun(queueScenarios[kind], params)),
    summarize: kinds.length > 1 ? compareQueues : undefined,
  });
}

/** One row per kind: the same producer and the same crashes, and what each queue made of them. */
export function compareQueues(results: ScenarioResult[]): TableData {
  const crash = results[0]?.params.crash === true;
  const num = (v: unknown) => (typeof v === "number" ? v : null);
  return {
    title: crash
      ? "The same crashes, three queues (consumer-1 dies for good, consumer-2 restarts)"
      : "Three queues, no crash",
    columns: ["queue", ...TALLY_COLUMNS, "throughput (msg/s)", "checks"],
    rows: results.map((r) => [
      r.id.replace("queue/", ""),
      ...tallyRow((metric) => num(r.metrics[metric])),
      num(r.metrics.throughput),
      checksCell(r),
    ]),
  };
}
