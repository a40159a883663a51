/** The queue scenarios' check evidence: the commands of the trace that carried the messages a check judged. */
import type { Evidence, MeasuredValue } from "../../src/check-failure.js";
import type { RecordedCommand } from "../../src/redis/recorder.js";
import { commandsWhere } from "../../src/runner/evidence.js";
import type { ScenarioContext } from "../../src/runner/types.js";
import type { QueueParams } from "./params.js";

/** Whether a command's arguments or reply carry one of the messages `ids` (as JSON, or as a stream's id field). */
function carries(command: RecordedCommand, ids: ReadonlySet<string>): boolean {
  const seen = (value: unknown): boolean => {
    if (typeof value === "string") {
      const m = /"id":"([^"]*)"/.exec(value);
      return m !== null && ids.has(m[1]!);
    }
    if (!Array.isArray(value)) return false;
    return value.some((v, i) => (v === "id" && ids.has(String(value[i + 1]))) || seen(v));
  };
  return seen(command.argv) || seen(command.reply);
}

/**
 * A queue check's evidence: the commands of the trace that carried the messages `ids` (sent, taken, redelivered),
 * and the counts judged.
 */
export function messageEvidence(
  ctx: ScenarioContext<QueueParams>,
  ids: readonly string[],
  values: Record<string, MeasuredValue> = {},
): () => Evidence {
  return () => {
    const wanted = new Set(ids);
    return {
      commands: wanted.size === 0 ? [] : commandsWhere(ctx.commands(), (c) => carries(c, wanted)),
      values: { ...values, ...(ids.length > 0 ? { messages: ids.join(", ") } : {}) },
    };
  };
}
