import { defineScript, runScript } from "../../redis/script.js";
import type { RedisCaller } from "../../redis/types.js";

/**
 * COPY for servers without it (before Redis 6.2): the value serialized with DUMP and re-created with RESTORE inside one
 * script, so the copy is atomic like COPY and the payload never leaves the server. No TTL (RESTORE … 0), like
 * COPY of a key without one; returns 0 when the source does not exist, as COPY does. Both keys share a hash tag.
 */
export const copyScript = defineScript(
  "copy-by-dump-restore",
  `
local payload = redis.call('DUMP', KEYS[1])
if not payload then return 0 end
redis.call('RESTORE', KEYS[2], 0, payload)
return 1
`,
);

/** How a key gets copied: COPY (Redis ≥ 6.2), or the DUMP/RESTORE script where COPY is missing. */
export type CopyMethod = "COPY" | "script";

/** Copy `source` to `destination` (which must not exist). Returns whether the source existed. */
export async function copyKey(
  redis: RedisCaller,
  source: string,
  destination: string,
  method: CopyMethod = "COPY",
): Promise<boolean> {
  if (method === "COPY") return Number(await redis.call("COPY", source, destination)) === 1;
  return Number(await runScript(redis, copyScript, [source, destination])) === 1;
}
