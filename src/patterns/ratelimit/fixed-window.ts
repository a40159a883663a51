import { defineScript, runScript } from "../../redis/script.js";
import type { RedisCaller } from "../../redis/types.js";
import { arg, num, replyArray, requireWindowOptions } from "./script-args.js";

export const fixedWindowScript = defineScript(
  "ratelimit-fixed-window",
  `
--[[ Fixed window counter: count this request in the current window's counter.
  KEYS[1]  the counter of the current window (the caller names it per window, e.g. ratelimit:{user}:202401151030)
  ARGV[1]  limit           requests allowed per window
  ARGV[2]  windowMs        window length in milliseconds
  ARGV[3]  cost            how much this request counts
  ARGV[4]  ttlPaddingMs    extra lifetime for the counter beyond one window
  returns  {allowed (1|0), count after this request}
  Rejected requests are counted too, as in INCR-then-check: the counter only says how many were attempted. ]]
local limit = tonumber(ARGV[1])
local cost = tonumber(ARGV[3])
local count = redis.call('INCRBY', KEYS[1], ARGV[3])
-- INCRBY on a missing key starts from 0, so count == cost means we just created it. Setting the expiry in the
-- same script is the point: INCR then EXPIRE as two commands leaves an immortal counter if the client dies between.
if count == cost then
  redis.call('PEXPIRE', KEYS[1], string.format('%.17g', tonumber(ARGV[2]) + tonumber(ARGV[4])))
end
if count <= limit then return {1, count} end
return {0, count}
`,
  { untimedKeys: [] },
);

export interface FixedWindowOptions {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
  /** How much this request counts; 1 by default. */
  cost?: number;
  /** The caller's clock, ms since the epoch; it picks the window (see {@link fixedWindowIndex}). */
  now: number;
  /** Keep the counter this much longer than one window (e.g. to inspect it afterwards); 0 by default. */
  ttlPaddingMs?: number;
}

export interface FixedWindowResult {
  allowed: boolean;
  /** The window's count after this request, rejected requests included. */
  count: number;
  /** How much more this window accepts: max(0, limit - count). */
  remaining: number;
  /** When the next window starts, ms since the epoch. */
  resetAt: number;
  now: number;
}

/** Which window `now` falls in: floor(now / windowMs). Windows are aligned to the epoch. */
export function fixedWindowIndex(now: number, windowMs: number): number {
  return Math.floor(now / windowMs);
}

/**
 * A readable key suffix for the window `now` falls in. For windows of a minute or more it is the UTC minute the
 * window starts in, `yyyyMMddHHmm` (`202401151030`, as in the chapter); window starts are at least a minute apart,
 * so no two windows share a label. Shorter windows get their {@link fixedWindowIndex} in decimal.
 */
export function fixedWindowLabel(now: number, windowMs: number): string {
  const index = fixedWindowIndex(now, windowMs);
  if (windowMs < 60_000) return String(index);
  return new Date(index * windowMs).toISOString().slice(0, 16).replace(/[-T:]/g, "");
}

/** The ARGV {@link fixedWindowLimit} sends, exactly: `[limit, windowMs, cost, ttlPaddingMs]`. */
export function fixedWindowArgs(options: FixedWindowOptions): string[] {
  const { limit, windowMs, cost = 1, ttlPaddingMs = 0 } = options;
  return [arg(limit), arg(windowMs), arg(cost), arg(ttlPaddingMs)];
}

/**
 * Fixed window counter: one counter per client per window, incremented by each request.
 *
 * The caller picks `key` for the window `now` falls in (e.g. with {@link fixedWindowLabel}); the script never sees
 * the clock, so there is no `now: "server"` mode here: the window is chosen by whoever names the key.
 *
 * Pro: one small counter per client, one round trip, trivially cheap.
 * Con: a burst on both sides of a window edge passes twice: up to 2 × limit within a few milliseconds.
 */
export async function fixedWindowLimit(
  redis: RedisCaller,
  key: string,
  options: FixedWindowOptions,
): Promise<FixedWindowResult> {
  const { limit, windowMs, cost = 1, now, ttlPaddingMs = 0 } = options;
  requireWindowOptions({ limit, windowMs, cost, ttlPaddingMs, now });
  const reply = replyArray(
    await runScript(redis, fixedWindowScript, [key], fixedWindowArgs(options)),
    2,
    "fixed window",
  );
  const count = num(reply[1]);
  return {
    allowed: num(reply[0]) === 1,
    count,
    remaining: Math.max(0, limit - count),
    resetAt: (fixedWindowIndex(now, windowMs) + 1) * windowMs,
    now,
  };
}
