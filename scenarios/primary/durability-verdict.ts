/** The durability run's verdict: acknowledged writes lost against what the persistence setting promises. */
import { percentile, roundOrNull } from "../../src/stats.js";
import {
  describeSetting,
  EVERYSEC_BOUND_MS,
  lossBound,
  PROMISES,
  USE_CASES,
  type PersistenceSetting,
} from "../../src/patterns/primary/index.js";
import { allAckTimes, MATCHES, snapshotFloor, totalAcked, type Ctx, type DurabilityState } from "./durability-state.js";
import { CHAPTER_CLAIM } from "./params.js";
import { commandsWhere } from "../../src/runner/evidence.js";
import type { Evidence } from "../../src/check-failure.js";

/** Lost against what the setting promises, the metrics, and the chapter's figure. */
export function verdict(ctx: Ctx, state: DurabilityState, setting: PersistenceSetting): void {
  const p = ctx.params;
  const acked = totalAcked(state);
  const outcomes = USE_CASES.map((u) => state.outcome[u]!);
  const recovered = outcomes.reduce((n, o) => n + Math.min(o.recovered, o.acked), 0);
  const lost = outcomes.reduce((n, o) => n + Math.max(0, o.acked - o.recovered), 0);
  const unanswered = outcomes.reduce((n, o) => n + o.unanswered, 0);
  const extra = outcomes.reduce((n, o) => n + Math.max(0, o.recovered - o.acked), 0);
  const ackTimes = allAckTimes(state);
  const killAt = state.killAt!;
  const floor = snapshotFloor(state.samples);
  const bound = lossBound(setting, ackTimes, killAt, floor);
  const latencies = USE_CASES.flatMap((u) => state.stats[u]?.latencies ?? []);
  const lastSecond = ackTimes.filter((t) => t > killAt - 1_000).length;
  const promise = PROMISES[setting];
  // What the restarted server gave back (its reader's commands), and each use case's counts.
  const reader = `reader@${setting} (restarted)`;
  const outcomeValues = Object.fromEntries(
    USE_CASES.map((u) => {
      const o = state.outcome[u]!;
      return [u, `${o.acked} acknowledged, ${o.recovered} came back, ${o.unanswered} unanswered`];
    }),
  );
  const restarted = (values: Evidence["values"], keys?: readonly string[]) => (): Evidence => ({
    commands: commandsWhere(
      ctx.commands(),
      (c) => c.client === reader && (keys === undefined || c.argv.slice(1).some((a) => keys.includes(a))),
    ),
    values: { "kill after (ms)": state.killAfterMs ?? null, ...outcomeValues, ...values },
  });
  ctx.check(
    "every use case had writes acknowledged before the kill",
    outcomes.every((o) => o.acked > 0),
    {
      expected: "> 0 each",
      actual: USE_CASES.map((u) => `${u} ${state.outcome[u]!.acked}`).join(", "),
      evidence: { values: outcomeValues },
    },
  );
  ctx.check(
    `${describeSetting(setting, p.rdbSave)} lost no more than it promises (${promise.processCrash})`,
    lost <= bound,
    {
      expected:
        setting === "aof-everysec"
          ? `≤ ${bound} (the writes acknowledged in the last ${EVERYSEC_BOUND_MS} ms)`
          : setting === "rdb"
            ? `≤ ${bound} (${floor} writes were acknowledged before the last snapshot began)`
            : `≤ ${bound}`,
      actual: lost,
      evidence: restarted({
        "the bound": bound,
        "acknowledged in the last second": lastSecond,
        "acknowledged before the last snapshot began": floor,
      }),
    },
  );
  if (setting === "none")
    ctx.check("without persistence the restarted server is empty", state.keysAfter === 0, {
      expected: 0,
      actual: state.keysAfter ?? null,
      evidence: () => ({
        commands: commandsWhere(ctx.commands(), (c) => c.client === reader && c.argv[0] === "DBSIZE"),
      }),
    });
  ctx.check(
    "nothing came back that was never sent (at most the one unanswered write per connection)",
    outcomes.every((o) => o.recovered <= o.acked + o.unanswered),
    {
      expected: `≤ acknowledged + unanswered`,
      actual: extra,
      evidence: restarted({ "applied, never answered": extra }),
    },
  );
  ctx.check(
    "every match came back whole: the state after its first n moves, never half a move",
    state.outcome.game?.consistent === true,
    {
      expected: "every match: its first n moves, for some n",
      actual: state.outcome.game?.consistent === true ? "whole" : "torn",
      evidence: restarted(
        {},
        MATCHES.map((m) => state.keys!.match(m)),
      ),
    },
  );
  const cart = state.outcome.cart!;
  const cartLost = Math.max(0, cart.acked - cart.recovered);
  ctx.metric("setting", setting);
  ctx.metric("killAfterMs", state.killAfterMs ?? null);
  ctx.metric("acked", acked);
  ctx.metric("recovered", recovered);
  ctx.metric("lost", lost);
  ctx.metric("lostBound", bound);
  ctx.metric("unanswered", unanswered);
  ctx.metric("appliedUnanswered", extra);
  ctx.metric("cartLost", cartLost);
  ctx.metric("writeP50Ms", roundOrNull(percentile(latencies, 50)));
  ctx.metric("writeP99Ms", roundOrNull(percentile(latencies, 99)));
  ctx.metric("ackedLastSecond", lastSecond);
  ctx.metric("snapshots", setting === "rdb" ? (state.samples[state.samples.length - 1]?.saves ?? 0) : null);
  ctx.metric(
    "aofDelayedFsync",
    setting === "aof-everysec" ? (state.samples[state.samples.length - 1]?.delayedFsync ?? 0) : null,
  );
  ctx.metric("promiseProcessCrash", promise.processCrash);
  ctx.metric("promiseMachineCrash", promise.machineCrash);
  ctx.metric("keysAfterRestart", state.keysAfter ?? null);
  ctx.metric("serverVersion", state.binary?.version ?? null);
  const aof = setting.startsWith("aof");
  ctx.figure({
    what: `a shopping cart as the only copy, ${describeSetting(setting, p.rdbSave)}, SIGKILL`,
    chapter: CHAPTER_CLAIM,
    measured:
      `${cartLost} of ${cart.acked} acknowledged cart writes lost (all use cases: ${lost} of ${acked}); ` +
      `write p50 ${roundOrNull(percentile(latencies, 50))} ms, p99 ${roundOrNull(percentile(latencies, 99))} ms`,
    ...(aof ? { agrees: cartLost === 0 } : cartLost > 0 ? { agrees: true } : {}),
    note: aof
      ? "a power loss could also lose " +
        (setting === "aof-always"
          ? "nothing: each write is fsynced before its reply"
          : `${promise.machineCrash} (here ${lastSecond} writes were acknowledged in the last second)`) +
        "; a SIGKILL cannot show it: the kernel keeps what Redis wrote"
      : "why the chapter says AOF: without it a crash takes acknowledged writes with it",
  });
}
