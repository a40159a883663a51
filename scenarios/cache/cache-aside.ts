import { writeCacheAside } from "../../src/patterns/cache/index.js";
import { committing, entryKey, strategyReads, workloadScenario, type StrategyImpl } from "./workload.js";

export const cacheAside: StrategyImpl = {
  strategy: "cache-aside",
  title: (p) => `Cache-aside (lazy loading), TTL ${p.ttlMs} ms`,
  explain:
    "The app checks the cache; on a hit it returns the entry, on a miss it reads the database and stores the " +
    "row in the cache with a TTL (three trips). A write updates the database, then deletes the entry, so the " +
    "next read loads the new row. The most common pattern: only what is read is cached, and a cache outage only " +
    "slows reads down.",
  readsAndWrites: "A read: GET, and on a miss SELECT + SET … PX. A write: UPDATE, then DEL of the entry.",
  async write(ctx, state, db, row) {
    await writeCacheAside(ctx.redis, committing(state, db), entryKey(ctx, cacheAside, row.id), row);
  },
  verdict(ctx, state) {
    const stale = state.reads.filter((r) => r.stale).length;
    ctx.check(
      "no stale reads: each write deleted the entry before the next request (requests one at a time)",
      stale === 0,
      {
        expected: 0,
        actual: stale,
        detail: "with concurrent requests a reader's late SET can undo the DEL: see cache --race",
        evidence: strategyReads(
          ctx,
          cacheAside,
          state,
          state.reads.filter((r) => r.stale),
        ),
      },
    );
  },
};

export default workloadScenario(cacheAside);
