import { DEFAULT_SCENARIO_FOOTPRINT, ELEMENT_BYTES } from "../redis/memory.js";
import type { HotOperation } from "./operations.js";
import { warmupOpsFor } from "./run.js";

/** The operations per second assumed for a `--duration` phase when estimating what a stream grows to (generous). */
const ASSUMED_OPS_PER_SEC = 200_000;

/**
 * An upper estimate of what `bench` keeps on the server at its peak, for the eviction guard: a few small keys per
 * client (or one shared board of 1,000 players, one HyperLogLog), plus, for the queue, one stream entry per operation
 * of every phase (recorder off, on, and redis-benchmark's run of the same count) and of the two Node phases' warm-ups,
 * since acked entries stay.
 */
export function benchFootprint(
  op: Pick<HotOperation, "id" | "entities" | "suffixes">,
  opts: { clients: number; ops: number; duration?: number; rounds: number },
): number {
  const entities = op.entities === "shared" ? 1 : opts.clients;
  let bytes = entities * op.suffixes.length * ELEMENT_BYTES.key;
  if (op.id.startsWith("leaderboard/")) bytes += 1_000 * ELEMENT_BYTES.zsetMember;
  if (op.id.startsWith("hll/")) bytes += ELEMENT_BYTES.hll;
  if (op.id.startsWith("queue/")) {
    const perPhase = opts.duration === undefined ? opts.ops : (opts.duration / 1000) * ASSUMED_OPS_PER_SEC;
    // The two Node phases also run their untimed warm-up first.
    const warmup = warmupOpsFor(opts.duration === undefined ? opts.ops : undefined);
    bytes += opts.rounds * (3 * perPhase + 2 * warmup) * ELEMENT_BYTES.streamEntry;
  }
  return Math.max(DEFAULT_SCENARIO_FOOTPRINT, Math.ceil(bytes));
}
