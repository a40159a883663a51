import { isRefusedCommand } from "../../redis/classify-error.js";
import type { RedisCaller } from "../../redis/types.js";

/** What Redis itself uses when the setting cannot be read: `zset-max-listpack-entries` (ziplist before 7.0) = 128. */
export const DEFAULT_LISTPACK_ENTRIES = 128;

export interface ListpackLimit {
  /** Up to this many members a sorted set is stored as one compact listpack; one more and it becomes a skiplist. */
  entries: number;
  /** Where the number comes from: the server's CONFIG GET, or Redis's default because CONFIG was refused. */
  source: "config" | "default";
  /** The setting's name as the server knows it (`zset-max-listpack-entries` on 7.0+, `…-ziplist-…` before). */
  setting: string;
  /** Why the default is used, when it is. */
  refused?: string;
}

/**
 * The sorted-set size up to which Redis keeps the compact encoding: CONFIG GET zset-max-listpack-entries (the name
 * since 7.0), else zset-max-ziplist-entries (older servers), else Redis's default 128 when CONFIG is refused.
 */
export async function listpackLimit(redis: RedisCaller): Promise<ListpackLimit> {
  for (const setting of ["zset-max-listpack-entries", "zset-max-ziplist-entries"]) {
    let reply: unknown;
    try {
      reply = await redis.call("CONFIG", "GET", setting);
    } catch (err) {
      // Refused: an ACL, a managed service's renamed or blocked CONFIG.
      if (!isRefusedCommand(err)) throw err;
      const refused = err instanceof Error ? err.message : String(err);
      return { entries: DEFAULT_LISTPACK_ENTRIES, source: "default", setting, refused };
    }
    if (Array.isArray(reply) && reply.length >= 2) return { entries: Number(reply[1]), source: "config", setting };
  }
  return {
    entries: DEFAULT_LISTPACK_ENTRIES,
    source: "default",
    setting: "zset-max-listpack-entries",
    refused: "CONFIG GET returned nothing for either name",
  };
}

/** How Redis stores the sorted set: "listpack" (7.0+) or "ziplist" (older) when small, "skiplist" past the limit. */
export async function boardEncoding(redis: RedisCaller, key: string): Promise<string | null> {
  const reply = await redis.call("OBJECT", "ENCODING", key);
  return reply === null ? null : String(reply);
}

export function isCompactEncoding(encoding: string | null): boolean {
  return encoding === "listpack" || encoding === "ziplist";
}

/**
 * Bytes the key takes, measured over every element (MEMORY USAGE key SAMPLES 0; the default samples 5 elements and
 * extrapolates), or null with the reason when the server refuses MEMORY USAGE.
 */
export async function boardMemory(
  redis: RedisCaller,
  key: string,
): Promise<{ bytes: number | null; refused?: string }> {
  try {
    const reply = await redis.call("MEMORY", "USAGE", key, "SAMPLES", "0");
    return { bytes: reply === null ? null : Number(reply) };
  } catch (err) {
    if (!isRefusedCommand(err)) throw err;
    return { bytes: null, refused: err instanceof Error ? err.message : String(err) };
  }
}
