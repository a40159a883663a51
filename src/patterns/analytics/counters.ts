import type { Redis } from "ioredis";
import { defineScript, runScript } from "../../redis/script.js";
import type { RedisCaller } from "../../redis/types.js";
import { versionAtLeast } from "../../redis/server-info.js";

/**
 * Time-bucketed counters: one key per period (`pageviews:homepage:2024-01-15`, `api:calls:user:123:2024-01-15-10`),
 * INCR per event, and an expiry set together with the first increment so no bucket lives forever.
 */

/** The UTC day of `t`: `2024-01-15`. */
export function dayBucket(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

/** The UTC hour of `t`: `2024-01-15-10`. */
export function hourBucket(t: number): string {
  const iso = new Date(t).toISOString();
  return `${iso.slice(0, 10)}-${iso.slice(11, 13)}`;
}

/** The 24 hour buckets of the UTC day `t` falls in, 00 … 23. */
export function hoursOfDay(t: number): string[] {
  const day = Math.floor(t / 86_400_000) * 86_400_000;
  return Array.from({ length: 24 }, (_, h) => hourBucket(day + h * 3_600_000));
}

export const countEventScript = defineScript(
  "analytics-count-event",
  `
--[[ Count one event in a time bucket, and give a new bucket its expiry in the same step.
  KEYS[1]  the bucket's counter, e.g. pageviews:{homepage}:2024-01-15
  ARGV[1]  ttlSeconds   how long the bucket is kept after its first event
  returns  the count after this event
  INCR then EXPIRE as two separate commands leaves a counter without expiry if the client dies in between. ]]
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
`,
  { untimedKeys: [] },
);

/** How the expiry travels with the increment: a MULTI/EXEC of INCR + EXPIRE … NX (Redis ≥ 7.0), or a Lua script. */
export type CountMode = "multi" | "lua";

/** EXPIRE's NX flag (set only when the key has no expiry) arrived in Redis 7.0. */
export function supportsExpireNx(version: string): boolean {
  return versionAtLeast(version, "7.0") === true;
}

/**
 * Count one event in `key`, expiring the bucket `ttlSeconds` after its first event.
 *
 * `multi`: MULTI · INCR · EXPIRE key ttl NX · EXEC — one round trip; NX leaves an existing expiry alone, so later
 * events do not push it back. `lua`: one EVALSHA running INCR and, on the first event, EXPIRE.
 *
 * Pro: one small string per bucket, O(1), old buckets vanish by themselves.
 * Con: one key per bucket and series (24 a day per hourly series); reading a range is an MGET over many keys.
 */
export async function countEvent(
  redis: RedisCaller & Pick<Redis, "multi">,
  key: string,
  ttlSeconds: number,
  mode: CountMode,
): Promise<CountResult> {
  if (mode === "lua") {
    const count = Number(await runScript(redis, countEventScript, [key], [ttlSeconds]));
    return { count, expirySet: count === 1 };
  }
  const results = (await redis.multi().call("INCR", key).call("EXPIRE", key, ttlSeconds, "NX").exec()) ?? [];
  const [incr, expire] = results;
  if (!incr || !expire) throw new Error("MULTI/EXEC was aborted");
  if (incr[0]) throw incr[0];
  if (expire[0]) throw expire[0];
  return { count: Number(incr[1]), expirySet: Number(expire[1]) === 1 };
}

export interface CountResult {
  /** The bucket's count after this event. */
  count: number;
  /** Whether this event gave the bucket its expiry (it should be exactly the bucket's first event). */
  expirySet: boolean;
}

/** Read many counters in one round trip (MGET); a bucket that never saw an event reads as 0. */
export async function readCounters(redis: RedisCaller, keys: readonly string[]): Promise<number[]> {
  if (keys.length === 0) return [];
  const values = (await redis.call("MGET", ...keys)) as (string | null)[];
  return values.map((v) => (v === null ? 0 : Number(v)));
}
