/**
 * `ratelimit --script FILE.lua`: the user's own limiter under the same adversarial traffic as the built-in ones
 * (boundary, burst, steady, many clients, concurrent app instances, the app dying mid-request), judged against the
 * limiter's promise and a reference model; each violation shrunk by fast-check to the shortest request sequence
 * that still shows it; optionally `--fuzz N --seed S` random traffic.
 */
import { InterruptedError, ScriptLoadError } from "../../src/errors.js";
import { scanPrefix } from "../../src/redis/cleanup.js";
import { tag } from "../../src/redis/keys.js";
import { alignedStart, generateTraffic, type RateLimitAlgorithm } from "../../src/patterns/ratelimit/index.js";
import {
  checkName,
  findViolations,
  kindsFor,
  referenceFor,
  type CheckConfig,
  type Observation,
  type SeqRequest,
  type Violation,
  type ViolationKind,
} from "../../src/patterns/ratelimit/user-check.js";
import {
  fuzz,
  shrinkViolation,
  type FuzzResult,
  type SequenceRunner,
  type Shrunk,
  type SpaceOptions,
} from "../../src/patterns/ratelimit/user-fuzz.js";
import { inspectNamespace, observe } from "../../src/patterns/ratelimit/user-run.js";
import type { UserLimiter } from "../../src/patterns/ratelimit/user-script.js";
import type { ClockMode } from "../../src/runner/clock.js";
import { defineScenario, type ScenarioContext, type StepDef, type TableData } from "../../src/runner/types.js";
import { fmtTime, limitLabel } from "./algorithm-run.js";

export interface UserScriptParams {
  /** The limiter (not serialised into the report: the scripts' source is in `scripts`). */
  limiter: UserLimiter;
  config: CheckConfig;
  /** Requests per client in each traffic phase. */
  requestsPerClient: number;
  /** Clients of the "many clients" phase (alice, bob, …). */
  clients: string[];
  /** App instances, each on its own connection, in the concurrent phase. */
  instances: number;
  cost: number;
  clock: ClockMode;
  /** Random sequences to try after the phases (0: none), from `seed`. */
  fuzz: number;
  seed: number;
  /** Longest fast-check may spend shrinking one violation (and on the whole fuzz run), ms. */
  shrinkTimeMs: number;
  fuzzTimeMs: number;
}

interface Evidence {
  phase: string;
  violation: Violation;
  requests: SeqRequest[];
  /** Sequential phases can be replayed; a race between app instances may not be. */
  replayable: boolean;
}

interface UserScriptState {
  runs: number;
  requests: number;
  evidence: Map<ViolationKind, Evidence>;
  shrunk: Map<ViolationKind, Shrunk>;
  fuzz?: FuzzResult;
  concurrent?: { expected: number; allowed: number[]; sent: number };
}

/** Params as the report shows them: everything but the limiter object, which is named instead. */
export function userScriptParams(p: Omit<UserScriptParams, never>): UserScriptParams {
  Object.defineProperty(p, "toJSON", {
    enumerable: false,
    value: () => {
      const { limiter, ...rest } = p;
      return { limiter: limiter.name, ...rest };
    },
  });
  return p;
}

function promiseLabel(c: CheckConfig): string {
  if (c.contract === "bucket") return `a bucket of ${c.capacity}, refilled at ${c.refillPerSec}/s`;
  return `${limitLabel({ limit: c.limit, windowMs: c.windowMs } as never)} (${c.semantics})`;
}

const decisionMark = (o: Observation | undefined): string =>
  !o ? "" : o.crashed ? "† app died" : o.error ? "! error" : o.allowed ? "✓ allowed" : "✗ rejected";

/** The shortest sequence, one line: `alice 10:30:59.500 ✓ · alice 10:31:00.000 ✗ …`. */
export function sequenceText(requests: readonly SeqRequest[], observed: readonly Observation[]): string {
  return requests
    .map((r, i) => {
      const o = observed[i];
      const mark = !o ? "" : o.crashed ? " †" : o.error ? " !" : o.allowed ? " ✓" : " ✗";
      const crash = r.crashAfter ? ` (dies after ${r.crashAfter} command${r.crashAfter > 1 ? "s" : ""})` : "";
      return `${r.client} ${fmtTime(o?.at ?? r.at)}${r.cost !== 1 ? ` cost ${r.cost}` : ""}${crash}${mark}`;
    })
    .join(" · ");
}

