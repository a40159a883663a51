import { readCacheAside, writeCacheAside } from "../../src/patterns/cache/index.js";
import { cacheKey, committed, workloadScenario, type StrategyImpl } from "./workload.js";
import { readsEvidence } from "./evidence.js";

export const cacheAside: StrategyImpl = {
  strategy: "cache-aside",
  title: (p) => `Cache-aside (lazy loading), TTL ${p.ttlMs} ms`,
  explain:
    "The app checks the cache; on a hit it returns the entry, on a miss it reads the database and stores the " +
    "row in the cache with a TTL (three trips). A write updates the database, then deletes the entry, so the " +
    "next read loads the new row. The most common pattern: only what is read is cached, and a cache outage only " +
    "slows reads down.",
  readsAndWrites: "A read: GET, and on a miss SELECT + SET … PX. A write: UPDATE, then DEL of the entry.",
  read: (ctx, _state, db, id) =>
    readCacheAside(ctx.redis, db, cacheKey(ctx, "cache-aside", id), id, { ttlMs: ctx.params.ttlMs }),
  async write(ctx, state, db, row) {
    await writeCacheAside(
      ctx.redis,
      {
        updateUser: async (r) => {
          const n = await db.updateUser(r);
          committed(state, r);
          return n;
        },
      },
      cacheKey(ctx, "cache-aside", row.id),
      row,
    );
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
        evidence: readsEvidence(
          state.workloadCommands,
          state.reads.filter((r) => r.stale),
          (id) => cacheKey(ctx, "cache-aside", id),
        ),
      },
    );
  },
};

export default workloadScenario(cacheAside);
