import { randomBytes } from "node:crypto";
import { defineScript, runScript } from "../../redis/script.js";
import type { RedisCaller } from "../../redis/types.js";
import { type Now, arg, luaNow, nowArg, num, replyArray, requireWindowOptions } from "./script-args.js";

export const slidingLogScript = defineScript(
  "ratelimit-sliding-log",
  `
--[[ Sliding window log: keep one sorted-set member per accepted request, scored by its time.
  KEYS[1]  the client's log (a sorted set)
  ARGV[1]  limit           requests allowed in any window of windowMs
  ARGV[2]  windowMs        window length in milliseconds
  ARGV[3]  cost            how many entries this request takes
  ARGV[4]  now             ms since the epoch, or 'server' to use Redis's TIME
  ARGV[5]  requestId       unique per request, so two requests in the same millisecond are two members
  ARGV[6]  ttlPaddingMs    extra lifetime for the log beyond one window
  returns  {allowed (1|0), count in the window after this request, oldest score or nil, now used}
  The chapter ZADDs before counting, so rejected requests are logged too: a client that keeps retrying keeps
  itself locked out. Here only accepted requests are logged, so the log is exactly what got through. ]]
local limit = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
${luaNow("ARGV[4]")}
local function fmt(x) return string.format('%.17g', x) end -- a Lua number given to redis.call keeps only 14 digits

-- An entry at time t counts while now < t + windowMs: the window is the half-open (now - windowMs, now].
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt(now - windowMs))
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count + cost <= limit then
  allowed = 1
  local member = fmt(now) .. '-' .. ARGV[5]
  if cost == 1 then
    redis.call('ZADD', KEYS[1], fmt(now), member)
  else
    for i = 1, cost do redis.call('ZADD', KEYS[1], fmt(now), member .. '-' .. i) end
  end
  count = count + cost
  -- The newest entry is the last to leave the window; when it has, the whole log is dead.
  redis.call('PEXPIRE', KEYS[1], fmt(windowMs + tonumber(ARGV[6])))
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
return {allowed, count, oldest or false, now}
`,
  { untimedKeys: [] },
);

export interface SlidingLogOptions {
  /** Requests allowed in any window of `windowMs`. */
  limit: number;
  windowMs: number;
  /** How many log entries this request takes; 1 by default. */
  cost?: number;
  /** The caller's clock in ms since the epoch, or `"server"` for Redis's `TIME`. */
  now: Now;
  /**
   * Unique per request on this key: members are `now-requestId` (and `-1`, `-2`, … when cost > 1), so two
   * requests in the same millisecond stay two members. Random by default.
   */
  requestId?: string | number;
  /** Keep the log this much longer than one window; 0 by default. */
  ttlPaddingMs?: number;
}

export interface SlidingLogResult {
  allowed: boolean;
  /** Entries in the window after this request (it is included only if allowed). */
  count: number;
  /** max(0, limit - count). */
  remaining: number;
  /** Time of the oldest entry still in the window (it leaves at oldestAt + windowMs), or null if the log is empty. */
  oldestAt: number | null;
  /** The clock the script used: the caller's, or the server's in `"server"` mode. */
  now: number;
}

/** The ARGV {@link slidingLogLimit} sends, exactly: `[limit, windowMs, cost, now, requestId, ttlPaddingMs]`. */
export function slidingLogArgs(options: SlidingLogOptions & { requestId: string | number }): string[] {
  return argsWith(options, options.requestId);
}

function argsWith(options: SlidingLogOptions, requestId: string | number): string[] {
  const { limit, windowMs, cost = 1, now, ttlPaddingMs = 0 } = options;
  return [arg(limit), arg(windowMs), arg(cost), nowArg(now), arg(requestId), arg(ttlPaddingMs)];
}

/**
 * Sliding window log: a sorted set of the accepted requests' times; a request passes if fewer than `limit`
 * entries are younger than `windowMs`.
 *
 * Pro: exact: no window of `windowMs`, wherever it starts, ever holds more than `limit` accepted requests.
 * Con: memory grows with the limit: one sorted-set entry per accepted request per client.
 */
export async function slidingLogLimit(
  redis: RedisCaller,
  key: string,
  options: SlidingLogOptions,
): Promise<SlidingLogResult> {
  const { limit, windowMs, cost = 1, now, ttlPaddingMs = 0 } = options;
  requireWindowOptions({ limit, windowMs, cost, ttlPaddingMs, now });
  const requestId = options.requestId ?? randomBytes(6).toString("hex");
  // Not slidingLogArgs({ ...options, requestId }): a spread-then-extend object costs a new hidden class per call.
  const args = argsWith(options, requestId);
  const reply = replyArray(await runScript(redis, slidingLogScript, [key], args), 4, "sliding log");
  const count = num(reply[1]);
  return {
    allowed: num(reply[0]) === 1,
    count,
    remaining: Math.max(0, limit - count),
    oldestAt: reply[2] === null || reply[2] === undefined ? null : num(reply[2]),
    now: num(reply[3]),
  };
}
