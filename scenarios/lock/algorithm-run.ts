import { overlappingHolds, percentile } from "../../src/patterns/lock/index.js";
import { SCRIPTS, type CommandLabel } from "../../src/runner/support.js";
import { defineScenario, type ScenarioDef, type StepDef, type TableData } from "../../src/runner/types.js";
import { commandsOn, commandsWhere } from "../../src/runner/evidence.js";
import { CHAPTER, counterKey, type Ctx, defaultParams, fenceKey, lockKey, type LockParams } from "./params.js";
import { initialState, type LockState, type LockVariant } from "./state.js";
import { counterWorkload } from "./workers.js";
import { maxOf, round, roundOrNull } from "../../src/stats.js";
import { stallWords } from "../../src/runner/stalls.js";
import { firstWorkerResumes, renewalFails, secondWorkerTries, stallPastTtl } from "./pitfalls.js";

async function inspect(ctx: Ctx, state: LockState, variant: LockVariant): Promise<void> {
  const p = ctx.params;
  const lock = lockKey(ctx, variant.algo);
  const rows: TableData["rows"] = [];
  const lockPttl = Number(await ctx.redis.call("PTTL", lock));
  state.lockTtls.set(lock, lockPttl);
  rows.push([lock, "the lock", lockPttl === -2 ? "(gone)" : lockPttl === -1 ? "no TTL!" : `${lockPttl} ms`]);
  const counterPttl = Number(await ctx.redis.call("PTTL", counterKey(ctx, variant.algo)));
  rows.push([
    counterKey(ctx, variant.algo),
    variant.algo === "fencing" ? "the resource (value, highest token)" : "the counter",
    counterPttl === -1 ? "none: application data" : `${counterPttl}`,
  ]);
  if (variant.algo === "fencing") {
    const fencePttl = Number(await ctx.redis.call("PTTL", fenceKey(ctx, variant.algo)));
    rows.push([
      fenceKey(ctx, variant.algo),
      "the fencing token counter",
      fencePttl === -1 ? "none, on purpose: tokens must never restart" : `${fencePttl}`,
    ]);
  }
  ctx.table({ columns: ["key", "what", "TTL"], rows });
  const badLocks = [...state.lockTtls.values()].filter((t) => t === -1).length;
  ctx.check("every lock key is gone or has a TTL", badLocks === 0, {
    expected: "0 lock keys without TTL",
    actual: `${badLocks} without TTL`,
    evidence: () => ({
      commands: commandsWhere(ctx.commands(), (c) => c.argv[0] === "PTTL" && state.lockTtls.has(c.argv[1] ?? "")),
      values: Object.fromEntries(state.lockTtls),
    }),
  });

  const expected = p.workers * p.increments;
  const doubleHolds = overlappingHolds(state.holds);
  if (state.holds.length > 0) {
    // Who believed they held the lock, when: where two lanes overlap, two workers held it at once.
    const from = Math.min(...state.holds.map((h) => h.from));
    const end = performance.now();
    const to = Math.max(from + 1, ...state.holds.map((h) => h.to ?? end));
    const owners = [...new Set(state.holds.map((h) => h.owner))].sort();
    ctx.plot({
      kind: "spans",
      title: `Lock holders over time (${doubleHolds} double hold${doubleHolds === 1 ? "" : "s"})`,
      from: 0,
      to: round(to - from, 3),
      lanes: owners.map((owner) => ({
        label: owner,
        spans: state.holds
          .filter((h) => h.owner === owner)
          .map((h) => ({
            from: round(h.from - from, 3),
            to: round((h.to ?? end) - from, 3),
          })),
      })),
    });
  }
  ctx.metric("finalCount", state.finalCount);
  ctx.metric("expectedCount", expected);
  ctx.metric("doubleHolds", doubleHolds);
  ctx.metric("staleWritesRejected", state.staleWritesRejected);
  ctx.metric("staleWritesAccepted", state.staleWritesAccepted);
  ctx.metric("renewals", state.renewals);
  ctx.metric("waitP99Ms", roundOrNull(percentile(state.waits, 99)));
  ctx.metric("waitP50Ms", roundOrNull(percentile(state.waits, 50)));
  ctx.metric("waitMaxMs", roundOrNull(maxOf(state.waits)));
  ctx.metric("acquisitions", state.acquisitions);
  ctx.metric("refusedAttempts", state.attempts - state.acquisitions);
  ctx.metric(
    "lostUpdates",
    state.pitfall.start === undefined || state.pitfall.end === undefined
      ? null
      : state.pitfall.start + 2 - state.pitfall.end - (state.pitfall.lateWriteAccepted ? 0 : 1),
  );
  ctx.metric("ttlMs", p.ttlMs);
  ctx.metric("pauseMs", p.pauseMs);
  ctx.metric("commandsTotal", ctx.commands().length);

  if (state.finalCount !== expected && state.workloadUnrenewedMs >= p.ttlMs) {
    // A lock held (unrenewed) past its TTL may rightly have expired under its holder: this machine was too slow to
    // keep an increment inside the TTL. With every hold inside it, a lost increment is the lock's fault and fails.
    const window = state.workloadWindow;
    const stalled = window ? stallWords(ctx.stalls.longest(window.from, window.to)) : "";
    ctx.inconclusive(
      `in the counter workload a lock went ${Math.round(state.workloadUnrenewedMs)} ms unrenewed (from its SET ` +
        `NX or last renewal being sent to the next reply), past its ${p.ttlMs} ms ` +
        `TTL${stalled ? `; ${stalled}` : ""}: this machine was too slow to keep an increment inside the TTL, so ` +
        `the final count ${String(state.finalCount)} of ${expected} proves nothing`,
    );
  } else {
    ctx.check(
      "with the lock every increment counts: final count = workers × increments",
      state.finalCount === expected,
      {
        expected,
        actual: state.finalCount,
        detail:
          state.workloadFailures > 0
            ? `${state.workloadFailures} problems in the workload (lock lost, write refused, or expired before release)`
            : undefined,
        evidence: () => ({
          commands: commandsOn(ctx.commands(), counterKey(ctx, variant.algo), state.workloadSeqs ?? {}).slice(-1),
          values: {
            workers: p.workers,
            increments: p.increments,
            "double holds": doubleHolds,
            "problems in the workload": state.workloadFailures,
            "longest hold without renewal (ms)": roundOrNull(state.workloadUnrenewedMs),
            "TTL (ms)": p.ttlMs,
          },
        }),
      },
    );
  }
  await variant.checks(ctx, state);
  variant.figure(ctx, state);
}

