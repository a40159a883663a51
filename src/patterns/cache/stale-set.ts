/**
 * The cache-aside stale-set race, and a fix. The race: a reader misses and reads the database (old row); a writer
 * updates the database and deletes the entry; the reader then SETs the old row. The cache now holds data older than
 * the database, and keeps it until the TTL ends.
 *
 * The fix here: versions. A writer does not just delete the entry, it leaves a short-lived tombstone carrying the new
 * version; every fill goes through a script that refuses to store a version older than what the entry holds. The
 * reader's late SET of the old row meets the tombstone and is refused.
 */
import { defineScript, runScript } from "../../redis/script.js";
import type { RedisCaller } from "../../redis/types.js";
import { decodeEntry, encodeTombstone, encodeUser, type CacheRead } from "./entry.js";
import type { OriginDb, UserRow } from "./origin-db.js";

export const fillIfNewerScript = defineScript(
  "cache-fill-if-newer",
  `
--[[ Store a cache entry unless the cache already holds a newer version of it (an entry or a writer's tombstone).
  KEYS[1]  the cache entry (JSON with a "version" field)
  ARGV[1]  the entry to store (JSON)    ARGV[2]  its version    ARGV[3]  TTL, ms
  returns  1 when stored, 0 when refused (what is there is newer) ]]
local current = redis.call('GET', KEYS[1])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  -- Equal versions may replace each other (a reader filling the row a tombstone announced); older never.
  if ok and type(decoded) == 'table' and tonumber(decoded.version)
      and tonumber(decoded.version) > tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
`,
);

/**
 * Store `row` unless the entry holds a newer version. Use it for every fill after a miss.
 *
 * Pro: a late fill can never go back in time, whatever the interleaving; one round trip, like SET.
 * Con: the value must carry a version (a column the database maintains); a script instead of a plain SET.
 */
export async function fillIfNewer(redis: RedisCaller, key: string, row: UserRow, ttlMs: number): Promise<boolean> {
  return Number(await runScript(redis, fillIfNewerScript, [key], [encodeUser(row), row.version, ttlMs])) === 1;
}

/**
 * After a database write: replace the entry by a tombstone carrying the new version (instead of DEL). Readers treat
 * it as a miss; fills older than it are refused. It must outlive any read in flight (seconds), then it expires.
 */
export async function invalidateWithTombstone(
  redis: RedisCaller,
  key: string,
  id: number,
  version: number,
  tombstoneTtlMs: number,
): Promise<boolean> {
  return (
    Number(
      await runScript(redis, fillIfNewerScript, [key], [encodeTombstone(id, version), version, tombstoneTtlMs]),
    ) === 1
  );
}

/** A cache-aside read whose fill is {@link fillIfNewer}; a tombstone counts as a miss. */
export async function readFenced(
  redis: RedisCaller,
  db: Pick<OriginDb, "readUser">,
  key: string,
  id: number,
  options: { ttlMs: number },
): Promise<CacheRead & { stored: boolean }> {
  const text = (await redis.call("GET", key)) as string | null;
  const entry = text === null ? null : decodeEntry(text);
  if (entry?.kind === "user") return { row: entry.row, hit: true, stored: false };
  const row = await db.readUser(id);
  const stored = row ? await fillIfNewer(redis, key, row, options.ttlMs) : false;
  return { row, hit: false, stored };
}
