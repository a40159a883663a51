/**
 * Pure reference models of the four limiters: no Redis, same decisions, same numbers. Tests feed the same traffic
 * to a model and to the Redis function and compare; scenarios can use them to say what *should* happen.
 *
 * The floating-point steps are written in the same order as in the Lua, and values the Lua stores as '%.17g'
 * strings are passed through the same round trip, so token counts, weights and estimates are bit-identical.
 *
 * Models ignore key expiry: they assume every key lives at least as long as it is needed, which the scripts'
 * TTLs guarantee for a caller whose clock follows real time (and which holds trivially in tests that move
 * simulated time faster than the keys can expire).
 */
import type { FixedWindowResult } from "./fixed-window.js";
import { fixedWindowIndex } from "./fixed-window.js";
import { roundTrip17 } from "./script-args.js";
import type { SlidingCounterResult } from "./sliding-counter.js";
import type { SlidingLogResult } from "./sliding-log.js";
import type { TokenBucketResult } from "./token-bucket.js";

/** One request: which client (one key per client), when (ms since the epoch), and how much it costs (1 by default). */
export interface ModelRequest {
  id: string;
  now: number;
  cost?: number;
}

export interface WindowLimitConfig {
  limit: number;
  windowMs: number;
}

export interface TokenBucketConfig {
  ratePerSec: number;
  burst: number;
}

export function modelFixedWindow(requests: readonly ModelRequest[], config: WindowLimitConfig): FixedWindowResult[] {
  const { limit, windowMs } = config;
  const counters = new Map<string, number>(); // "client window-index" → count
  return requests.map(({ id, now, cost = 1 }) => {
    const index = fixedWindowIndex(now, windowMs);
    const key = `${id} ${index}`;
    const count = (counters.get(key) ?? 0) + cost; // rejected requests count too, as INCRBY does
    counters.set(key, count);
    return {
      allowed: count <= limit,
      count,
      remaining: Math.max(0, limit - count),
      resetAt: (index + 1) * windowMs,
      now,
    };
  });
}

export function modelSlidingLog(requests: readonly ModelRequest[], config: WindowLimitConfig): SlidingLogResult[] {
  const { limit, windowMs } = config;
  const logs = new Map<string, number[]>(); // client → accepted entry times, oldest first
  return requests.map(({ id, now, cost = 1 }) => {
    // ZREMRANGEBYSCORE -inf (now - windowMs) removes scores <= now - windowMs. Entries are kept sorted by
    // score (times may arrive out of order), as in the sorted set.
    const log = (logs.get(id) ?? []).filter((t) => t > now - windowMs);
    const allowed = log.length + cost <= limit;
    if (allowed) {
      for (let i = 0; i < cost; i++) log.push(now);
      log.sort((a, b) => a - b);
    }
    logs.set(id, log);
    const count = log.length;
    return { allowed, count, remaining: Math.max(0, limit - count), oldestAt: log[0] ?? null, now };
  });
}

export function modelSlidingCounter(
  requests: readonly ModelRequest[],
  config: WindowLimitConfig,
): SlidingCounterResult[] {
  const { limit, windowMs } = config;
  const counters = new Map<string, number>(); // "client window-index" → accepted count
  return requests.map(({ id, now, cost = 1 }) => {
    const index = fixedWindowIndex(now, windowMs);
    let current = counters.get(`${id} ${index}`) ?? 0;
    const previous = counters.get(`${id} ${index - 1}`) ?? 0;
    // Lua 5.1's a % b is a - floor(a / b) * b; spelled out so the rounding is the same.
    const weight = (windowMs - (now - Math.floor(now / windowMs) * windowMs)) / windowMs;
    const estimate = previous * weight + current;
    const allowed = estimate + cost <= limit;
    if (allowed) {
      current += cost;
      counters.set(`${id} ${index}`, current);
    }
    // The script returns estimate and weight as '%.17g' strings.
    return { allowed, estimate: roundTrip17(estimate), current, previous, weight: roundTrip17(weight), now };
  });
}

export function modelTokenBucket(requests: readonly ModelRequest[], config: TokenBucketConfig): TokenBucketResult[] {
  const { ratePerSec: rate, burst } = config;
  const buckets = new Map<string, { tokens: number; ts: number }>(); // client → what the hash holds
  return requests.map(({ id, now, cost = 1 }) => {
    const stored = buckets.get(id);
    const ts = stored?.ts ?? now;
    const elapsed = Math.max(0, now - ts);
    let tokens = Math.min(burst, (stored?.tokens ?? burst) + (elapsed * rate) / 1000);
    if (tokens >= cost) {
      tokens = tokens - cost;
      // Stored as '%.17g' and read back with tonumber.
      buckets.set(id, { tokens: roundTrip17(tokens), ts: roundTrip17(Math.max(ts, now)) });
      return { allowed: true, tokens: roundTrip17(tokens), retryAfterMs: 0, now };
    }
    const retryAfterMs = cost > burst ? -1 : Math.ceil(((cost - tokens) * 1000) / rate);
    return { allowed: false, tokens: roundTrip17(tokens), retryAfterMs, now };
  });
}

/** A time, or a time with a cost (1 by default). */
export type TimedCost = number | { at: number; cost?: number };

function normalise(events: readonly TimedCost[]): { at: number; cost: number }[] {
  return events
    .map((e) => (typeof e === "number" ? { at: e, cost: 1 } : { at: e.at, cost: e.cost ?? 1 }))
    .sort((a, b) => a.at - b.at);
}

/**
 * The largest total cost inside any half-open window [t, t + windowMs), wherever it starts: the number a limiter
 * promises to keep at or below `limit`. Pass the accepted requests. Two pointers over the sorted times: the
 * busiest window can always be taken to start at an event.
 */
export function maxInAnyWindow(events: readonly TimedCost[], windowMs: number): number {
  const sorted = normalise(events);
  let best = 0;
  let sum = 0;
  let right = 0;
  for (let left = 0; left < sorted.length; left++) {
    const start = sorted[left]!.at;
    while (right < sorted.length && sorted[right]!.at < start + windowMs) sum += sorted[right++]!.cost;
    best = Math.max(best, sum);
    sum -= sorted[left]!.cost;
  }
  return best;
}

/** Total cost per epoch-aligned window [k × windowMs, (k + 1) × windowMs), busy windows only, in time order. */
export function allowedPerAlignedWindow(
  events: readonly TimedCost[],
  windowMs: number,
): { windowStart: number; total: number }[] {
  const totals = new Map<number, number>();
  for (const { at, cost } of normalise(events)) {
    const windowStart = fixedWindowIndex(at, windowMs) * windowMs;
    totals.set(windowStart, (totals.get(windowStart) ?? 0) + cost);
  }
  return [...totals].map(([windowStart, total]) => ({ windowStart, total }));
}
