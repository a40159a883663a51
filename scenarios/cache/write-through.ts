import { percentile, writeThrough } from "../../src/patterns/cache/index.js";
import { dbStatements, ms } from "./origin.js";
import { committing, entryKey, strategyReads, workloadScenario, type StrategyImpl } from "./workload.js";

export const writeThroughImpl: StrategyImpl = {
  strategy: "write-through",
  title: (p) => `Write-through, TTL ${p.ttlMs} ms`,
  explain:
    "Every write goes to the database and to the cache together (UPDATE, then SET with the new row) before it " +
    "returns, so the cache is always up to date: no stale reads. Writes are slower (two systems per write), and the " +
    "cache fills with users that were written whether or not anyone reads them. Reads are cache-aside reads.",
  readsAndWrites: "A read: GET, and on a miss SELECT + SET … PX. A write: UPDATE, then SET of the new row … PX.",
  async write(ctx, state, db, row) {
    await writeThrough(ctx.redis, committing(state, db), entryKey(ctx, writeThroughImpl, row.id), row, {
      ttlMs: ctx.params.ttlMs,
    });
  },
  verdict(ctx, state) {
    const stale = state.reads.filter((r) => r.stale).length;
    ctx.check("write-through serves no stale reads", stale === 0, {
      expected: 0,
      actual: stale,
      evidence: strategyReads(
        ctx,
        writeThroughImpl,
        state,
        state.reads.filter((r) => r.stale),
      ),
    });
    const updates = dbStatements(state.workloadCommands)
      .filter((c) => /^UPDATE\b/.test(c.argv[0] ?? ""))
      .map((c) => c.ms);
    const writeP50 = percentile(
      state.writes.map((w) => w.ms),
      50,
    );
    const updateP50 = percentile(updates, 50);
    if (writeP50 !== null && updateP50 !== null) {
      ctx.figure({
        what: "write latency",
        chapter: "higher write latency",
        measured: `p50 ${ms(writeP50)} ms per write: the database UPDATE (p50 ${ms(updateP50)} ms) plus the cache SET`,
        agrees: writeP50 > updateP50,
      });
    }
  },
};

export default workloadScenario(writeThroughImpl);
