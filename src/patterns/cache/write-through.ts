import type { RedisCaller } from "../../redis/types.js";
import { setCachedUser } from "./entry.js";
import type { OriginDb, UserRow } from "./origin-db.js";

/**
 * Write-through: every write goes to the database and then to the cache (SET with TTL), together, before the
 * write returns. Reads are cache-aside reads that mostly hit.
 *
 * Pro: the cache is always up to date with the database: no stale reads from this app's writes.
 * Con: higher write latency (a database write and a cache write per request); the cache fills with users that
 * were written but may never be read; a failed SET after the database write leaves the old entry until its TTL.
 */
export async function writeThrough(
  redis: RedisCaller,
  db: Pick<OriginDb, "updateUser">,
  key: string,
  row: UserRow,
  options: { ttlMs: number },
): Promise<void> {
  await db.updateUser(row);
  await setCachedUser(redis, key, row, options.ttlMs);
}
