import { overlappingHolds, type LockAlgorithm } from "../../src/patterns/lock/index.js";
import { stallWords } from "../../src/runner/stalls.js";
import type { Ctx } from "./params.js";
import { lockScenario } from "./algorithm-run.js";
import { pitfallEvidence } from "./pitfalls.js";
import type { LockState, LockVariant } from "./state.js";
import { plainLock } from "./workers.js";

/** The expiry pitfall's evidence, shared with the fencing variant (which has the same double hold, made harmless). */
export function lateReleaseChecks(ctx: Ctx, state: LockState, algo: LockAlgorithm): void {
  const pit = state.pitfall;
  ctx.check(
    "expiry pitfall: worker-2 took the lock while worker-1 still believed it held it (a double hold)",
    overlappingHolds(state.holds) >= 1 && pit.w2GotItDuringStall === true,
    {
      expected: "≥ 1 double hold (the pitfall, reproduced)",
      actual: `${overlappingHolds(state.holds)} double holds; PTTL after the stall ${String(pit.pttlAfterStall)}`,
      evidence: pitfallEvidence(ctx, state, algo, "stall"),
    },
  );
  ctx.check(
    "worker-1's late release answered 0: the owner check did not delete worker-2's lock",
    pit.lateRelease === 0,
    { expected: 0, actual: pit.lateRelease ?? null, evidence: pitfallEvidence(ctx, state, algo, "release") },
  );
  const survived = pit.ownerAfterLateRelease === pit.w2Token && (pit.pttlAfterLateRelease ?? -2) > 0;
  const age = pit.w2AgeAfterLateReleaseMs ?? 0;
  if (!survived && pit.ownerAfterLateRelease === null && age >= ctx.params.ttlMs) {
    // Gone, but worker-2's own TTL may have run out: this machine took too long between its SET NX and the look.
    // Whether the late release deleted it is the check above (it answered 0 or not).
    const stalled = stallWords(ctx.stalls.longest(performance.now() - age));
    ctx.inconclusive(
      `worker-2's lock was gone ${Math.round(age)} ms after its SET NX was sent, past its ${ctx.params.ttlMs} ms TTL` +
        `${stalled ? ` (${stalled})` : ""}: this machine was too slow to show it surviving worker-1's late release`,
    );
    return;
  }
  ctx.check("worker-2's lock was still held, by worker-2, after worker-1's late release", survived, {
    expected: "owner = worker-2's token, PTTL > 0",
    actual:
      `owner ${pit.ownerAfterLateRelease === pit.w2Token ? "worker-2" : String(pit.ownerAfterLateRelease)}, ` +
      `PTTL ${String(pit.pttlAfterLateRelease)}`,
    evidence: pitfallEvidence(ctx, state, algo, "release"),
  });
}

export const simple: LockVariant = {
  algo: "simple",
  title: (p) => `Simple lock: SET NX PX ${p.ttlMs} ms with an owner token, released by an owner-checked Lua delete`,
  explain:
    "SET lock token NX PX ttl takes the lock in one command; the random token says who owns it. The release is " +
    "a Lua compare-and-delete, so a holder can only delete its own lock. The TTL frees the lock if its holder " +
    "dies, and also under a holder that is merely slow: the expiry pitfall, shown for real.",
  watchdog: false,
  ...plainLock("simple"),
  checks(ctx, state) {
    lateReleaseChecks(ctx, state, "simple");
    const pit = state.pitfall;
    // The damage, shown: worker-1's write was computed from a value read before worker-2's increment.
    ctx.check(
      "without fencing the stale write goes through: worker-1 overwrote worker-2's increment (1 update lost)",
      pit.lateWriteAccepted === true && pit.end === pit.start! + 1,
      {
        expected: `counter ${String(pit.start)} → ${pit.start! + 1} after two increments`,
        actual: `${String(pit.start)} → ${String(pit.end)}`,
        evidence: pitfallEvidence(ctx, state, "simple", "counter"),
      },
    );
  },
  figure(ctx, state) {
    const p = ctx.params;
    const gone = state.pitfall.pttlAfterStall === -2;
    ctx.figure({
      what: "the lock frees itself when its holder stops",
      chapter: "EX 30: auto-release in 30 s (prevents deadlocks)",
      measured:
        `TTL ${p.ttlMs} ms: PTTL ${String(state.pitfall.pttlAfterStall)} after a ${p.pauseMs} ms stall, freed by ` +
        `the server without a release`,
      agrees: gone,
      note: "it frees just as well under a holder that is only slow: pitfall 1",
    });
  },
};

export default lockScenario(simple);
