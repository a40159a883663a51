import { fixedWindowLabel, modelSlidingCounter, slidingCounterLimit } from "../../src/patterns/ratelimit/index.js";
import { limitLabel, limiterKey, rateLimitScenario, round, windowOptions, type Limiter } from "./algorithm-run.js";
import { windowEvidence } from "./evidence.js";

const numbers = (r: { estimate: number; current: number; previous: number }) => ({
  estimate: r.estimate,
  current: r.current,
  previous: r.previous,
});

export const slidingCounter: Limiter = {
  algo: "sliding-counter",
  title: (p) => `Sliding window counter, ${limitLabel(p)}`,
  explain:
    "Two fixed-window counters, weighted: estimate = previous × (the share of the previous window still inside " +
    "the sliding window) + current. Two small counters per client and smooth at the edges; the price is an " +
    "approximation that assumes the previous window's requests were spread evenly.",
  serverTime: false,
  async call(ctx, client, now, _seq, ttlPaddingMs) {
    const p = ctx.params;
    const at = now === "server" ? Date.now() : now;
    // Both keys share the client's hash tag, so the script's two keys live in one cluster slot.
    const current = limiterKey(ctx, client, "sc", fixedWindowLabel(at, p.windowMs));
    const previous = limiterKey(ctx, client, "sc", fixedWindowLabel(at - p.windowMs, p.windowMs));
    const r = await slidingCounterLimit(ctx.redis, current, previous, windowOptions(p, at, ttlPaddingMs));
    return {
      at,
      allowed: r.allowed,
      numbers: numbers(r),
      detail:
        `${r.previous} × ${round(r.weight)} + ${r.allowed ? r.current - p.cost : r.current} ` +
        `= ${round(r.estimate)}`,
    };
  },
  model: (requests, p) => modelSlidingCounter(requests, p).map((r) => ({ allowed: r.allowed, numbers: numbers(r) })),
  checks(ctx, { decisions, maxAllowed }) {
    const p = ctx.params;
    // Not exact: the weighted estimate can let a little more than the limit through in some sliding window, but
    // never the fixed window's 2×: each of the two windows alone never passes the limit.
    ctx.check(
      "the busiest window stays below the fixed window's 2 × limit",
      maxAllowed < 2 * p.limit || p.limit === 1,
      {
        expected: `< ${2 * p.limit}`,
        actual: maxAllowed,
        detail:
          maxAllowed > p.limit
            ? `the approximation let ${maxAllowed - p.limit} over the limit through`
            : "no overshoot on this traffic",
        evidence: { values: windowEvidence(decisions, p) },
      },
    );
  },
};

export default rateLimitScenario(slidingCounter);
