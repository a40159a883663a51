/**
 * A pure model of the four strategies fed a workload: what each read should return, hit or miss, and whether it is
 * stale, if no entry expires during the run. The scenarios compare Redis and the database with it.
 */
import type { WorkloadOp } from "./workload.js";

export const strategies = ["cache-aside", "read-through", "write-through", "write-behind"] as const;
export type Strategy = (typeof strategies)[number];

export interface ModelRead {
  seq: number;
  id: number;
  hit: boolean;
  /** The version the read returns. */
  version: number;
  /** Older than the database holds at that moment. */
  stale: boolean;
}

export interface StrategyModel {
  reads: ModelRead[];
  hits: number;
  misses: number;
  staleReads: number;
}

/**
 * Replay `ops` one at a time against a cache that never expires and a database that starts every user at version 1.
 * Writes: cache-aside updates the database and deletes the entry; read-through writes around the cache (database
 * only); write-through updates both; write-behind updates the cache and leaves the database behind (the worker's
 * timing is not modelled, and a write-behind read never returns less than the database holds).
 */
export function modelStrategy(strategy: Strategy, ops: readonly WorkloadOp[]): StrategyModel {
  const cache = new Map<number, number>();
  const db = new Map<number, number>();
  const dbVersion = (id: number) => db.get(id) ?? 1;
  const reads: ModelRead[] = [];
  for (const op of ops) {
    if (op.kind === "read") {
      const cached = cache.get(op.id);
      const version = cached ?? dbVersion(op.id);
      if (cached === undefined) cache.set(op.id, version);
      reads.push({ seq: op.seq, id: op.id, hit: cached !== undefined, version, stale: version < dbVersion(op.id) });
      continue;
    }
    const v = op.row.version;
    if (strategy === "cache-aside") {
      db.set(op.id, v);
      cache.delete(op.id);
    } else if (strategy === "read-through") {
      db.set(op.id, v);
    } else if (strategy === "write-through") {
      db.set(op.id, v);
      cache.set(op.id, v);
    } else {
      cache.set(op.id, v);
    }
  }
  const hits = reads.filter((r) => r.hit).length;
  return { reads, hits, misses: reads.length - hits, staleReads: reads.filter((r) => r.stale).length };
}