function sequenceTable(title: string, s: Shrunk): TableData {
  return {
    title,
    columns: ["#", "client", "time", "cost", "decision", ""],
    rows: s.requests.map((r, i) => [
      i + 1,
      r.client,
      fmtTime(s.observed[i]?.at ?? r.at),
      r.cost,
      decisionMark(s.observed[i]) + (r.crashAfter ? ` after ${r.crashAfter}` : ""),
      s.violation.index === i ? "← here" : "",
    ]),
  };
}

export function userScriptScenario() {
  return defineScenario<UserScriptParams, UserScriptState>({
    id: "ratelimit/script",
    title: (p) => `Your rate limiter ${p.limiter.name}, ${promiseLabel(p.config)}`,
    explain:
      "Your script gets the traffic the built-in limiters get — a burst at a window edge, a burst in one millisecond, " +
      "steady traffic, many clients, app instances on separate connections at once — and is judged against what it " +
      "promises: never over the limit, every key with a TTL, nothing negative, no client with room left rejected, " +
      "keys only under KEYS[1]. fast-check shrinks each violation to the shortest request sequence that shows it.",
    chapter: "4.2 Rate limiting",
    defaults: undefined as unknown as UserScriptParams,
    init: () => ({ runs: 0, requests: 0, evidence: new Map(), shrunk: new Map() }),
    steps: (p) => {
      const steps: StepDef<UserScriptParams, UserScriptState>[] = [];
      steps.push({
        title:
          p.limiter.scripts.length > 0
            ? `Load ${p.limiter.scripts.map((s) => s.name.replace(/^user:/, "")).join(", ")} (SCRIPT LOAD)`
            : `${p.limiter.name}: the adapter sends its own commands`,
        say: contractSay(p),
        run: (ctx) => loadScripts(ctx),
      });
      for (const phase of phases(p)) {
        steps.push({ title: phase.title, run: (ctx, state) => runPhase(ctx, state, phase) });
      }
      steps.push({
        title: "Concurrent: app instances on separate connections send one burst at the same instant",
        say: `${p.instances} connections, each one app instance, send their share of a burst for the same client at once: exactly what the limit allows must pass, no more, no less.`,
        run: (ctx, state) => concurrentPhase(ctx, state),
      });
      steps.push({
        title: "Shrinking: the shortest request sequence for each violation (fast-check)",
        say: "Each violation is replayed in fresh keys while fast-check drops requests, moves them earlier and lowers costs, keeping any change that still fails.",
        run: (ctx, state) => shrinkAll(ctx, state),
      });
      if (p.fuzz > 0) {
        steps.push({
          title: `Fuzz: ${p.fuzz} random traffic shapes, clients, costs and clocks (seed ${p.seed})`,
          say: `The same seed replays the same sequences: --fuzz ${p.fuzz} --seed ${p.seed}.`,
          run: (ctx, state) => fuzzStep(ctx, state),
        });
      }
      steps.push({
        title: "Verdict: your limiter against its promise",
        run: async (ctx, state) => verdict(ctx, state),
      });
      return steps;
    },
    // What the script wrote under the run's namespace, found with SCAN, so the run's cleanup deletes it too.
    async teardown(ctx) {
      const root = rootOf(ctx);
      for (const key of await scanPrefix(ctx.redis, root)) register(ctx, key);
    },
  });
}

function contractSay(p: UserScriptParams): string {
  const c = p.config;
  const argv =
    c.contract === "bucket"
      ? `ARGV = capacity ${c.capacity}, refill/s ${c.refillPerSec}, now ms, cost`
      : `ARGV = limit ${c.limit}, window ms ${c.windowMs}, now ms, request id`;
  const ref = c.model
    ? `decisions must match the ${c.model} model exactly`
    : `liveness judged against ${referenceFor(c)}`;
  return `KEYS[1] = the client's key under the run's prefix; ${argv}; reply 1/0 or {1/0, remaining, …}. Promise: ${promiseLabel(c)}; ${ref}. Clock: ${p.clock}.`;
}

function rootOf(ctx: ScenarioContext<UserScriptParams>): string {
  return `${ctx.keys.prefix}:ratelimit:script`;
}

function register(ctx: ScenarioContext<UserScriptParams>, key: string): void {
  if (key.startsWith(`${ctx.keys.prefix}:`)) ctx.keys.key(key.slice(ctx.keys.prefix.length + 1));
}

async function loadScripts(ctx: ScenarioContext<UserScriptParams>): Promise<void> {
  for (const script of ctx.params.limiter.scripts) {
    let sha: unknown;
    try {
      sha = await ctx.redis.call("SCRIPT", "LOAD", script.lua);
    } catch (err) {
      const message = err instanceof Error ? err.message.split("\n")[0]! : String(err);
      if (/^(ERR|NOSCRIPT)/.test(message) && /compil|syntax|expected|near|unexpected/i.test(message)) {
        throw new ScriptLoadError(`${script.name.replace(/^user:/, "")} does not load: ${message}`);
      }
      throw err;
    }
    ctx.note(`${script.name.replace(/^user:/, "")} loaded as ${String(sha)}: every request below is one EVALSHA of it`);
  }
}

