import { createReadThroughCache, writeAround, type ReadThroughCache } from "../../src/patterns/cache/index.js";
import { committed, entryKey, strategyReads, workloadScenario, type StrategyImpl } from "./workload.js";

export const readThrough: StrategyImpl = {
  strategy: "read-through",
  title: (p) => `Read-through with writes around the cache, TTL ${p.ttlMs} ms`,
  explain:
    "The app asks only the cache layer; on a miss the layer loads the row from the database itself, stores it " +
    "and returns it (Client → Redis → miss → DB → Redis → Client). Read-through says nothing about writes: here " +
    "they go to the database only (write-around), so a cached copy stays stale until its TTL ends. Pair it with " +
    "write-through or invalidation (--invalidate) to close that gap.",
  readsAndWrites:
    "A read goes through the cache layer: GET, and on a miss the layer's loader runs SELECT, then SET … PX. A " +
    "write: UPDATE only.",
  async prepare(ctx, state, db) {
    state.extra.cache = createReadThroughCache({
      redis: ctx.redis,
      keyFor: (id) => entryKey(ctx, readThrough, id),
      load: (id) => db.readUser(id),
      ttlMs: ctx.params.ttlMs,
    });
  },
  read: (_ctx, state, _db, id) => (state.extra.cache as ReadThroughCache).read(id),
  async write(_ctx, state, db, row) {
    await writeAround(db, row);
    committed(state, row);
  },
  verdict(ctx, state) {
    const stale = state.reads.filter((r) => r.stale);
    const explained = stale.filter((r) =>
      state.writes.some((w) => w.row.id === r.id && w.seq < r.seq && w.row.version > r.version),
    );
    ctx.check(
      "every stale read is a user written around the cache after it was cached",
      explained.length === stale.length,
      {
        expected: stale.length,
        actual: explained.length,
        detail:
          `${stale.length} stale read${stale.length === 1 ? "" : "s"}: the price of write-around until the TTL ` +
          `(${ctx.params.ttlMs} ms) ends`,
        evidence: strategyReads(
          ctx,
          readThrough,
          state,
          stale.filter((r) => !explained.includes(r)),
        ),
      },
    );
  },
};

export default workloadScenario(readThrough);
