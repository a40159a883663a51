/**
 * The traffic a rate-limit scenario sends: its phases (a burst at a window edge, steady, many clients), each request
 * through the limiter with its decision recorded, and the decisions as a table.
 */
import type { ScenarioContext, TableData } from "../../src/runner/types.js";
import { alignedStart, generateTraffic, type Now, type TrafficRequest } from "../../src/patterns/ratelimit/index.js";
import { type RateLimitParams, SCENARIO_TTL_PADDING_MS } from "./params.js";
import { roundTrips } from "../../src/redis/batch.js";
import { fmtTime, limitLabel, rememberKey, type Decision, type Limiter, type RateLimitState } from "./limiter.js";

export function trafficSay(p: RateLimitParams): string {
  const who =
    p.clients.length === 1
      ? `one client (${p.clients[0]})`
      : `${p.clients.length} clients (${p.clients.join(", ")}), each limited on its own`;
  const clock =
    p.clock === "scenario"
      ? "Time is simulated: each request carries its scenario time, so the run takes milliseconds and replays exactly."
      : "Time is real: requests are paced on the wall clock.";
  return (
    `${p.requestsPerClient} requests from ${who}, shaped "${p.traffic}", ` +
    `against ${limitLabel(p)}${p.cost > 1 ? ` at cost ${p.cost} each` : ""}. ${clock}`
  );
}

export function phaseTitle(phase: string, requests: TrafficRequest[], p: RateLimitParams): string {
  const first = requests[0]?.at ?? 0;
  const last = requests[requests.length - 1]?.at ?? 0;
  const span = first === last ? `at ${fmtTime(first)}` : `${fmtTime(first)}–${fmtTime(last)}`;
  const edge = fmtTime(Math.ceil(last / p.windowMs) * p.windowMs).replace(/\.000$/, "");
  const what =
    phase === "before the edge"
      ? `just before the window edge at ${edge}`
      : phase === "after the edge"
        ? "just after the edge"
        : phase;
  return (
    `${requests.length} request${requests.length === 1 ? "" : "s"}, ${what} ` +
    `(${span}${p.clock === "scenario" ? " scenario time" : ""})`
  );
}

/** In scenario time the traffic starts at the chapter's minute; in real time at the next window edge from now. */
export function trafficFor(ctx: ScenarioContext<RateLimitParams>, p: RateLimitParams): TrafficRequest[] {
  const now = ctx.clock.now();
  // Leave room for the requests due just before the first edge (δ ≤ 500 ms) so none is already late.
  const lead = Math.min(500, p.windowMs / 20) + 50;
  const start =
    ctx.clock.mode === "scenario" ? alignedStart(p.windowMs) : Math.ceil((now + lead) / p.windowMs) * p.windowMs;
  // In real time, boundary traffic only needs to start shortly before the first edge, not a whole window early.
  return generateTraffic({
    shape: p.traffic,
    requestsPerClient: p.requestsPerClient,
    clients: p.clients,
    windowMs: p.windowMs,
    start: start - (p.traffic === "boundary" && ctx.clock.mode === "real" ? p.windowMs : 0),
  });
}

export async function sendRequests(
  ctx: ScenarioContext<RateLimitParams>,
  state: RateLimitState,
  limiter: Limiter,
  requests: TrafficRequest[],
): Promise<void> {
  const padding = ctx.clock.mode === "scenario" ? SCENARIO_TTL_PADDING_MS : 0;
  const before = ctx.commands().length;
  for (const req of requests) {
    await ctx.clock.waitUntil(req.at, ctx.signal);
    const now: Now =
      ctx.clock.mode === "real" && limiter.serverTime ? "server" : ctx.clock.mode === "real" ? Date.now() : req.at;
    const mark = ctx.keys.mark();
    const reply = await limiter.call(ctx, req.client, now, req.seq, padding);
    for (const key of ctx.keys.createdSince(mark)) rememberKey(state, req.client, key);
    const { at, allowed, numbers, detail } = reply;
    state.decisions.push({ seq: req.seq, client: req.client, at, cost: ctx.params.cost, allowed, numbers, detail });
  }
  const sent = ctx.commands().slice(before);
  state.requestCommands += sent.length;
  state.requestRoundTrips += roundTrips(sent);
  const allowed = requests.length === 0 ? 0 : state.decisions.slice(-requests.length).filter((d) => d.allowed).length;
  ctx.note(`${allowed} allowed, ${requests.length - allowed} rejected`);
  ctx.table(decisionTable(state.decisions.slice(-requests.length)));
}

/** One row per request when there are few, else one row per time bucket. */
export function decisionTable(decisions: Decision[]): TableData {
  if (decisions.length <= 40) {
    return {
      columns: ["#", "time", "client", "decision", "detail"],
      rows: decisions.map((d) => [d.seq, fmtTime(d.at), d.client, d.allowed ? "✓ allowed" : "✗ rejected", d.detail]),
    };
  }
  const first = decisions[0]!.at;
  const last = decisions[decisions.length - 1]!.at;
  const buckets = 10;
  const size = Math.max(1, Math.ceil((last - first + 1) / buckets));
  const rows = new Map<number, { allowed: number; rejected: number }>();
  for (const d of decisions) {
    const b = Math.floor((d.at - first) / size);
    const row = rows.get(b) ?? { allowed: 0, rejected: 0 };
    if (d.allowed) row.allowed += 1;
    else row.rejected += 1;
    rows.set(b, row);
  }
  return {
    columns: ["from", "to", "requests", "allowed", "rejected"],
    rows: [...rows.entries()].map(([b, r]) => [
      fmtTime(first + b * size),
      fmtTime(first + (b + 1) * size - 1),
      r.allowed + r.rejected,
      r.allowed,
      r.rejected,
    ]),
  };
}
