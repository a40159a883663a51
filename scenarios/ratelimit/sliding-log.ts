import { modelSlidingLog, slidingLogLimit } from "../../src/patterns/ratelimit/index.js";
import { limitLabel, limiterKey, rateLimitScenario, windowOptions, type Limiter } from "./algorithm-run.js";
import { windowEvidence } from "./evidence.js";
import { commandsNamed } from "../../src/runner/evidence.js";

const numbers = (r: { count: number }) => ({ count: r.count });

export const slidingLog: Limiter = {
  algo: "sliding-log",
  title: (p) => `Sliding window log, ${limitLabel(p)}`,
  explain:
    "A sorted set per client, one member per accepted request scored by its time: trim what left the window, " +
    "count, add. Exact — never more than the limit in any window — but it stores every request, so memory grows " +
    "with the limit. Members carry a request id, so two requests in the same millisecond are two entries.",
  serverTime: true,
  async call(ctx, client, now, seq, ttlPaddingMs) {
    const p = ctx.params;
    const key = limiterKey(ctx, client, "log");
    // The request id makes members unique across app instances too; the run prefix keeps it readable here.
    const requestId = `${ctx.keys.prefix.split(":").pop()}-${seq}`;
    const r = await slidingLogLimit(ctx.redis, key, { ...windowOptions(p, now, ttlPaddingMs), requestId });
    return {
      at: r.now,
      allowed: r.allowed,
      numbers: numbers(r),
      detail: `${r.count}/${p.limit} in the last ${p.windowMs} ms`,
    };
  },
  model: (requests, p) => modelSlidingLog(requests, p).map((r) => ({ allowed: r.allowed, numbers: numbers(r) })),
  async checks(ctx, { decisions, maxAllowed }) {
    const p = ctx.params;
    ctx.check("never more than the limit in any window", maxAllowed <= p.limit, {
      expected: `≤ ${p.limit}`,
      actual: maxAllowed,
      evidence: { values: windowEvidence(decisions, p) },
    });
    // Every accepted request still inside the window must be its own member: requests in the same millisecond
    // must not overwrite each other (a member named by the timestamp alone would).
    let expected = 0;
    let actual = 0;
    for (const client of p.clients) {
      const mine = decisions.filter((d) => d.client === client);
      const last = mine[mine.length - 1];
      if (!last) continue;
      expected += mine.filter((d) => d.allowed && d.at > last.at - p.windowMs).reduce((n, d) => n + d.cost, 0);
      actual += Number(await ctx.redis.call("ZCARD", limiterKey(ctx, client, "log")));
    }
    ctx.check("the log holds one member per accepted request in the window (ZCARD)", actual === expected, {
      expected,
      actual,
      evidence: () => ({ commands: commandsNamed(ctx.commands(), ["ZCARD"]).slice(-p.clients.length) }),
    });
  },
};

export default rateLimitScenario(slidingLog);
