/**
 * Cache invalidation (chapter 4.1) and pub/sub invalidation (4.8, pattern 3): app instances keep a small in-process
 * copy of hot users in front of Redis, and drop it when a database write is announced on a channel; or every entry
 * lives under a namespace version, and bumping the version makes all old entries unreachable at once.
 */
import type { Redis } from "ioredis";
import type { RedisCaller } from "../../redis/types.js";
import { readCacheAside } from "./cache-aside.js";
import type { CacheRead } from "./entry.js";
import type { OriginDb, UserRow } from "./origin-db.js";

/** An app instance's in-process cache: a map, with the counts the scenarios report. */
export class LocalCache {
  private readonly rows = new Map<number, UserRow>();

  get(id: number): UserRow | undefined {
    return this.rows.get(id);
  }

  set(row: UserRow): void {
    this.rows.set(row.id, row);
  }

  /** Drop one user; true when there was a copy. */
  drop(id: number): boolean {
    return this.rows.delete(id);
  }

  /** Drop everything (what an instance does when it cannot know what it missed); returns how many were dropped. */
  clear(): number {
    const n = this.rows.size;
    this.rows.clear();
    return n;
  }

  get size(): number {
    return this.rows.size;
  }
}

/** The message a write publishes: `user:123`, as in the chapter's `PUBLISH invalidate "user:123"`. */
export function invalidationMessage(id: number): string {
  return `user:${id}`;
}

export function parseInvalidation(message: string): number | null {
  const m = /^user:(\d+)$/.exec(message);
  return m ? Number(m[1]) : null;
}

/**
 * Announce that a user changed. Returns how many subscribers received it: pub/sub delivers to the connections
 * subscribed at this moment and to no one else (at-most-once; nothing is stored for an instance that is away).
 */
export async function publishInvalidation(redis: RedisCaller, channel: string, id: number): Promise<number> {
  return Number(await redis.call("PUBLISH", channel, invalidationMessage(id)));
}

/**
 * SUBSCRIBE an instance's connection to the channel and call `onInvalidate` for each announced user. The
 * connection can then only (un)subscribe and PING, which is why an instance uses another connection for reads.
 *
 * Pro: every connected instance drops its copy within a millisecond or so of the write.
 * Con: at-most-once: an instance disconnected at that moment never hears of it and keeps serving its old copy;
 * flush the local cache on every reconnect.
 */
export async function subscribeInvalidations(
  sub: Pick<Redis, "subscribe" | "on">,
  channel: string,
  onInvalidate: (id: number) => void,
): Promise<void> {
  sub.on("message", (ch: string, message: string) => {
    if (ch !== channel) return;
    const id = parseInvalidation(message);
    if (id !== null) onInvalidate(id);
  });
  await sub.subscribe(channel);
}

/** Start the namespace at version 1 unless it has one (SET NX); returns the current version. */
export async function ensureNamespaceVersion(redis: RedisCaller, versionKey: string): Promise<number> {
  await redis.call("SET", versionKey, 1, "NX");
  return namespaceVersion(redis, versionKey);
}

export async function namespaceVersion(redis: RedisCaller, versionKey: string): Promise<number> {
  const v = Number(await redis.call("GET", versionKey));
  if (!Number.isInteger(v) || v < 1) throw new Error(`namespace version ${versionKey} is missing or not a number`);
  return v;
}

/**
 * Invalidate a whole namespace: INCR its version. Entries under the old version (`cache:v1:user:17`) are not
 * deleted; no reader will ask for them again, and they leave on their own when their TTL ends.
 *
 * Pro: one command invalidates any number of entries, with no SCAN and no race with readers.
 * Con: the old entries keep their memory until their TTL ends; every read first fetches the version (one more trip).
 */
export async function bumpNamespaceVersion(redis: RedisCaller, versionKey: string): Promise<number> {
  return Number(await redis.call("INCR", versionKey));
}

/** A versioned read: GET the namespace version, then a cache-aside read of `keyFor(version, id)`. */
export async function readVersioned(
  redis: RedisCaller,
  db: Pick<OriginDb, "readUser">,
  versionKey: string,
  keyFor: (version: number, id: number) => string,
  id: number,
  options: { ttlMs: number },
): Promise<CacheRead & { version: number; key: string }> {
  const version = await namespaceVersion(redis, versionKey);
  const key = keyFor(version, id);
  return { ...(await readCacheAside(redis, db, key, id, options)), version, key };
}
