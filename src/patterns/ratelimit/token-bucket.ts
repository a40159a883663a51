import { defineScript, runScript } from "../../redis/script.js";
import type { RedisCaller } from "../../redis/types.js";
import {
  arg,
  luaNow,
  nowArg,
  num,
  replyArray,
  requireNonNegativeInteger,
  requireNow,
  requirePositiveNumber,
  type Now,
} from "./script-args.js";

export const tokenBucketScript = defineScript(
  "ratelimit-token-bucket",
  `
--[[ Token bucket: refill for the time elapsed since the last request, then take cost tokens if there are enough.
  KEYS[1]  the client's bucket, a hash {tokens, ts}; an absent key is a full bucket
  ARGV[1]  ratePerSec      tokens added per second
  ARGV[2]  burst           bucket capacity
  ARGV[3]  cost            tokens this request takes
  ARGV[4]  now             ms since the epoch, or 'server' to use Redis's TIME
  ARGV[5]  ttlPaddingMs    extra lifetime for the bucket beyond the time it takes to fill up
  returns  {allowed (1|0), tokens after this request ('%.17g' string), retryAfterMs (0 if allowed, -1 if never),
           now used}
  One hash instead of the chapter's two keys: one key to expire, and a cluster cannot split the pair. ]]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
${luaNow("ARGV[4]")}
-- %.17g round-trips a double exactly; a Lua number given to redis.call or returned would keep 14 digits or none.
local function fmt(x) return string.format('%.17g', x) end

local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
-- A clock that steps back (another client's, or NTP) must not drain the bucket: no negative refill.
local elapsed = math.max(0, now - ts)
tokens = math.min(burst, tokens + elapsed * rate / 1000)

if tokens >= cost then
  tokens = tokens - cost
  -- Keep the later timestamp, so time that a stepped-back clock replays is not refilled twice.
  redis.call('HSET', KEYS[1], 'tokens', fmt(tokens), 'ts', fmt(math.max(ts, now)))
  -- The key lives until the bucket would be full again; after that, absent means full, which is what it is.
  local ttl = math.ceil((burst - tokens) * 1000 / rate) + tonumber(ARGV[5])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[1], fmt(ttl)) else redis.call('DEL', KEYS[1]) end
  return {1, fmt(tokens), 0, now}
end
-- Rejected: nothing is written. The stored {tokens, ts} still describes the bucket, so a flood of rejected
-- requests costs reads only, and tokens never go negative.
if cost > burst then return {0, fmt(tokens), -1, now} end
return {0, fmt(tokens), math.ceil((cost - tokens) * 1000 / rate), now}
`,
  { untimedKeys: [] },
);

export interface TokenBucketOptions {
  /** Tokens added per second (see `parseRate` for "10/s", "100/m"). */
  ratePerSec: number;
  /** Bucket capacity: the largest burst that passes at once. */
  burst: number;
  /** Tokens this request takes; 1 by default. A cost above `burst` is always rejected. */
  cost?: number;
  /** The caller's clock in ms since the epoch, or `"server"` for Redis's `TIME`. */
  now: Now;
  /** Keep the bucket this much longer than the time it takes to fill up; 0 by default. */
  ttlPaddingMs?: number;
}

export interface TokenBucketResult {
  allowed: boolean;
  /** Tokens left after this request (a fraction: refill is continuous). */
  tokens: number;
  /** 0 when allowed; else how long until `cost` tokens are there; -1 when never (cost > burst). */
  retryAfterMs: number;
  now: number;
}

/** The ARGV {@link tokenBucketLimit} sends, exactly: `[ratePerSec, burst, cost, now, ttlPaddingMs]`. */
export function tokenBucketArgs(options: TokenBucketOptions): string[] {
  const { ratePerSec, burst, cost = 1, now, ttlPaddingMs = 0 } = options;
  return [arg(ratePerSec), arg(burst), arg(cost), nowArg(now), arg(ttlPaddingMs)];
}

/**
 * Token bucket: each client has up to `burst` tokens, refilled continuously at `ratePerSec`; a request takes
 * `cost` tokens or is rejected.
 *
 * Pro: allows short bursts up to `burst` while holding the long-run rate to `ratePerSec`; one small hash per client.
 * Con: two knobs instead of one, and a full bucket lets `burst` requests through at once.
 */
export async function tokenBucketLimit(
  redis: RedisCaller,
  key: string,
  options: TokenBucketOptions,
): Promise<TokenBucketResult> {
  const { ratePerSec, burst, cost = 1, now, ttlPaddingMs = 0 } = options;
  requirePositiveNumber("ratePerSec", ratePerSec);
  requirePositiveNumber("burst", burst);
  requirePositiveNumber("cost", cost);
  requireNonNegativeInteger("ttlPaddingMs", ttlPaddingMs);
  requireNow(now);
  const reply = replyArray(
    await runScript(redis, tokenBucketScript, [key], tokenBucketArgs(options)),
    4,
    "token bucket",
  );
  return {
    allowed: num(reply[0]) === 1,
    tokens: num(reply[1]),
    retryAfterMs: num(reply[2]),
    now: num(reply[3]),
  };
}
