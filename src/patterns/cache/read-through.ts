import type { RedisCaller } from "../../redis/types.js";
import { getCachedUser, setCachedUser, type CacheRead } from "./entry.js";
import type { OriginDb, UserRow } from "./origin-db.js";

export interface ReadThroughOptions {
  redis: RedisCaller;
  /** The cache key of a user. */
  keyFor(id: number): string;
  /** Where a miss loads from: the cache layer owns this, the app never calls the database to read. */
  load(id: number): Promise<UserRow | null>;
  ttlMs: number;
}

export interface ReadThroughCache {
  read(id: number): Promise<CacheRead>;
}

/**
 * Read-through: the app asks only the cache; the cache layer loads a missing user from the database itself,
 * stores it, and returns it (Client → Redis → miss → DB → Redis → Client). On Redis the "cache layer" is this
 * wrapper in the app (Redis does not call databases); libraries call it `wrap` or `getOrSet`.
 *
 * Pro: one place owns loading and TTLs; app code reads like a plain key-value lookup.
 * Con: it says nothing about writes. Writes that go around the cache (to the database only) leave the cached copy
 * stale until its TTL ends, unless paired with write-through or invalidation.
 */
export function createReadThroughCache(options: ReadThroughOptions): ReadThroughCache {
  const { redis, keyFor, load, ttlMs } = options;
  return {
    async read(id) {
      const key = keyFor(id);
      const cached = await getCachedUser(redis, key);
      if (cached) return { row: cached, hit: true };
      const row = await load(id);
      if (row) await setCachedUser(redis, key, row, ttlMs);
      return { row, hit: false };
    },
  };
}

/**
 * Write-around: write the database only. With read-through, this is what a write does unless something else
 * updates or invalidates the cache.
 *
 * Pro: writes cost one database statement and never fill the cache with data nobody reads.
 * Con: the cached copy is stale until its TTL ends.
 */
export async function writeAround(db: Pick<OriginDb, "updateUser">, row: UserRow): Promise<void> {
  await db.updateUser(row);
}
