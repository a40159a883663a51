import { isRefusedCommand } from "./classify-error.js";
import { hashTagOf } from "./keys.js";
import type { RedisCaller } from "./types.js";

const BATCH = 100;

/**
 * Delete exactly these keys. Keys are grouped by hash tag so each UNLINK stays within one cluster slot, and sent in
 * batches so a large run does not build one huge command. UNLINK, not DEL: a big key (a board of a million members)
 * is freed in the background, so the cleanup does not block a shared server (nor keep Ctrl-C waiting) for seconds; a
 * server or ACL user that refuses UNLINK gets DEL. Returns how many keys existed and were deleted.
 */
export async function deleteKeys(redis: RedisCaller, keys: readonly string[]): Promise<number> {
  const groups = new Map<string, string[]>();
  for (const key of keys) {
    const tagged = hashTagOf(key);
    const group = groups.get(tagged) ?? [];
    group.push(key);
    groups.set(tagged, group);
  }
  let deleted = 0;
  let command = "UNLINK";
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += BATCH) {
      const batch = group.slice(i, i + BATCH);
      try {
        deleted += Number(await redis.call(command, ...batch));
      } catch (err) {
        if (command !== "UNLINK" || !isRefusedCommand(err)) throw err;
        command = "DEL";
        deleted += Number(await redis.call(command, ...batch));
      }
    }
  }
  return deleted;
}

/**
 * Find the keys under `prefix:` with SCAN (never KEYS: SCAN walks the keyspace in small steps without blocking
 * the server). The prefix has been validated to hold no glob characters. Stops early once `atMost` are found.
 */
export async function scanPrefix(redis: RedisCaller, prefix: string, atMost = Infinity): Promise<string[]> {
  const found = new Set<string>();
  let cursor = "0";
  do {
    const [next, keys] = (await redis.call("SCAN", cursor, "MATCH", `${prefix}:*`, "COUNT", 1000)) as [
      string,
      string[],
    ];
    for (const key of keys) found.add(key);
    cursor = next;
  } while (cursor !== "0" && found.size < atMost);
  return [...found];
}

/**
 * `scanPrefix` on each master (a cluster's keys are spread over its masters, and SCAN walks one server's keyspace):
 * the union of what they hold.
 */
export async function scanPrefixOnAll(
  masters: readonly RedisCaller[],
  prefix: string,
  atMost = Infinity,
): Promise<string[]> {
  const found: string[] = [];
  for (const master of masters) {
    if (found.length >= atMost) break;
    found.push(...(await scanPrefix(master, prefix, atMost - found.length)));
  }
  return found;
}
