import { defineScript, runScript } from "../../redis/script.js";
import type { RedisCaller } from "../../redis/types.js";
import { type Now, arg, luaNow, nowArg, num, replyArray, requireWindowOptions } from "./script-args.js";

export const slidingCounterScript = defineScript(
  "ratelimit-sliding-counter",
  `
--[[ Sliding window counter: estimate the last windowMs from this window's counter and the previous one's.
  KEYS[1]  the current window's counter    KEYS[2]  the previous window's counter (same hash tag as KEYS[1])
  ARGV[1]  limit           requests allowed per window
  ARGV[2]  windowMs        window length in milliseconds
  ARGV[3]  cost            how much this request counts
  ARGV[4]  now             ms since the epoch, or 'server' to use Redis's TIME
  ARGV[5]  ttlPaddingMs    extra lifetime for the counter beyond two windows
  returns  {allowed (1|0), current after this request, previous, estimate before it, weight, now used}
  estimate and weight are fractions and leave as '%.17g' strings: Redis truncates a Lua number reply to an integer. ]]
local limit = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
${luaNow("ARGV[4]")}
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
-- The share of the previous window still inside the sliding window that ends now.
local weight = (windowMs - (now % windowMs)) / windowMs
local estimate = previous * weight + current
local allowed = 0
-- Rejected requests are not counted, so a client that keeps retrying is not punished for it.
if estimate + cost <= limit then
  allowed = 1
  current = redis.call('INCRBY', KEYS[1], ARGV[3])
  -- Alive through the next window too, where it is the previous counter.
  redis.call('PEXPIRE', KEYS[1], string.format('%.17g', 2 * windowMs + tonumber(ARGV[5])))
end
return {allowed, current, previous, string.format('%.17g', estimate), string.format('%.17g', weight), now}
`,
  { untimedKeys: [] },
);

export interface SlidingCounterOptions {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
  /** How much this request counts; 1 by default. */
  cost?: number;
  /**
   * The caller's clock in ms since the epoch, or `"server"` for Redis's `TIME`. The caller still names the two
   * keys from its own clock, so `"server"` assumes both clocks agree to well within a window.
   */
  now: Now;
  /** Keep the counter this much longer than two windows; 0 by default. */
  ttlPaddingMs?: number;
}

export interface SlidingCounterResult {
  allowed: boolean;
  /** previous × weight + current, before this request: what the decision was based on. */
  estimate: number;
  /** The current window's counter after this request (only accepted requests count). */
  current: number;
  previous: number;
  /** (windowMs − now mod windowMs) / windowMs: how much of the previous window still counts. */
  weight: number;
  now: number;
}

/** The ARGV {@link slidingCounterLimit} sends, exactly: `[limit, windowMs, cost, now, ttlPaddingMs]`. */
export function slidingCounterArgs(options: SlidingCounterOptions): string[] {
  const { limit, windowMs, cost = 1, now, ttlPaddingMs = 0 } = options;
  return [arg(limit), arg(windowMs), arg(cost), nowArg(now), arg(ttlPaddingMs)];
}

/**
 * Sliding window counter: fixed-window counters, but a request is judged on the previous window's count weighted
 * by how much of it still overlaps the last `windowMs`, plus the current count.
 *
 * The caller names both keys (e.g. with `fixedWindowLabel` for now and for now − windowMs) under one hash tag.
 *
 * Pro: two integers per client, smooth at window edges: no 2 × limit burst.
 * Con: an estimate: it assumes the previous window's requests were spread evenly, so it can be off either way.
 */
export async function slidingCounterLimit(
  redis: RedisCaller,
  currentKey: string,
  previousKey: string,
  options: SlidingCounterOptions,
): Promise<SlidingCounterResult> {
  const { limit, windowMs, cost = 1, now, ttlPaddingMs = 0 } = options;
  requireWindowOptions({ limit, windowMs, cost, ttlPaddingMs, now });
  const reply = replyArray(
    await runScript(redis, slidingCounterScript, [currentKey, previousKey], slidingCounterArgs(options)),
    6,
    "sliding counter",
  );
  return {
    allowed: num(reply[0]) === 1,
    current: num(reply[1]),
    previous: num(reply[2]),
    estimate: num(reply[3]),
    weight: num(reply[4]),
    now: num(reply[5]),
  };
}