interface Phase {
  title: string;
  name: string;
  requests: (start: number) => SeqRequest[];
}

function phases(p: UserScriptParams): Phase[] {
  const w = p.config.windowMs;
  const n = p.requestsPerClient;
  const shaped = (shape: "boundary" | "burst" | "steady", clients: string[]) => (start: number) =>
    generateTraffic({ shape, requestsPerClient: n, clients, windowMs: w, start }).map((r) => ({
      client: r.client,
      at: r.at,
      cost: p.cost,
    }));
  const one = [p.clients[0] ?? "alice"];
  const list: Phase[] = [
    {
      name: "boundary",
      title: `${n} requests, half just before a window edge, half just after`,
      requests: shaped("boundary", one),
    },
    { name: "burst", title: `${n} requests in one millisecond`, requests: shaped("burst", one) },
    { name: "steady", title: `${n} requests evenly over two windows`, requests: shaped("steady", one) },
    {
      name: "many clients",
      title: `${p.clients.length} clients, ${n} requests each, interleaved (each limited on its own)`,
      requests: shaped("steady", p.clients),
    },
  ];
  if (p.limiter.multiCommand) {
    list.push({
      name: "crash",
      title: "The app dies between two commands of a request, then carries on",
      requests: (start) =>
        [1, 2, 3].flatMap((k) => [
          { client: one[0]!, at: start + k * 10, cost: p.cost, crashAfter: k },
          { client: one[0]!, at: start + k * 10 + 1, cost: p.cost },
        ]),
    });
  }
  return list;
}

function runnerFor(ctx: ScenarioContext<UserScriptParams>, state: UserScriptState, paced: boolean): SequenceRunner {
  const p = ctx.params;
  const runTag = ctx.keys.prefix.split(":").pop() ?? "run";
  return async (requests, inspect) => {
    const r = ++state.runs;
    const ns = `r${r}`;
    const keyOf = (client: string) => `${rootOf(ctx)}:${ns}:${tag(client)}`;
    const observed: Observation[] = [];
    for (const [i, req] of requests.entries()) {
      if (ctx.signal.aborted) throw new InterruptedError();
      let now = req.at;
      if (paced) {
        await ctx.clock.waitUntil(req.at, ctx.signal);
        now = Date.now();
      }
      const key = ctx.keys.key("ratelimit", "script", ns, tag(req.client));
      observed.push(await observe(p.limiter, ctx.redis, p.config, req, key, now, `${runTag}-${r}-${i + 1}`));
    }
    state.requests += requests.length;
    const keys = inspect ? await inspectNamespace(ctx.redis, `${rootOf(ctx)}:${ns}`) : undefined;
    for (const k of keys ?? []) register(ctx, k.key);
    return { observed, violations: findViolations(p.config, requests, observed, keys, keyOf) };
  };
}

/**
 * Where a phase's traffic starts: the chapter's minute in scenario time; in real time the next window edge, or for
 * boundary traffic (which starts a window before the edge it straddles) one window earlier.
 */
function phaseStart(ctx: ScenarioContext<UserScriptParams>, boundary: boolean): number {
  const w = ctx.params.config.windowMs;
  if (ctx.clock.mode === "scenario") return alignedStart(w);
  const next = Math.ceil((Date.now() + Math.min(500, w / 20) + 50) / w) * w;
  return boundary ? next - w : next;
}

function remember(
  state: UserScriptState,
  phase: string,
  violations: Violation[],
  requests: SeqRequest[],
  replayable: boolean,
) {
  for (const v of violations) {
    if (!state.evidence.has(v.kind)) state.evidence.set(v.kind, { phase, violation: v, requests, replayable });
  }
}

async function runPhase(ctx: ScenarioContext<UserScriptParams>, state: UserScriptState, phase: Phase): Promise<void> {
  const paced = ctx.clock.mode === "real";
  const planned = phase.requests(phaseStart(ctx, phase.name === "boundary"));
  const { observed, violations } = await runnerFor(ctx, state, paced)(planned, true);
  // What was actually sent (in real time, the wall clock), so a replay sends the very same times.
  const requests = planned.map((r, i) => ({ ...r, at: observed[i]!.at }));
  remember(state, phase.name, violations, requests, true);
  const allowed = observed.filter((o) => o.allowed === true).length;
  const died = observed.filter((o) => o.crashed).length;
  ctx.note(
    `${allowed} allowed, ${observed.length - allowed - died} rejected${died ? `, ${died} died half-way` : ""}` +
      (violations.length === 0
        ? "; no violation"
        : `; ${violations.length} violation${violations.length > 1 ? "s" : ""}`),
  );
  for (const v of dedupe(violations)) ctx.note(`✗ ${checkName(v.kind, ctx.params.config)}: ${v.message}`);
}