/** Run a step; if it fails, stop every watchdog still renewing before the error goes on (Ctrl-C, a lost server). */
function guarded(run: (ctx: Ctx, state: LockState) => Promise<void>): (ctx: Ctx, state: LockState) => Promise<void> {
  return async (ctx, state) => {
    try {
      await run(ctx, state);
    } catch (err) {
      await Promise.allSettled([...state.running].map((w) => w.stop()));
      state.running.clear();
      throw err;
    }
  };
}

/** What each algorithm sends besides SET NX PX and the owner-checked release script. */
const LOCK_NEEDS: Record<string, readonly CommandLabel[]> = {
  simple: [],
  watchdog: ["PEXPIRE", "DEL"],
  fencing: ["INCR", "HSET", "HMGET"],
};

/**
 * Build one algorithm's scenario: the counter workload, the expiry pitfall in three acts, (a failed renewal), the
 * verdict.
 */
export function lockScenario(variant: LockVariant): ScenarioDef<LockParams, LockState> {
  return defineScenario<LockParams, LockState>({
    id: `lock/${variant.algo}`,
    title: (p) => variant.title(p),
    explain: variant.explain,
    chapter: CHAPTER,
    defaults: defaultParams,
    needs: ["SET … NX PX", "GET", "PTTL", ...SCRIPTS, ...(LOCK_NEEDS[variant.algo] ?? [])],
    init: () => initialState(),
    steps: (p) => {
      const steps: StepDef<LockParams, LockState>[] = [
        {
          title: `${p.workers} workers × ${p.increments} increments of one counter, each under the lock`,
          say:
            `Each worker has its own connection. For every increment it takes the lock, GETs the counter, adds ` +
            `1 in JavaScript, writes it back and releases: a read-modify-write that only the lock keeps from ` +
            `racing. The result must be exactly ${p.workers * p.increments}.`,
          run: (ctx, state) => counterWorkload(ctx, state, variant),
        },
        {
          title:
            `The expiry pitfall, 1/3: worker-1 takes the lock, reads, and stalls ${p.pauseMs} ms (TTL ${p.ttlMs} ` +
            `ms)`,
          say:
            "This wait is real: Redis expires keys on its own clock, so the only way to see a lock expire under " +
            "its holder is to let the time pass.",
          run: (ctx, state) => stallPastTtl(ctx, state, variant),
        },
        {
          title: "2/3: worker-2 asks for the lock while worker-1 is still stalled",
          run: (ctx, state) => secondWorkerTries(ctx, state, variant),
        },
        {
          title: "3/3: worker-1 resumes: it writes what it computed before the stall, then releases",
          run: (ctx, state) => firstWorkerResumes(ctx, state, variant),
        },
      ];
      if (variant.watchdog && p.renew) {
        steps.push({
          title: "A renewal fails: the lock vanishes under worker-1, its watchdog tells it, it abandons its work",
          say:
            "Simulated fault: the main connection DELetes the lock after the first renewal, as an operator, a " +
            "failover or eviction might.",
          run: (ctx, state) => renewalFails(ctx, state, variant),
        });
      }
      steps.push({
        title: "What Redis holds now, and the verdict",
        say:
          "Every lock key must be gone or expiring; the counts below come from Redis and from the holders' own " +
          "timelines.",
        run: (ctx, state) => inspect(ctx, state, variant),
      });
      return steps.map((step) => ({ ...step, run: guarded(step.run) }));
    },
  });
}
