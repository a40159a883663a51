import {
  allowedPerAlignedWindow,
  fixedWindowLabel,
  fixedWindowLimit,
  modelFixedWindow,
} from "../../src/patterns/ratelimit/index.js";
import { limitLabel, limiterKey, rateLimitScenario, windowOptions, type Limiter } from "./algorithm-run.js";
import { windowEvidence } from "./evidence.js";

const numbers = (r: { count: number }) => ({ count: r.count });

export const fixedWindow: Limiter = {
  algo: "fixed-window",
  title: (p) => `Fixed window counter, ${limitLabel(p)}`,
  explain:
    "One counter per client per window (INCRBY, with PEXPIRE set in the same script when the counter is new, so a " +
    "crash between the two can never leave a counter without expiry). Cheapest of the four, but a burst on both " +
    "sides of a window edge passes twice: up to 2 × limit within a moment.",
  serverTime: false,
  async call(ctx, client, now, _seq, ttlPaddingMs) {
    const p = ctx.params;
    const at = now === "server" ? Date.now() : now;
    const key = limiterKey(ctx, client, "fw", fixedWindowLabel(at, p.windowMs));
    const r = await fixedWindowLimit(ctx.redis, key, windowOptions(p, at, ttlPaddingMs));
    return { at, allowed: r.allowed, numbers: numbers(r), detail: `count ${r.count}/${p.limit}` };
  },
  model: (requests, p) => modelFixedWindow(requests, p).map((r) => ({ allowed: r.allowed, numbers: numbers(r) })),
  checks(ctx, { decisions, maxAllowed }) {
    const p = ctx.params;
    let worst = 0;
    for (const client of p.clients) {
      const allowed = decisions
        .filter((d) => d.client === client && d.allowed)
        .map((d) => ({ at: d.at, cost: d.cost }));
      for (const window of allowedPerAlignedWindow(allowed, p.windowMs)) worst = Math.max(worst, window.total);
    }
    ctx.check("no calendar window allows more than the limit", worst <= p.limit, {
      expected: `≤ ${p.limit}`,
      actual: worst,
      evidence: { values: windowEvidence(decisions, p) },
    });
    // Each side of the edge fills its window: as many whole requests as fit in the limit, on both sides.
    const perWindow = Math.floor(p.limit / p.cost) * p.cost;
    const half = Math.floor(p.requestsPerClient / 2) * p.cost;
    if (p.traffic === "boundary" && perWindow > 0 && half >= perWindow) {
      ctx.check(
        "the boundary burst is reproduced: 2 × limit pass within one window length",
        maxAllowed === 2 * perWindow,
        {
          expected: 2 * perWindow,
          actual: maxAllowed,
          detail: "the chapter's pitfall, measured",
          evidence: { values: windowEvidence(decisions, p) },
        },
      );
    }
  },
};

export default rateLimitScenario(fixedWindow);