function dedupe(violations: Violation[]): Violation[] {
  const seen = new Set<ViolationKind>();
  return violations.filter((v) => !seen.has(v.kind) && seen.add(v.kind));
}

async function concurrentPhase(ctx: ScenarioContext<UserScriptParams>, state: UserScriptState): Promise<void> {
  const p = ctx.params;
  const c = p.config;
  const client = p.clients[0] ?? "alice";
  const sent = Math.max(p.requestsPerClient, 2 * (c.contract === "bucket" ? c.capacity : c.limit));
  const room = c.contract === "bucket" ? Math.floor(c.capacity / p.cost) : Math.floor(c.limit / p.cost);
  const expected = Math.min(sent, room);
  const apps = [];
  for (let i = 0; i < p.instances; i++) apps.push(await ctx.connect(`app-${i + 1}`));
  // One instant for the whole burst; in real time, one well inside a window.
  let now = alignedStart(c.windowMs) + Math.floor(c.windowMs / 2);
  if (ctx.clock.mode === "real") {
    const w = c.windowMs;
    const into = Date.now() % w;
    if (into > w * 0.8) await ctx.clock.waitUntil(Date.now() - into + w + 1, ctx.signal);
    now = Date.now();
  }
  const r = ++state.runs;
  const ns = `r${r}`;
  const key = ctx.keys.key("ratelimit", "script", ns, tag(client));
  const runTag = ctx.keys.prefix.split(":").pop() ?? "run";
  const requests: SeqRequest[] = Array.from({ length: sent }, () => ({ client, at: now, cost: p.cost }));
  const observed: Observation[] = new Array(sent);
  await Promise.all(
    apps.map(async (redis, a) => {
      for (let i = a; i < sent; i += apps.length) {
        if (ctx.signal.aborted) throw new InterruptedError();
        observed[i] = await observe(p.limiter, redis, c, requests[i]!, key, now, `${runTag}-${r}-${i + 1}`);
      }
    }),
  );
  state.requests += sent;
  const keys = await inspectNamespace(ctx.redis, `${rootOf(ctx)}:${ns}`);
  for (const k of keys) register(ctx, k.key);
  const keyOf = (cl: string) => `${rootOf(ctx)}:${ns}:${tag(cl)}`;
  // Replies from different connections arrive in no particular order, so liveness is judged by the count below.
  const violations = findViolations(c, requests, observed, keys, keyOf).filter(
    (v) => v.kind !== "liveness" && v.kind !== "model",
  );
  const allowed = observed.filter((o) => o.allowed === true).length;
  if (allowed < expected) {
    violations.push({
      kind: c.model ? "model" : "liveness",
      client,
      message: `only ${allowed} of ${sent} concurrent requests allowed, with room for ${expected}`,
    });
  }
  remember(state, "concurrent", violations, requests, false);
  const perApp = apps.map((_, a) => observed.filter((o, i) => i % apps.length === a && o.allowed === true).length);
  state.concurrent = { expected, allowed: perApp, sent };
  ctx.table({
    columns: ["app instance", "requests", "allowed"],
    rows: apps.map((_, a) => [`app-${a + 1}`, Math.ceil((sent - a) / apps.length), perApp[a]!]),
  });
  ctx.note(`${allowed} of ${sent} allowed in total; the limit leaves room for exactly ${expected}`);
  for (const v of dedupe(violations)) ctx.note(`✗ ${checkName(v.kind, c)}: ${v.message}`);
}

function space(p: UserScriptParams): SpaceOptions & {
  base: number;
  timeLimitMs: number;
  shrinkTimeLimitMs: number;
  seed: number;
} {
  const c = p.config;
  return {
    clients: p.clients,
    windowMs: c.windowMs,
    maxCost: c.contract === "bucket" ? Math.max(1, Math.ceil(c.capacity)) : 1,
    maxLength: Math.max(8, 3 * (c.contract === "bucket" ? Math.ceil(c.capacity) : c.limit)),
    crash: p.limiter.multiCommand,
    skew: true,
    base: alignedStart(c.windowMs),
    seed: p.seed,
    timeLimitMs: p.shrinkTimeMs,
    shrinkTimeLimitMs: p.shrinkTimeMs,
  };
}

