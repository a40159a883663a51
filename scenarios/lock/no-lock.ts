import { initialState, type LockState } from "./state.js";
import { connectWorkers, allWorkers, requireWorkers } from "./workers.js";
import { CHAPTER, defaultParams, type Ctx, type LockParams } from "./params.js";
import { tag } from "../../src/redis/keys.js";
import { defineScenario, type TableData } from "../../src/runner/types.js";
import { commandsOn } from "../../src/runner/evidence.js";
import { roundPercent } from "../../src/stats.js";

interface NoLockState extends LockState {
  rounds: { reads: number[]; wrote: number[]; after: number }[];
}

function noLockCounter(ctx: Ctx): string {
  return ctx.keys.key("lock", "no-lock", tag(ctx.params.resource), "counter");
}

/**
 * The same read-modify-write with no lock, in rounds the scenario orchestrates: every worker GETs, and only when all
 * have read does any SET. Each round then adds 1 instead of W: the lost updates happen on every run, not by luck.
 */
async function racingRounds(ctx: Ctx, state: NoLockState): Promise<void> {
  const p = ctx.params;
  requireWorkers(p);
  await connectWorkers(ctx, state);
  const key = noLockCounter(ctx);
  await ctx.redis.call("SET", key, "0");
  for (let round = 0; round < p.increments; round++) {
    ctx.signal.throwIfAborted();
    // The barrier: all reads complete before the first write is sent.
    const reads = await allWorkers(state.workers.map(async (w) => Number((await w.redis.call("GET", key)) ?? 0)));
    const wrote = reads.map((v) => v + 1);
    await allWorkers(state.workers.map((w, i) => w.redis.call("SET", key, String(wrote[i]))));
    state.rounds.push({ reads, wrote, after: Number(await ctx.redis.call("GET", key)) });
  }
  const shown = state.rounds.slice(0, 10);
  const rows: TableData["rows"] = shown.map((r, i) => [
    i + 1,
    r.reads.join(", "),
    r.wrote.join(", "),
    r.after,
    p.workers - (r.after - (i === 0 ? 0 : state.rounds[i - 1]!.after)),
  ]);
  ctx.table({ columns: ["round", "each worker read", "each worker wrote", "counter after", "updates lost"], rows });
  if (state.rounds.length > shown.length) ctx.note(`… ${state.rounds.length - shown.length} more rounds, the same`);
}

async function verdict(ctx: Ctx, _state: NoLockState): Promise<void> {
  const p = ctx.params;
  const finalCount = Number(await ctx.redis.call("GET", noLockCounter(ctx)));
  const expected = p.workers * p.increments;
  // The model of this interleaving: in each round every worker reads the same value, so the round adds exactly 1.
  const model = p.increments;
  const lost = expected - finalCount;
  ctx.note(
    `final count ${finalCount} of ${expected}: ${lost} of ${expected} increments lost ` +
      `(${roundPercent(lost / expected, 0)} %)`,
  );
  ctx.note("Every worker's GET and SET succeeded: nothing failed, nothing was reported. Lost updates are silent.");
  ctx.metric("finalCount", finalCount);
  ctx.metric("expectedCount", expected);
  ctx.metric("lostUpdates", lost);
  ctx.metric("doubleHolds", null);
  ctx.metric("staleWritesRejected", 0);
  ctx.metric("renewals", 0);
  ctx.metric("waitP99Ms", null);
  ctx.metric("commandsTotal", ctx.commands().length);
  ctx.check("without the lock, updates are lost: final count < workers × increments", finalCount < expected, {
    expected: `< ${expected}`,
    actual: finalCount,
    detail: `${lost} lost updates`,
    evidence: () => ({
      commands: commandsOn(ctx.commands(), noLockCounter(ctx)),
      values: { workers: p.workers, increments: p.increments },
    }),
  });
  ctx.check(
    "the count equals the model of the interleaving: each round of reads-then-writes adds 1",
    finalCount === model,
    {
      expected: model,
      actual: finalCount,
      evidence: () => ({
        commands: commandsOn(ctx.commands(), noLockCounter(ctx)),
        values: { rounds: p.increments, "the model: each round adds": 1 },
      }),
    },
  );
}

export default defineScenario<LockParams, NoLockState>({
  id: "lock/no-lock",
  title: (p) =>
    `No lock: ${p.workers} workers × ${p.increments} read-modify-write increments, all reads before any write`,
  explain:
    "The counter workload without a lock. Each worker GETs the counter, adds 1 in JavaScript and SETs it back. The " +
    "scenario lines the workers up (all read, then all write), the interleaving a lock exists to forbid, so every " +
    "round loses W − 1 updates, on every run.",
  chapter: CHAPTER,
  defaults: defaultParams,
  init: () => ({ ...initialState(), rounds: [] }),
  needs: ["GET", "SET … PX"],
  steps: (p) => [
    {
      title: `${p.increments} rounds: all ${p.workers} workers GET the counter, then all SET what they computed`,
      say:
        "The barrier between the reads and the writes is the scenario's doing, so the race is lost every time " +
        "rather than now and then.",
      run: (ctx, state) => racingRounds(ctx, state),
    },
    {
      title: "Verdict: how many increments survived",
      run: (ctx, state) => verdict(ctx, state),
    },
  ],
});
