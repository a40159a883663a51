/** The queue/stream scenario's verdict: nothing pending, nothing lost, the poison message in the dead-letter stream. */
import { deadLetters, pendingSummary } from "../../src/patterns/queue/index.js";
import { checkDuplicates, checkNothingLost, list, reportCounts, sameIds, unfinishedByCrash } from "./consumers.js";
import { messageEvidence } from "./evidence.js";
import { commandsNamed, commandsOn } from "../../src/runner/evidence.js";
import { GROUP, keysOf, type CrashPlan, type Ctx, type StreamState } from "./stream-consumer.js";

/** Nothing pending, nothing lost, the poison message dead-lettered; the chapter's figure. */
export async function verdict(ctx: Ctx, state: StreamState, plan: CrashPlan | undefined): Promise<void> {
  const p = ctx.params;
  const { stream, deadLetter } = keysOf(ctx);
  const summary = await pendingSummary(ctx.redis, stream, GROUP);
  const dead = await deadLetters(ctx.redis, deadLetter);
  const length = Number(await ctx.redis.call("XLEN", stream));
  if (dead.length > 0) {
    ctx.table({
      title: "The dead-letter stream",
      columns: ["entry id", "message", "to", "source entry", "deliveries", "error"],
      rows: dead.map((d) => [
        d.id,
        d.fields?.id ?? "?",
        d.fields?.to ?? "?",
        d.fields?.["source-id"] ?? "?",
        d.fields?.deliveries ?? "?",
        d.fields?.error ?? "",
      ]),
    });
  }
  const counts = reportCounts(ctx, state);
  const { doneNotAcked, notStarted } = unfinishedByCrash(state);
  ctx.metric("claimCommand", state.claimCommand);
  ctx.metric("claimRounds", state.claimed.length);
  ctx.note(
    `the stream still holds its ${length} entries (acknowledged entries are not deleted: trim with XADD … MAXLEN ` +
      "or XTRIM)",
  );
  ctx.check("nothing pending", summary.count === 0, {
    expected: 0,
    actual: summary.count,
    evidence: () => ({ commands: commandsNamed(ctx.commands(), ["XPENDING"]).slice(-1) }),
  });
  checkNothingLost(ctx, counts);
  ctx.check(
    "every message was processed at least once (or dead-lettered)",
    counts.handled + counts.deadLettered === counts.produced,
    {
      expected: counts.produced,
      actual: counts.handled + counts.deadLettered,
      evidence: messageEvidence(
        ctx,
        state.messages
          .filter(
            (m) =>
              !state.ledger.historyOf(m.id).some((e) => e.kind === "handled") && !counts.deadLetteredIds.includes(m.id),
          )
          .map((m) => m.id),
        { produced: counts.produced, handled: counts.handled, "dead-lettered": counts.deadLettered },
      ),
    },
  );
  checkDuplicates(ctx, counts, doneNotAcked);
  if (plan) {
    const dead1 = state.crashes.find((c) => c.consumer === plan.dies);
    const expected = [...(dead1?.doneNotAcked ?? []), ...(dead1?.notStarted ?? [])].filter(
      (id) => id !== state.poisonId,
    );
    const claimed = [...new Set(state.claimed.flat())].filter((id) => id !== state.poisonId);
    ctx.check(
      `${state.claimCommand} redelivered the dead consumer's entries to a live one`,
      sameIds(claimed, expected),
      {
        expected: list(expected),
        actual: list(claimed),
        evidence: messageEvidence(ctx, [...new Set([...claimed, ...expected])]),
      },
    );
  }
  const deadIds = dead.map((d) => d.fields?.id ?? "?");
  if (state.poisonId) {
    const attempts = state.ledger.historyOf(state.poisonId).filter((e) => e.kind === "failed").length;
    ctx.check("the dead-lettered message is the poison one", sameIds(deadIds, [state.poisonId]), {
      expected: state.poisonId,
      actual: list(deadIds),
      evidence: () => ({ commands: commandsOn(ctx.commands(), deadLetter) }),
    });
    ctx.check(
      `it was tried ${p.maxDeliveries} times, and its dead-letter entry carries that delivery count`,
      attempts === p.maxDeliveries && dead[0]?.fields?.deliveries === String(p.maxDeliveries),
      {
        expected: `${p.maxDeliveries} attempts, deliveries ${p.maxDeliveries}`,
        actual: `${attempts} attempts, deliveries ${dead[0]?.fields?.deliveries ?? "–"}`,
        evidence: messageEvidence(ctx, [state.poisonId], { attempts }),
      },
    );
  } else {
    ctx.check("no dead letters without a poison message", dead.length === 0, {
      expected: 0,
      actual: dead.length,
      evidence: () => ({ commands: commandsOn(ctx.commands(), deadLetter) }),
    });
  }
  const pendingSeen = state.pendingAfterCrash.length;
  ctx.figure({
    what: "unacknowledged entries of dead consumers",
    chapter: '"unacked messages can be re-claimed"; "XPENDING to find stuck messages"',
    measured: plan
      ? `XPENDING found ${pendingSeen}; ${state.resumed.length} read back by the restarted consumer, ` +
        `${[...new Set(state.claimed.flat())].filter((id) => id !== state.poisonId).length} re-claimed by ` +
        `${state.claimCommand} after ${p.visibilityMs} ms idle; ${counts.lost} lost`
      : `no crash; ${counts.lost} lost`,
    agrees: plan ? counts.lost === 0 && pendingSeen === doneNotAcked.length + notStarted.length : undefined,
  });
}