async function shrinkAll(ctx: ScenarioContext<UserScriptParams>, state: UserScriptState): Promise<void> {
  const p = ctx.params;
  if (state.evidence.size === 0) {
    ctx.note("nothing to shrink: no phase showed a violation");
    return;
  }
  const run = runnerFor(ctx, state, false);
  for (const [kind, ev] of state.evidence) {
    // Shrink in scenario time: the sequence's own times are sent as `now`, so the replay is exact.
    const shrunk = await shrinkViolation(kind, ev.requests, run, space(p));
    if (shrunk) {
      state.shrunk.set(kind, shrunk);
      ctx.table(
        sequenceTable(
          `${checkName(kind, p.config)}: ${shrunk.requests.length} request${shrunk.requests.length > 1 ? "s" : ""} (from ${ev.requests.length}, ${shrunk.shrinks} candidates tried${shrunk.interrupted ? ", stopped at the time limit" : ""})`,
          shrunk,
        ),
      );
      ctx.note(`✗ ${shrunk.violation.message}`);
    } else {
      ctx.note(
        `${checkName(kind, p.config)}: the ${ev.phase} phase's violation does not replay one request at a time${ev.replayable ? "" : " (a race between app instances)"}: ${ev.violation.message}`,
      );
    }
  }
}

async function fuzzStep(ctx: ScenarioContext<UserScriptParams>, state: UserScriptState): Promise<void> {
  const p = ctx.params;
  const before = state.requests;
  const result = await fuzz(p.fuzz, runnerFor(ctx, state, false), { ...space(p), timeLimitMs: p.fuzzTimeMs });
  state.fuzz = result;
  ctx.note(`${result.runs} random sequences, ${state.requests - before} requests`);
  if (result.failure) {
    const f = result.failure;
    ctx.table(
      sequenceTable(
        `${checkName(f.kind, p.config)}: the shortest failing sequence (${f.requests.length} request${f.requests.length > 1 ? "s" : ""}, from ${result.failingLength}, ${f.shrinks} candidates tried${f.interrupted ? ", stopped at the time limit" : ""})`,
        f,
      ),
    );
    ctx.note(`✗ ${f.violation.message}; replay with --fuzz ${p.fuzz} --seed ${p.seed}`);
  } else ctx.note("no violation");
}

function verdict(ctx: ScenarioContext<UserScriptParams>, state: UserScriptState): void {
  const p = ctx.params;
  for (const kind of kindsFor(p.config)) {
    const ev = state.evidence.get(kind);
    const shrunk = state.shrunk.get(kind);
    const fuzzed = state.fuzz?.failure?.kind === kind ? state.fuzz.failure : undefined;
    const failing = shrunk ?? fuzzed;
    if (!ev && !fuzzed) {
      ctx.check(checkName(kind, p.config), true);
      continue;
    }
    const where = ev ? `${ev.phase} traffic` : `fuzz, seed ${p.seed}`;
    ctx.check(checkName(kind, p.config), false, {
      expected: "no violation",
      actual: (failing ?? ev)!.violation.message,
      detail: failing
        ? `shortest sequence (${failing.requests.length} request${failing.requests.length > 1 ? "s" : ""}, found in the ${where}): ${sequenceText(failing.requests, failing.observed)}`
        : `seen in the ${where}; it does not replay one request at a time`,
    });
  }
  if (state.concurrent) {
    const total = state.concurrent.allowed.reduce((a, b) => a + b, 0);
    ctx.check(
      `${p.instances} app instances at once: exactly what the limit allows passes`,
      total === state.concurrent.expected,
      { expected: state.concurrent.expected, actual: total },
    );
  }
  if (p.fuzz > 0 && state.fuzz) {
    ctx.check(`${p.fuzz} random sequences (seed ${p.seed}): no violation`, !state.fuzz.failure, {
      expected: "no violation",
      actual: state.fuzz.failure ? state.fuzz.failure.violation.message : "none",
      ...(state.fuzz.failure
        ? {
            detail: `shortest sequence: ${sequenceText(state.fuzz.failure.requests, state.fuzz.failure.observed)}; replay: --fuzz ${p.fuzz} --seed ${p.seed}`,
          }
        : {}),
    });
  }
  ctx.metric("requests", state.requests);
  ctx.metric("sequences", state.runs);
  ctx.metric(
    "violations",
    state.evidence.size + (state.fuzz?.failure && !state.evidence.has(state.fuzz.failure.kind) ? 1 : 0),
  );
  ctx.metric("seed", p.seed);
}

export type { RateLimitAlgorithm };
