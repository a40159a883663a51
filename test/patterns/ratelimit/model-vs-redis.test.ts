import { describe, expect, it } from "vitest";
import {
  alignedStart,
  fixedWindowLabel,
  fixedWindowLimit,
  generateTraffic,
  maxInAnyWindow,
  modelFixedWindow,
  modelSlidingCounter,
  modelSlidingLog,
  modelTokenBucket,
  slidingCounterLimit,
  slidingLogLimit,
  tokenBucketLimit,
  type ModelRequest,
  type RateLimitAlgorithm,
  type TrafficShape,
} from "../../../src/patterns/ratelimit/index.js";
import { scanPrefix } from "../../../src/redis/cleanup.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis, prefix } = usePrefixedRedis("model-vs-redis");

const windowMs = 1000;
const limit = 10;
const shapes: TrafficShape[] = ["steady", "burst", "boundary"];
const clients = ["alice", "bob"];

/** Two clients, 30 requests each, every third costing 2; the start is shifted off the window grid sometimes. */
function requestsFor(shape: TrafficShape, shifted: boolean): (ModelRequest & { seq: number })[] {
  const start = alignedStart(windowMs) + (shifted ? 137 : 0);
  return generateTraffic({ shape, requestsPerClient: 30, clients, windowMs, start }).map(({ seq, client, at }) => ({
    seq,
    id: client,
    now: at,
    cost: seq % 3 === 0 ? 2 : 1,
  }));
}

type Run = (requests: (ModelRequest & { seq: number })[]) => Promise<{ redis: unknown[]; model: unknown[] }>;

const key = (id: string, suffix: string) => `${prefix()}:{${id}}:${suffix}`;
const tokenConfig = { ratePerSec: 3.7, burst: 5 };

const runs: Record<RateLimitAlgorithm, Run> = {
  "fixed-window": async (requests) => {
    const out = [];
    for (const { id, now, cost } of requests) {
      out.push(
        await fixedWindowLimit(redis(), key(id, fixedWindowLabel(now, windowMs)), { limit, windowMs, cost, now }),
      );
    }
    return { redis: out, model: modelFixedWindow(requests, { limit, windowMs }) };
  },
  "sliding-log": async (requests) => {
    const out = [];
    for (const { id, now, cost, seq } of requests) {
      out.push(await slidingLogLimit(redis(), key(id, "log"), { limit, windowMs, cost, now, requestId: seq }));
    }
    return { redis: out, model: modelSlidingLog(requests, { limit, windowMs }) };
  },
  "sliding-counter": async (requests) => {
    const out = [];
    for (const { id, now, cost } of requests) {
      const current = key(id, fixedWindowLabel(now, windowMs));
      const previous = key(id, fixedWindowLabel(now - windowMs, windowMs));
      out.push(await slidingCounterLimit(redis(), current, previous, { limit, windowMs, cost, now }));
    }
    return { redis: out, model: modelSlidingCounter(requests, { limit, windowMs }) };
  },
  "token-bucket": async (requests) => {
    const out = [];
    for (const { id, now, cost } of requests) {
      out.push(await tokenBucketLimit(redis(), key(id, "bucket"), { ...tokenConfig, cost, now }));
    }
    return { redis: out, model: modelTokenBucket(requests, tokenConfig) };
  },
};

describe("the Redis limiters decide exactly as their models", () => {
  const cases = (Object.keys(runs) as RateLimitAlgorithm[]).flatMap((algorithm) =>
    shapes.flatMap((shape) => [false, true].map((shifted) => ({ algorithm, shape, shifted }))),
  );

  it.each(cases)("$algorithm, $shape traffic (shifted start: $shifted)", async ({ algorithm, shape, shifted }) => {
    const requests = requestsFor(shape, shifted);
    const { redis: actual, model } = await runs[algorithm](requests);
    // Same decisions and the same numbers, bit for bit: toEqual compares numbers exactly, with no tolerance.
    expect(actual).toEqual(model);
    // Not trivially exact: steady traffic exercises the fractional paths (weights, estimates, refilled tokens).
    if (shape === "steady" && (algorithm === "sliding-counter" || algorithm === "token-bucket")) {
      const fractions = (actual as { estimate?: number; tokens?: number }[]).map((r) => r.estimate ?? r.tokens ?? 0);
      expect(fractions.some((x) => !Number.isInteger(x))).toBe(true);
    }
    // Not vacuous: every shape here meets both an accepted and a rejected request.
    const decisions = new Set((actual as { allowed: boolean }[]).map((r) => r.allowed));
    expect(decisions).toEqual(new Set([true, false]));
    // Every key the limiter wrote carries an expiry.
    const keys = await scanPrefix(redis(), prefix());
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(await redis().pttl(k), k).toBeGreaterThan(0);
    // The sliding log keeps its promise for every client.
    if (algorithm === "sliding-log") {
      for (const client of clients) {
        const accepted = requests
          .filter((r, i) => r.id === client && (actual[i] as { allowed: boolean }).allowed)
          .map((r) => ({ at: r.now, cost: r.cost }));
        expect(maxInAnyWindow(accepted, windowMs)).toBeLessThanOrEqual(limit);
      }
    }
  });
});
