/**
 * One rate-limit scenario per built-in algorithm: the traffic phases as steps, what Redis holds afterwards, and the
 * verdict against the limit.
 */
import {
  defineScenario,
  type ScenarioContext,
  type ScenarioDef,
  type StepDef,
  type TableData,
} from "../../src/runner/types.js";
import { SCRIPTS, type CommandLabel } from "../../src/runner/support.js";
import { generateTraffic, maxInAnyWindow, type RateLimitAlgorithm } from "../../src/patterns/ratelimit/index.js";
import { defaultParams, type RateLimitParams, SCENARIO_TTL_PADDING_MS } from "./params.js";
import { round } from "../../src/stats.js";
import { ELEMENT_BYTES as B, memoryUsage } from "../../src/redis/memory.js";
import { phaseTitle, sendRequests, trafficFor, trafficSay } from "./algorithm-traffic.js";
import { describeWindow, limitLabel, type Limiter, type RateLimitState } from "./limiter.js";
import { commandsWhere } from "../../src/runner/evidence.js";

export { roundTrips } from "../../src/redis/batch.js";
export { round } from "../../src/stats.js";
export {
  describeWindow,
  fmtTime,
  limiterKey,
  limitLabel,
  windowOptions,
  type Decision,
  type Limiter,
  type LimiterReply,
  type ModelDecision,
  type Outcome,
  type RateLimitState,
} from "./limiter.js";

/** What each algorithm's script calls: the ACL checks these too, inside the script. */
const SCRIPT_CALLS: Record<RateLimitAlgorithm, readonly CommandLabel[]> = {
  "fixed-window": ["INCRBY", "PEXPIRE"],
  "sliding-log": ["ZADD", "ZREMRANGEBYSCORE", "ZCARD", "ZRANGE", "PEXPIRE"],
  "sliding-counter": ["GET", "INCRBY", "PEXPIRE"],
  "token-bucket": ["HMGET", "HSET", "DEL", "PEXPIRE"],
};

/**
 * Build the scenario for one algorithm: the traffic phases as steps, an inspection of what Redis holds, the verdict.
 */
export function rateLimitScenario(limiter: Limiter): ScenarioDef<RateLimitParams, RateLimitState> {
  return defineScenario<RateLimitParams, RateLimitState>({
    id: `ratelimit/${limiter.algo}`,
    title: (p) => limiter.title(p),
    explain: limiter.explain,
    chapter: "4.2 Rate limiting",
    defaults: defaultParams,
    // At most a key or a log entry per request, and a few keys per client.
    footprint: (p) => p.requestsPerClient * p.clients.length * B.key + p.clients.length * 8 * B.key,
    needs: (p) => [
      ...SCRIPTS,
      "PTTL",
      ...SCRIPT_CALLS[limiter.algo],
      ...(p.clock === "real" ? (["TIME (in a script)"] as const) : []),
    ],
    init: () => ({
      traffic: [],
      decisions: [],
      keysByClient: new Map(),
      ttls: new Map(),
      requestCommands: 0,
      requestRoundTrips: 0,
    }),
    steps: (p) => {
      // Phases are known from the parameters alone, so the steps (and the tour's menu) exist before anything runs.
      const preview = generateTraffic({
        shape: p.traffic,
        requestsPerClient: p.requestsPerClient,
        clients: p.clients,
        windowMs: p.windowMs,
      });
      const phases = [...new Set(preview.map((r) => r.phase))];
      const steps: StepDef<RateLimitParams, RateLimitState>[] = phases.map((phase, i) => ({
        title: phaseTitle(
          phase,
          preview.filter((r) => r.phase === phase),
          p,
        ),
        say: i === 0 ? trafficSay(p) : undefined,
        run: async (ctx, state) => {
          if (i === 0) state.traffic = trafficFor(ctx, p);
          await sendRequests(
            ctx,
            state,
            limiter,
            state.traffic.filter((r) => r.phase === phase),
          );
        },
      }));
      steps.push({
        title: "What Redis holds now: every key, its TTL and its memory",
        say: "PTTL proves nothing was left without an expiry; MEMORY USAGE measures what one identifier costs.",
        run: (ctx, state) => inspectKeys(ctx, state),
      });
      steps.push({
        title: "Verdict: decisions, the reference model, the busiest window",
        say: "The same traffic is fed to a pure model of the algorithm; Redis must decide exactly as the model does.",
        run: (ctx, state) => verdict(ctx, state, limiter),
      });
      return steps;
    },
  });
}

