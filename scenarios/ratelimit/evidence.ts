/** The rate limits' check evidence: the window that held the most, a user script's violation. */
import { round } from "../../src/stats.js";
import type { Decision } from "./algorithm-run.js";
import type { RateLimitParams } from "./params.js";
import type { Evidence } from "../../src/check-failure.js";

/**
 * A limit check's evidence: per client, the most it was allowed within one window length, and the requests (their
 * number in the run and time, ms) that made it up, for the client with the most.
 */
export function windowEvidence(
  decisions: readonly Decision[],
  p: Pick<RateLimitParams, "limit" | "windowMs">,
): Record<string, number | string> {
  let worst: { client: string; total: number; requests: Decision[] } | undefined;
  for (const client of new Set(decisions.map((d) => d.client))) {
    const allowed = decisions.filter((d) => d.client === client && d.allowed).sort((a, b) => a.at - b.at);
    for (let i = 0, j = 0, total = 0; i < allowed.length; total -= allowed[i]!.cost, i++) {
      while (j < allowed.length && allowed[j]!.at < allowed[i]!.at + p.windowMs) total += allowed[j++]!.cost;
      if (!worst || total > worst.total) worst = { client, total, requests: allowed.slice(i, j) };
    }
  }
  if (!worst) return { limit: p.limit, windowMs: p.windowMs, "allowed in one window": 0 };
  const at0 = worst.requests[0]?.at ?? 0;
  return {
    limit: p.limit,
    windowMs: p.windowMs,
    client: worst.client,
    "allowed in one window": worst.total,
    "those requests (request number, ms after the first)": worst.requests
      .map((d) => `${d.seq} +${round(d.at - at0, 1)}`)
      .join(", "),
  };
}

/**
 * A user script's violation as evidence: where it was seen, how long the sequence was and which request broke the
 * promise; the shortest sequence and the options that replay it, when there are.
 */
export function violationEvidence(
  requests: number,
  broke: number | undefined,
  where: string,
  shortest?: string,
  replay?: string,
): Evidence {
  return {
    values: {
      "seen in": where,
      "requests in the sequence": requests,
      ...(broke !== undefined ? { "the request that broke it": broke + 1 } : {}),
      ...(shortest !== undefined ? { "shortest sequence": shortest } : {}),
      ...(replay !== undefined ? { replay } : {}),
    },
  };
}

/** App instances at once: what was sent and what each was allowed. */
export function concurrentEvidence(run: { sent: number; allowed: number[] }): Evidence {
  return { values: { sent: run.sent, "allowed per instance": run.allowed.join(", ") } };
}
