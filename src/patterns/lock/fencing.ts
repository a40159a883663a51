import { hashTagOf } from "../../redis/keys.js";
import { defineScript, runScript } from "../../redis/script.js";
import type { RedisCaller } from "../../redis/types.js";
import { requireTtl, type LockOptions } from "./simple.js";

export const acquireFencedLockScript = defineScript(
  "lock-acquire-fenced",
  `
--[[ Take a lock and, only if we got it, the next fencing token.
  KEYS[1]  the lock key
  KEYS[2]  the fencing token counter (same hash tag as the lock: one slot, one script)
  ARGV[1]  the owner token
  ARGV[2]  the lock's TTL in milliseconds
  returns  the fencing token (1, 2, 3 …, strictly increasing across all acquisitions), or 0 when the lock is held
  SET NX and INCR in one script: no acquisition without a token, no token without the lock. The counter has no
  TTL on purpose: if it expired, tokens would start again at 1 and an old holder's token would look new. ]]
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0
`,
  { untimedKeys: [1] },
);

export const writeFencedScript = defineScript(
  "lock-write-fenced",
  `
--[[ Write to the protected resource only if the writer's fencing token is not older than any seen before.
  KEYS[1]  the resource: a hash with the value and the highest fencing token that wrote it
  ARGV[1]  the writer's fencing token
  ARGV[2]  the value to store
  returns  {1, token} when written; {0, highest token seen} when refused because ARGV[1] is older
  The resource checks the token itself, so a holder that lost its lock while paused cannot overwrite the work of
  the holder after it, whatever either of them believes about the lock or the time. ]]
local highest = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
local token = tonumber(ARGV[1])
if token < highest then
  return {0, highest}
end
redis.call('HSET', KEYS[1], 'value', ARGV[2], 'fence', ARGV[1])
return {1, token}
`,
  { untimedKeys: [0] },
);

/**
 * Take a lock with a fencing token: `SET NX PX` and `INCR` of the token counter in one script. Returns the token
 * (strictly increasing across every acquisition of this lock), or null when another owner holds the lock.
 *
 * Pro: every holder carries a number the protected resource can compare; safety no longer depends on clocks or pauses.
 * Con: the resource must check the token (here a Lua script; a database would need a conditional update).
 */
export async function acquireFencedLock(
  redis: RedisCaller,
  lockKey: string,
  fenceKey: string,
  options: LockOptions,
): Promise<number | null> {
  requireTtl(options.ttlMs);
  if (hashTagOf(lockKey) !== hashTagOf(fenceKey)) {
    throw new RangeError(
      `the lock ${lockKey} and its token counter ${fenceKey} must share a hash tag (one script, one slot)`,
    );
  }
  const token = Number(
    await runScript(redis, acquireFencedLockScript, [lockKey, fenceKey], [options.token, String(options.ttlMs)]),
  );
  return token > 0 ? token : null;
}

export interface FencedWrite {
  /** True when the resource took the write; false when a newer token had already written. */
  accepted: boolean;
  /** The token now recorded on the resource: ours when accepted, the newer one when refused. */
  highest: number;
}

/**
 * Write `value` to a fenced resource, carrying the writer's fencing token. Refused when a newer token has written.
 *
 * Pro: the stale write of a paused ex-holder is refused by the resource itself.
 * Con: a refused write is work lost; the caller must notice and not report success.
 */
export async function writeFenced(
  redis: RedisCaller,
  resourceKey: string,
  fence: number,
  value: string | number,
): Promise<FencedWrite> {
  if (!Number.isSafeInteger(fence) || fence <= 0)
    throw new RangeError(`fencing token must be a positive whole number, got ${fence}`);
  const reply = await runScript(redis, writeFencedScript, [resourceKey], [String(fence), String(value)]);
  if (!Array.isArray(reply) || reply.length !== 2)
    throw new TypeError(`lock-write-fenced: unexpected reply ${JSON.stringify(reply)}`);
  return { accepted: Number(reply[0]) === 1, highest: Number(reply[1]) };
}

/** The fenced resource's value and the token that wrote it (null and 0 before the first write). */
export async function readFenced(
  redis: RedisCaller,
  resourceKey: string,
): Promise<{ value: string | null; fence: number }> {
  const reply = (await redis.call("HMGET", resourceKey, "value", "fence")) as (string | null)[];
  return { value: reply[0] ?? null, fence: Number(reply[1] ?? 0) };
}
