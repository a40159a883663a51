import type { RedisCaller } from "../../redis/types.js";
import { deleteCachedUser, getCachedUser, setCachedUser, type CacheRead } from "./entry.js";
import type { OriginDb, UserRow } from "./origin-db.js";

export interface CacheTtl {
  /** Lifetime of an entry, milliseconds. */
  ttlMs: number;
}

/**
 * Cache-aside (lazy loading) read: GET the entry; on a miss read the database and SET the entry with its TTL.
 *
 * Pro: only what is read gets cached; if Redis is down, reads still work (slower) from the database.
 * Con: a miss costs three trips (GET, SELECT, SET); a reader that SETs after a concurrent write stores the old
 * value (the stale-set race, see {@link fillIfNewer} for a fix).
 */
export async function readCacheAside(
  redis: RedisCaller,
  db: Pick<OriginDb, "readUser">,
  key: string,
  id: number,
  options: CacheTtl,
): Promise<CacheRead> {
  const cached = await getCachedUser(redis, key);
  if (cached) return { row: cached, hit: true };
  const row = await db.readUser(id);
  if (row) await setCachedUser(redis, key, row, options.ttlMs);
  return { row, hit: false };
}

/**
 * Cache-aside write: update the database, then delete the entry so the next read loads the new row.
 * Deleting (not setting) keeps the cache filled only with what is read.
 *
 * Pro: the database stays the one source of truth; a failed DEL only leaves a stale entry until its TTL.
 * Con: the next read of the user is a miss; a DEL that lands before a slow reader's SET is undone (stale-set race).
 */
export async function writeCacheAside(
  redis: RedisCaller,
  db: Pick<OriginDb, "updateUser">,
  key: string,
  row: UserRow,
): Promise<void> {
  await db.updateUser(row);
  await deleteCachedUser(redis, key);
}
