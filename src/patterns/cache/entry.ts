/**
 * How a user is stored in the cache: one string key per user holding the row as JSON, with a TTL. The version travels
 * with the value, so a reader can tell an old copy from a new one (and a Lua script can compare versions).
 */
import type { RedisCaller } from "../../redis/types.js";
import type { UserRow } from "./origin-db.js";

/** A cache lookup: the row and whether the cache had it (a hit) or the database was asked (a miss). */
export interface CacheRead {
  row: UserRow | null;
  hit: boolean;
}

/** What a cache entry holds: a user, or a tombstone a writer left (the user changed; its version is `version`). */
export type CacheEntry = { kind: "user"; row: UserRow } | { kind: "tombstone"; id: number; version: number };

export function encodeUser(row: UserRow): string {
  return JSON.stringify({ id: row.id, name: row.name, version: row.version });
}

export function encodeTombstone(id: number, version: number): string {
  return JSON.stringify({ id, version, tombstone: true });
}

/** Parse an entry; anything that is not one of ours is an error (the key space is the run's own). */
export function decodeEntry(text: string): CacheEntry {
  const value = JSON.parse(text) as { id?: unknown; name?: unknown; version?: unknown; tombstone?: unknown };
  if (typeof value.id !== "number" || typeof value.version !== "number") throw new Error(`not a cache entry: ${text}`);
  if (value.tombstone === true) return { kind: "tombstone", id: value.id, version: value.version };
  if (typeof value.name !== "string") throw new Error(`not a cache entry: ${text}`);
  return { kind: "user", row: { id: value.id, name: value.name, version: value.version } };
}

/** GET the entry: the user, or null on a miss (no key, or a tombstone). */
export async function getCachedUser(redis: RedisCaller, key: string): Promise<UserRow | null> {
  const text = (await redis.call("GET", key)) as string | null;
  if (text === null) return null;
  const entry = decodeEntry(text);
  return entry.kind === "user" ? entry.row : null;
}

/** SET the entry with a TTL in milliseconds (PX: the TTL is set in the same command, never an entry without one). */
export async function setCachedUser(redis: RedisCaller, key: string, row: UserRow, ttlMs: number): Promise<void> {
  await redis.call("SET", key, encodeUser(row), "PX", ttlMs);
}

/** DEL the entry; true when there was one. */
export async function deleteCachedUser(redis: RedisCaller, key: string): Promise<boolean> {
  return Number(await redis.call("DEL", key)) === 1;
}
