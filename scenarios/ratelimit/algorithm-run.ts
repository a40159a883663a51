import { isRefusedCommand } from "../../src/redis/classify-error.js";
import {
  defineScenario,
  type ScenarioContext,
  type ScenarioDef,
  type StepDef,
  type TableData,
} from "../../src/runner/types.js";
import { SCRIPTS, type CommandLabel } from "../../src/runner/support.js";
import { tag } from "../../src/redis/keys.js";
import {
  alignedStart,
  generateTraffic,
  maxInAnyWindow,
  type ModelRequest,
  type Now,
  type RateLimitAlgorithm,
  type TrafficRequest,
} from "../../src/patterns/ratelimit/index.js";
import { defaultParams, type RateLimitParams, SCENARIO_TTL_PADDING_MS } from "./params.js";
import { round } from "../../src/stats.js";
import { roundTrips } from "../../src/redis/batch.js";
import { ELEMENT_BYTES as B } from "../../src/redis/memory.js";

/** One request's outcome, in the shape every algorithm shares plus a few words of detail. */
export interface Decision {
  seq: number;
  client: string;
  at: number;
  cost: number;
  allowed: boolean;
  /** The algorithm's own numbers after the request, compared with the model's. */
  numbers: Record<string, number | null>;
  detail: string;
}

/** What a scenario needs from an algorithm: which keys, one call, the reference model, and its words. */
export interface Limiter {
  algo: RateLimitAlgorithm;
  title(p: RateLimitParams): string;
  explain: string;
  /** True when the script can read the server's TIME (--clock real); else the app's clock picks time and keys. */
  serverTime: boolean;
  call(
    ctx: ScenarioContext<RateLimitParams>,
    client: string,
    now: Now,
    seq: number,
    ttlPaddingMs: number,
  ): Promise<Decision>;
  model(requests: ModelRequest[], p: RateLimitParams): Omit<Decision, "seq" | "client" | "at" | "cost">[];
  /** Checks specific to the algorithm, once every request has been decided and the keys inspected. */
  checks(ctx: ScenarioContext<RateLimitParams>, outcome: Outcome): Promise<void> | void;
}

export interface Outcome {
  decisions: Decision[];
  state: RateLimitState;
  /** The most allowed (by cost) for one client within any window of the configured length. */
  maxAllowed: number;
}

export interface RateLimitState {
  traffic: TrafficRequest[];
  decisions: Decision[];
  /** Keys each client's requests touched, for the inspection step. */
  keysByClient: Map<string, Set<string>>;
  /** PTTL of every key at inspection time (-2: gone, -1: no TTL). */
  ttls: Map<string, number>;
  /** Commands (and round trips) the requests themselves took, not the inspection. */
  requestCommands: number;
  requestRoundTrips: number;
}

/** The key of one client's limiter state: `<prefix>:ratelimit:{alice}:<kind>[:<window>]`. */
export function limiterKey(
  ctx: ScenarioContext<RateLimitParams>,
  client: string,
  ...parts: (string | number)[]
): string {
  return ctx.keys.key("ratelimit", tag(client), ...parts);
}

function rememberKey(state: RateLimitState, client: string, key: string): void {
  const set = state.keysByClient.get(client) ?? new Set<string>();
  set.add(key);
  state.keysByClient.set(client, set);
}

const fmtTime = (t: number): string => new Date(t).toISOString().slice(11, 23);

function describeWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

export function limitLabel(p: RateLimitParams): string {
  return `${p.limit} per ${describeWindow(p.windowMs)}`;
}

export { roundTrips };

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

function trafficSay(p: RateLimitParams): string {
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

function phaseTitle(phase: string, requests: TrafficRequest[], p: RateLimitParams): string {
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
function trafficFor(ctx: ScenarioContext<RateLimitParams>, p: RateLimitParams): TrafficRequest[] {
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

async function sendRequests(
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
    const decision = await limiter.call(ctx, req.client, now, req.seq, padding);
    for (const key of ctx.keys.createdSince(mark)) rememberKey(state, req.client, key);
    state.decisions.push(decision);
  }
  const sent = ctx.commands().slice(before);
  state.requestCommands += sent.length;
  state.requestRoundTrips += roundTrips(sent);
  const allowed = requests.length === 0 ? 0 : state.decisions.slice(-requests.length).filter((d) => d.allowed).length;
  ctx.note(`${allowed} allowed, ${requests.length - allowed} rejected`);
  ctx.table(decisionTable(state.decisions.slice(-requests.length)));
}

/** One row per request when there are few, else one row per time bucket. */
function decisionTable(decisions: Decision[]): TableData {
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
      let size: number | null = null;
      try {
        // SAMPLES 0: measure every element, not an estimate from a sample (matters for the sliding log's sorted set).
        size = Number(await ctx.redis.call("MEMORY", "USAGE", key, "SAMPLES", "0"));
        bytes += size;
      } catch (err) {
        if (!isRefusedCommand(err)) throw err;
        memoryRefused = true;
      }
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

export { round };

export { fmtTime, describeWindow };
