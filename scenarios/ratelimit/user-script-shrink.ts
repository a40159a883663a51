/**
 * After the phases of `ratelimit --script`: each violation shrunk by fast-check to the shortest request sequence
 * that still shows it, and the optional seeded fuzz run.
 */
import { alignedStart } from "../../src/patterns/ratelimit/index.js";
import { checkName } from "../../src/patterns/ratelimit/user-check.js";
import { fuzz, shrinkViolation, type SpaceOptions } from "../../src/patterns/ratelimit/user-fuzz.js";
import type { ScenarioContext } from "../../src/runner/types.js";
import { sequenceTable, type UserScriptParams, type UserScriptState } from "./user-script-params.js";
import { runnerFor } from "./user-script-phases.js";

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

export async function shrinkAll(ctx: ScenarioContext<UserScriptParams>, state: UserScriptState): Promise<void> {
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
          `${checkName(kind, p.config)}: ${shrunk.requests.length} request${shrunk.requests.length > 1 ? "s" : ""} ` +
            `(from ${ev.requests.length}, ${shrunk.shrinks} candidates tried` +
            `${shrunk.interrupted ? ", stopped at the time limit" : ""})`,
          shrunk,
        ),
      );
      ctx.note(`✗ ${shrunk.violation.message}`);
    } else {
      ctx.note(
        `${checkName(kind, p.config)}: the ${ev.phase} phase's violation does not replay one request at a time` +
          `${ev.replayable ? "" : " (a race between app instances)"}: ${ev.violation.message}`,
      );
    }
  }
}

export async function fuzzStep(ctx: ScenarioContext<UserScriptParams>, state: UserScriptState): Promise<void> {
  const p = ctx.params;
  const before = state.requests;
  const result = await fuzz(p.fuzz, runnerFor(ctx, state, false), { ...space(p), timeLimitMs: p.fuzzTimeMs });
  state.fuzz = result;
  ctx.note(`${result.runs} random sequences, ${state.requests - before} requests`);
  if (result.failure) {
    const f = result.failure;
    ctx.table(
      sequenceTable(
        `${checkName(f.kind, p.config)}: the shortest failing sequence ` +
          `(${f.requests.length} request${f.requests.length > 1 ? "s" : ""}, from ${result.failingLength}, ` +
          `${f.shrinks} candidates tried${f.interrupted ? ", stopped at the time limit" : ""})`,
        f,
      ),
    );
    ctx.note(`✗ ${f.violation.message}; replay with --fuzz ${p.fuzz} --seed ${p.seed}`);
  } else ctx.note("no violation");
}
