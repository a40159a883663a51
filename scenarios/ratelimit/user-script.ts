/**
 * `ratelimit --script FILE.lua`: the user's own limiter under the same adversarial traffic as the built-in ones
 * (boundary, burst, steady, many clients, concurrent app instances, the app dying mid-request), judged against the
 * limiter's promise and a reference model; each violation shrunk by fast-check to the shortest request sequence
 * that still shows it; optionally `--fuzz N --seed S` random traffic.
 */
import { isScriptCompileError } from "../../src/redis/classify-error.js";
import { ScriptLoadError } from "../../src/errors.js";
import { scanPrefix } from "../../src/redis/cleanup.js";
import type { RateLimitAlgorithm } from "../../src/patterns/ratelimit/index.js";
import { checkName, kindsFor, referenceFor } from "../../src/patterns/ratelimit/user-check.js";
import { defineScenario, type ScenarioContext, type StepDef } from "../../src/runner/types.js";
import {
  promiseLabel,
  register,
  rootOf,
  sequenceText,
  type UserScriptParams,
  type UserScriptState,
} from "./user-script-params.js";
import { concurrentEvidence, violationEvidence } from "./evidence.js";
import { concurrentPhase, phases, runPhase } from "./user-script-phases.js";
import { fuzzStep, shrinkAll } from "./user-script-shrink.js";

export { sequenceText, userScriptParams, type UserScriptParams } from "./user-script-params.js";

export function userScriptScenario() {
  return defineScenario<UserScriptParams, UserScriptState>({
    id: "ratelimit/script",
    title: (p) => `Your rate limiter ${p.limiter.name}, ${promiseLabel(p.config)}`,
    explain:
      "Your script gets the traffic the built-in limiters get — a burst at a window edge, a burst in one " +
      "millisecond, steady traffic, many clients, app instances on separate connections at once — and is judged " +
      "against what it promises: never over the limit, every key with a TTL, nothing negative, no client with room " +
      "left rejected, keys only under KEYS[1]. fast-check shrinks each violation to the shortest request sequence " +
      "that shows it.",
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
        say:
          `${p.instances} connections, each one app instance, send their share of a burst for the same client at ` +
          "once: exactly what the limit allows must pass, no more, no less.",
        run: (ctx, state) => concurrentPhase(ctx, state),
      });
      steps.push({
        title: "Shrinking: the shortest request sequence for each violation (fast-check)",
        say:
          "Each violation is replayed in fresh keys while fast-check drops requests, moves them earlier and lowers " +
          "costs, keeping any change that still fails.",
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
  return (
    `KEYS[1] = the client's key under the run's prefix; ${argv}; reply 1/0 or {1/0, remaining, …}. ` +
    `Promise: ${promiseLabel(c)}; ${ref}. Clock: ${p.clock}.`
  );
}

async function loadScripts(ctx: ScenarioContext<UserScriptParams>): Promise<void> {
  for (const script of ctx.params.limiter.scripts) {
    let sha: unknown;
    try {
      sha = await ctx.redis.call("SCRIPT", "LOAD", script.lua);
    } catch (err) {
      const message = err instanceof Error ? err.message.split("\n")[0]! : String(err);
      if (isScriptCompileError(err)) {
        throw new ScriptLoadError(`${script.name.replace(/^user:/, "")} does not load: ${message}`);
      }
      throw err;
    }
    ctx.note(`${script.name.replace(/^user:/, "")} loaded as ${String(sha)}: every request below is one EVALSHA of it`);
  }
}

function verdict(ctx: ScenarioContext<UserScriptParams>, state: UserScriptState): void {
  const p = ctx.params;
  for (const kind of kindsFor(p.config)) {
    const ev = state.evidence.get(kind);
    const shrunk = state.shrunk.get(kind);
    const fuzzed = state.fuzz?.failure?.kind === kind ? state.fuzz.failure : undefined;
    const failing = shrunk ?? fuzzed;
    if (!ev && !fuzzed) {
      ctx.check(checkName(kind, p.config), true, {
        expected: "no violation",
        actual: "none",
        evidence: { values: { "requests judged": state.requests, sequences: state.runs } },
      });
      continue;
    }
    const where = ev ? `${ev.phase} traffic` : `fuzz, seed ${p.seed}`;
    ctx.check(checkName(kind, p.config), false, {
      expected: "no violation",
      actual: (failing ?? ev)!.violation.message,
      evidence: violationEvidence(
        (failing ?? ev)!.requests.length,
        (failing ?? ev)!.violation.index,
        where,
        failing && sequenceText(failing.requests, failing.observed),
        fuzzed && `--fuzz ${p.fuzz} --seed ${p.seed}`,
      ),
      detail: failing
        ? `shortest sequence (${failing.requests.length} request${failing.requests.length > 1 ? "s" : ""}, ` +
          `found in the ${where}): ${sequenceText(failing.requests, failing.observed)}`
        : `seen in the ${where}; it does not replay one request at a time`,
    });
  }
  if (state.concurrent) {
    const total = state.concurrent.allowed.reduce((a, b) => a + b, 0);
    ctx.check(
      `${p.instances} app instances at once: exactly what the limit allows passes`,
      total === state.concurrent.expected,
      { expected: state.concurrent.expected, actual: total, evidence: concurrentEvidence(state.concurrent) },
    );
  }
  if (p.fuzz > 0 && state.fuzz) {
    ctx.check(`${p.fuzz} random sequences (seed ${p.seed}): no violation`, !state.fuzz.failure, {
      expected: "no violation",
      actual: state.fuzz.failure ? state.fuzz.failure.violation.message : "none",
      ...(state.fuzz.failure
        ? {
            detail:
              `shortest sequence: ${sequenceText(state.fuzz.failure.requests, state.fuzz.failure.observed)}; ` +
              `replay: --fuzz ${p.fuzz} --seed ${p.seed}`,
          }
        : {}),
      evidence: state.fuzz.failure
        ? violationEvidence(
            state.fuzz.failure.requests.length,
            state.fuzz.failure.violation.index,
            `fuzz, seed ${p.seed}`,
            sequenceText(state.fuzz.failure.requests, state.fuzz.failure.observed),
            `--fuzz ${p.fuzz} --seed ${p.seed}`,
          )
        : { values: { sequences: p.fuzz, seed: p.seed } },
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