async function inspectKeys(ctx: ScenarioContext<RateLimitParams>, state: RateLimitState): Promise<void> {
  const rows: TableData["rows"] = [];
  const bytesPerClient: number[] = [];
  let withoutTtl = 0;
  let memoryRefused = false;
  for (const [client, keys] of state.keysByClient) {
    let bytes = 0;
    for (const key of keys) {
      const pttl = Number(await ctx.redis.call("PTTL", key));
      state.ttls.set(key, pttl);
      if (pttl === -2) {
        rows.push([client, key, "(gone)", null]);
        continue;
      }
      if (pttl === -1) withoutTtl += 1;
      // Every element measured, not an estimate from a sample (matters for the sliding log's sorted set).
      const size = await memoryUsage(ctx.redis, key);
      if (size === null) memoryRefused = true;
      else bytes += size;
      rows.push([client, key, pttl === -1 ? "no TTL!" : `${pttl} ms`, size]);
    }
    bytesPerClient.push(bytes);
  }
  ctx.table({ columns: ["client", "key", "TTL", "bytes"], rows });
  if (memoryRefused)
    ctx.note("MEMORY USAGE was refused by this server (ACL or managed service): bytes per identifier unknown");
  if (ctx.clock.mode === "scenario") {
    ctx.note(
      `Scenario time: each TTL carries ${SCENARIO_TTL_PADDING_MS / 1000} s of real time on top, so Redis never ` +
        `expires a key before the simulated clock would`,
    );
  }
  const avg =
    bytesPerClient.length === 0 || memoryRefused
      ? null
      : Math.round(bytesPerClient.reduce((a, b) => a + b, 0) / bytesPerClient.length);
  ctx.metric("bytesPerIdentifier", avg);
  // Over at least one key: a check that passes over nothing proves nothing.
  ctx.check("every key the algorithm wrote has a TTL", rows.length > 0 && withoutTtl === 0, {
    expected: "at least one key, 0 without TTL",
    actual: `${rows.length} keys, ${withoutTtl} without TTL`,
    evidence: () => ({
      commands: commandsWhere(ctx.commands(), (c) => c.argv[0] === "PTTL" && state.ttls.get(c.argv[1] ?? "") === -1),
      values: { keys: rows.length, "without TTL": withoutTtl },
    }),
  });
}

async function verdict(ctx: ScenarioContext<RateLimitParams>, state: RateLimitState, limiter: Limiter): Promise<void> {
  const p = ctx.params;
  const decisions = state.decisions;
  const allowed = decisions.filter((d) => d.allowed);
  // The model gets the times the algorithm actually used (with --clock real, the server's TIME).
  const model = limiter.model(
    decisions.map((d) => ({ id: d.client, now: d.at, cost: d.cost })),
    p,
  );
  const mismatches = decisions.filter((d, i) => {
    const m = model[i]!;
    return m.allowed !== d.allowed || Object.entries(m.numbers).some(([k, v]) => d.numbers[k] !== v);
  });
  const firstMismatch = mismatches[0];
  if (decisions.length > 0) {
    // The decisions on a time axis with the window edges marked: the boundary burst is two full columns of
    // "allowed" on either side of one edge.
    const from = Math.min(...decisions.map((d) => d.at));
    const to = Math.max(from + 1, ...decisions.map((d) => d.at));
    const marks: { at: number; label: string }[] = [];
    for (let edge = Math.ceil(from / p.windowMs) * p.windowMs; edge <= to; edge += p.windowMs)
      marks.push({ at: edge, label: `window edge ${new Date(edge).toISOString().slice(11, 19)}` });
    ctx.plot({
      kind: "timeline",
      title:
        `Every decision on a ` +
        `timeline, ${limitLabel(p)}${p.clients.length > 1 ? ` (${p.clients.length} clients together)` : ""}`,
      from,
      to,
      marks: marks.slice(0, 20),
      events: decisions.map((d) => ({ at: d.at, ok: d.allowed })),
      okLabel: "allowed",
      notOkLabel: "rejected",
    });
  }
  ctx.check("decisions equal the reference model fed the same trace", mismatches.length === 0, {
    expected: 0,
    actual: mismatches.length,
    detail: firstMismatch
      ? `first difference at request #${firstMismatch.seq}: ` +
        `redis ${JSON.stringify({ allowed: firstMismatch.allowed, ...firstMismatch.numbers })}, ` +
        `model ${JSON.stringify({
          allowed: model[decisions.indexOf(firstMismatch)]!.allowed,
          ...model[decisions.indexOf(firstMismatch)]!.numbers,
        })}`
      : undefined,
    evidence: {
      values: firstMismatch
        ? {
            client: firstMismatch.client,
            "request number": firstMismatch.seq,
            "redis allowed": firstMismatch.allowed,
            "model allowed": model[decisions.indexOf(firstMismatch)]!.allowed,
            "requests judged": decisions.length,
          }
        : { "requests judged": decisions.length },
    },
  });

  const maxAllowed = Math.max(
    0,
    ...p.clients.map((c) =>
      maxInAnyWindow(
        allowed.filter((d) => d.client === c).map((d) => ({ at: d.at, cost: d.cost })),
        p.windowMs,
      ),
    ),
  );
  const commands = ctx.commands().length;
  ctx.metric("requests", decisions.length);
  ctx.metric("allowed", allowed.length);
  ctx.metric("rejected", decisions.length - allowed.length);
  ctx.metric("limit", p.limit);
  ctx.metric("windowMs", p.windowMs);
  ctx.metric("maxAllowedInWindow", maxAllowed);
  ctx.metric("commandsPerRequest", round(state.requestCommands / Math.max(1, decisions.length)));
  ctx.metric("roundTripsPerRequest", round(state.requestRoundTrips / Math.max(1, decisions.length)));
  ctx.metric("commandsTotal", commands);
  ctx.note(
    `the busiest ${describeWindow(p.windowMs)} (any start, not just window edges) allowed ${maxAllowed} ` +
      `against a limit of ${p.limit}`,
  );
  await limiter.checks(ctx, { decisions, state, maxAllowed });
}
