import { modelTokenBucket, tokenBucketLimit } from "../../src/patterns/ratelimit/index.js";
import { limiterKey, rateLimitScenario, round, type Limiter } from "./algorithm-run.js";
import { SCENARIO_TTL_PADDING_MS } from "./params.js";

const numbers = (r: { tokens: number; retryAfterMs: number }) => ({ tokens: r.tokens, retryAfterMs: r.retryAfterMs });

export const tokenBucket: Limiter = {
  algo: "token-bucket",
  title: (p) => `Token bucket, ${p.burst} tokens, refilled at ${round(p.ratePerSec)}/s`,
  explain:
    "A bucket of `burst` tokens refilled continuously at `rate`; each request takes `cost` tokens or is " +
    "rejected without taking any. One hash per client (tokens, last refill), updated by a Lua script so the " +
    "read-modify-write cannot race. Allows bursts up to the bucket size, then a steady rate; the key expires " +
    "once the bucket would be full again.",
  serverTime: true,
  async call(ctx, client, now, _seq, ttlPaddingMs) {
    const p = ctx.params;
    const key = limiterKey(ctx, client, "tb");
    const r = await tokenBucketLimit(ctx.redis, key, {
      ratePerSec: p.ratePerSec,
      burst: p.burst,
      cost: p.cost,
      now,
      ttlPaddingMs,
    });
    const retry = r.allowed ? "" : r.retryAfterMs < 0 ? ", never (cost > burst)" : `, retry in ${r.retryAfterMs} ms`;
    return { at: r.now, allowed: r.allowed, numbers: numbers(r), detail: `${round(r.tokens)} tokens left${retry}` };
  },
  model: (requests, p) => modelTokenBucket(requests, p).map((r) => ({ allowed: r.allowed, numbers: numbers(r) })),
  checks(ctx, { decisions, state }) {
    const p = ctx.params;
    const lowest = Math.min(...decisions.map((d) => d.numbers.tokens ?? 0));
    const low = decisions.find((d) => (d.numbers.tokens ?? 0) === lowest);
    ctx.check("tokens never go negative", lowest >= 0, {
      expected: "≥ 0",
      actual: round(lowest, 6),
      evidence: { values: low ? { client: low.client, "request number": low.seq, "tokens after it": lowest } : {} },
    });
    if (p.cost > p.burst) {
      const allowed = decisions.filter((d) => d.allowed).length;
      ctx.check("a cost larger than the bucket is always rejected", allowed === 0, {
        expected: 0,
        actual: allowed,
        evidence: { values: { cost: p.cost, burst: p.burst, requests: decisions.length, allowed } },
      });
    }
    // Each bucket expires when it would be full again: PTTL ≤ time to refill what is missing (+ scenario padding).
    // Only an allowed request writes (and sets the TTL), so measure from the last allowed one.
    const padding = ctx.clock.mode === "scenario" ? SCENARIO_TTL_PADDING_MS : 0;
    const longer: Record<string, string> = {};
    for (const client of p.clients) {
      const mine = decisions.filter((d) => d.client === client && d.allowed);
      const last = mine[mine.length - 1];
      const key = limiterKey(ctx, client, "tb");
      const pttl = state.ttls.get(key);
      if (!last || pttl === undefined || pttl < 0) continue;
      const toFull = Math.ceil(((p.burst - (last.numbers.tokens ?? 0)) * 1000) / p.ratePerSec);
      if (pttl > toFull + padding) longer[`${client}: PTTL ms, refill ms + padding`] = `${pttl}, ${toFull + padding}`;
    }
    const tooLong = Object.keys(longer).length;
    ctx.check("each bucket's TTL is at most the time it takes to refill", tooLong === 0, {
      expected: "0 buckets kept longer",
      actual: `${tooLong} kept longer`,
      evidence: { values: longer },
    });
  },
};

export default rateLimitScenario(tokenBucket);
