import { acquireFencedLock, readFenced, writeFenced } from "../../src/patterns/lock/index.js";
import { counterKey, fenceKey, lockKey } from "./params.js";
import { lockScenario } from "./algorithm-run.js";
import type { LockVariant } from "./state.js";
import { lateReleaseChecks } from "./simple.js";
import { pitfallEvidence } from "./pitfalls.js";
import { commandsOn } from "../../src/runner/evidence.js";

export const fencing: LockVariant = {
  algo: "fencing",
  title: (p) =>
    `Lock with fencing tokens: SET NX PX ${p.ttlMs} ms and INCR in one script; the resource refuses older tokens`,
  explain:
    "Each acquisition also takes the next number of a counter (INCR in the same Lua script as the SET NX, same hash " +
    "tag). Every write to the protected resource carries that number, and the resource (a Lua check that stores the " +
    "highest token seen) refuses a write with an older one. The double hold still happens; it can no longer do harm.",
  watchdog: false,
  async init(ctx) {
    await ctx.redis.call("HSET", counterKey(ctx, "fencing"), "value", "0", "fence", "0");
  },
  async tryAcquire(ctx, redis, token) {
    const fence = await acquireFencedLock(redis, lockKey(ctx, "fencing"), fenceKey(ctx, "fencing"), {
      token,
      ttlMs: ctx.params.ttlMs,
    });
    return fence === null ? null : { fence };
  },
  async read(ctx, redis) {
    return Number((await readFenced(redis, counterKey(ctx, "fencing"))).value ?? 0);
  },
  async write(ctx, redis, value, grant) {
    return (await writeFenced(redis, counterKey(ctx, "fencing"), grant.fence!, value)).accepted;
  },
  async checks(ctx, state) {
    const pit = state.pitfall;
    const fences = state.fences;
    // A fresh counter: the tokens must be exactly 1, 2, …, N in the order the grants arrived.
    const firstOff = fences.findIndex((f, i) => f !== i + 1);
    ctx.check(
      "fencing tokens strictly increase: 1, 2, …, one per acquisition, in the order granted",
      firstOff === -1 && fences.length === state.acquisitions,
      {
        expected: `1 … ${state.acquisitions}`,
        actual: firstOff === -1 ? `1 … ${fences.length}` : `token #${firstOff + 1} is ${fences[firstOff]}`,
        evidence: () => ({
          commands: commandsOn(ctx.commands(), fenceKey(ctx, "fencing")),
          values: { "tokens in the order granted": fences.slice(0, 20).join(", ") },
        }),
      },
    );
    lateReleaseChecks(ctx, state, "fencing");
    ctx.check(
      "the paused holder's late write, carrying the older token, was refused by the resource",
      pit.lateWriteAccepted === false && state.staleWritesRejected >= 1,
      {
        expected: `refused (token ${String(pit.w1Fence)} < ${String(pit.w2Fence)})`,
        actual: pit.lateWriteAccepted ? "accepted" : `refused ${state.staleWritesRejected}`,
        evidence: pitfallEvidence(ctx, state, "fencing", "counter"),
      },
    );
    const resource = await readFenced(ctx.redis, counterKey(ctx, "fencing"));
    ctx.check(
      "the resource keeps worker-2's write: its token is the highest seen",
      resource.fence === pit.w2Fence && pit.end === pit.start! + 1,
      {
        expected: `token ${String(pit.w2Fence)}, value ${pit.start! + 1}`,
        actual: `token ${resource.fence}, value ${String(resource.value)}`,
        evidence: () => ({ commands: commandsOn(ctx.commands(), counterKey(ctx, "fencing")).slice(-1) }),
      },
    );
  },
  figure(ctx, state) {
    const pit = state.pitfall;
    ctx.figure({
      what: "safety that does not depend on clocks",
      chapter: "CLOCK DRIFT: EX relies on Redis server clock … for critical systems, use fencing tokens",
      measured:
        `the write with token ${String(pit.w1Fence)} was refused after token ${String(pit.w2Fence)} ` +
        `wrote; ${state.staleWritesRejected} stale write rejected`,
      agrees: state.staleWritesRejected >= 1,
      note: "the double hold still happened; it did no harm",
    });
  },
};

export default lockScenario(fencing);
