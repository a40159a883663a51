import { overlappingHolds } from "../../src/patterns/lock/index.js";
import { stallWords } from "../../src/runner/stalls.js";
import { counterKey, lockKey } from "./params.js";
import { commandsOn } from "../../src/runner/evidence.js";
import { lockScenario } from "./algorithm-run.js";
import { pitfallEvidence } from "./pitfalls.js";
import type { LockVariant } from "./state.js";
import { plainLock } from "./workers.js";

export const watchdog: LockVariant = {
  algo: "watchdog",
  title: (p) =>
    p.renew
      ? `Lock with a watchdog: a ${p.ttlMs} ms lock renewed every ${Math.floor(p.ttlMs / 3)} ms while its holder works`
      : `Lock with its watchdog switched off (--no-renew): a ${p.ttlMs} ms lock that nobody renews`,
  explain:
    "The simple lock, plus a renewal loop in the holder's process: every TTL/3 an owner-checked PEXPIRE (Lua: " +
    "only if the lock still holds our token) resets the TTL, so a holder that is slow but alive keeps its lock, " +
    "while a dead holder's lock still expires within one TTL. When a renewal answers 0 the holder is told " +
    "(LockLostError) and stops.",
  watchdog: true,
  ...plainLock("watchdog"),
  checks(ctx, state) {
    const p = ctx.params;
    const pit = state.pitfall;
    const interval = Math.floor(p.ttlMs / 3);
    const doubleHolds = overlappingHolds(state.holds);
    const violated = doubleHolds > 0 || pit.w2GotItDuringStall === true;
    // What the lock's expiry decides: a double hold, the late release finding the lock gone, no renewal in the stall.
    const lostToTime = violated || pit.lateRelease !== 1 || (pit.renewalsDuringStall ?? 0) < 1;
    if (p.renew && lostToTime && state.pitfallUnrenewedMs >= p.ttlMs) {
      // The watchdog's renewals came too late because this machine was slow (its timers fired late, or their replies
      // did), not because the watchdog is wrong: the server rightly let the lock expire. A double hold (or a lost
      // lock) with every renewal answered within the TTL of the previous one's sending still fails: the server cannot
      // have expired it.
      const stalled = stallWords(ctx.stalls.longest(state.grants.g1?.hold.from ?? 0));
      ctx.inconclusive(
        `a renewal came ${Math.round(state.pitfallUnrenewedMs)} ms after the previous one was sent ` +
          `(every ${interval} ms was asked; the TTL is ${p.ttlMs} ms${stalled ? `; ${stalled}` : ""}): this ` +
          `machine was too slow to keep the lock alive, so ` +
          (violated ? "the double hold proves nothing" : "its expiry under worker-1 proves nothing"),
      );
      return;
    }
    if (p.renew)
      ctx.check("the watchdog renewed the lock during the stall", (pit.renewalsDuringStall ?? 0) >= 1, {
        expected:
          `≥ 1 (about ${Math.floor(p.pauseMs / interval)}: ` + `one every ${interval} ms of a ${p.pauseMs} ms stall)`,
        actual: pit.renewalsDuringStall ?? null,
        evidence: pitfallEvidence(ctx, state, "watchdog", "stall"),
      });
    ctx.check(
      "no double hold: worker-2 was refused while worker-1 stalled",
      doubleHolds === 0 && pit.w2GotItDuringStall === false,
      {
        expected: 0,
        actual:
          `${doubleHolds} double holds; worker-2 ${pit.w2GotItDuringStall ? "got" : "was refused"} the lock ` +
          `during the stall`,
        evidence: pitfallEvidence(ctx, state, "watchdog", "stall"),
      },
    );
    ctx.check("worker-1's release after the stall answered 1: it still owned its lock", pit.lateRelease === 1, {
      expected: 1,
      actual: pit.lateRelease ?? null,
      evidence: pitfallEvidence(ctx, state, "watchdog", "release"),
    });
    ctx.check("both increments of the stall count", pit.end === pit.start! + 2, {
      expected: `${String(pit.start)} → ${pit.start! + 2}`,
      actual: `${String(pit.start)} → ${String(pit.end)}`,
      evidence: pitfallEvidence(ctx, state, "watchdog", "counter"),
    });
    const lost = state.lost;
    if (!p.renew) return;
    const told =
      lost !== undefined &&
      lost.isLockLost &&
      !lost.wrote &&
      lost.valueAfter === lost.valueBefore &&
      lost.chunksDone < lost.chunksPlanned;
    if (lost && !told) {
      // The next renewal is due at most one interval after the DEL: work that ended sooner, or a process stalled
      // that long meanwhile, gave the watchdog no chance to tell. Work that went on longer, untold, is a failure.
      const window = lost.endedAt - lost.deletedAt;
      const stall = ctx.stalls.longest(lost.deletedAt, lost.endedAt);
      if (window < interval || stall >= interval) {
        ctx.inconclusive(
          `worker-1's work ended ${Math.round(window)} ms after the lock was ` +
            `deleted${stall >= interval ? ` (${stallWords(stall)})` : ""}, before the watchdog's next renewal ` +
            `(every ${interval} ms) could tell it: this machine was too slow to show the lost lock reaching the ` +
            `holder`,
        );
        return;
      }
    }
    ctx.check(
      "a failed renewal reached the holder as a LockLostError, and it abandoned its work without writing",
      told,
      {
        expected: "LockLostError before the work ended; counter unchanged",
        actual: lost
          ? `${lost.message}; ${lost.chunksDone}/${lost.chunksPlanned} slices done; counter ${lost.valueBefore} ` +
            `→ ${lost.valueAfter}`
          : "not run",
        evidence: () => ({
          commands: commandsOn(
            ctx.commands(),
            [lockKey(ctx, "watchdog"), counterKey(ctx, "watchdog")],
            state.lost?.seqs ?? {},
          ),
          ...(lost
            ? {
                values: {
                  told: lost.message,
                  "slices done": `${lost.chunksDone}/${lost.chunksPlanned}`,
                  "counter before → after": `${lost.valueBefore} → ${lost.valueAfter}`,
                },
              }
            : {}),
        }),
      },
    );
  },
  figure(ctx, state) {
    const p = ctx.params;
    const pit = state.pitfall;
    const doubleHolds = overlappingHolds(state.holds);
    ctx.figure({
      what: "lock extension while still processing",
      chapter: "Fix: use lock extension (watchdog thread renews TTL)",
      measured:
        `${String(pit.renewalsDuringStall)} renewals kept a ${p.ttlMs} ms lock through a ${p.pauseMs} ms ` +
        `stall; ${doubleHolds} double holds`,
      agrees: (pit.renewalsDuringStall ?? 0) >= 1 && doubleHolds === 0,
      note: "a stop-the-world pause would stop the watchdog too",
    });
  },
};

export default lockScenario(watchdog);
