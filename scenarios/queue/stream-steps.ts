/**
 * The queue/stream scenario's steps: produce, two consumers crash mid-batch, XPENDING, the restart that reads its own
 * pending entries, the concurrent drain, and the claim rounds that hand stuck entries to a live consumer.
 */
import {
  acknowledgeEntries,
  claimIdleEntries,
  createConsumerGroup,
  messageFields,
  pendingEntries,
  pendingSummary,
  publishMessage,
  removeConsumer,
} from "../../src/patterns/queue/index.js";
import { sleep } from "../../src/runner/clock.js";
import { crashBoth } from "./crash.js";
import { connectionOf, drainMeter, list, runConcurrently, sameIds, type Delivery } from "./consumers.js";
import { messageEvidence } from "./evidence.js";
import { commandsNamed } from "../../src/runner/evidence.js";
import {
  claimerOf,
  claimOf,
  drain,
  GROUP,
  IDLE_MARGIN_MS,
  keysOf,
  pendingTable,
  process,
  read,
  resumeOwn,
  toDelivery,
  type CrashPlan,
  type Ctx,
  type StreamState,
} from "./stream-consumer.js";

/** The group first ("$": only entries added after it), then the producer's XADDs. */
export async function produce(ctx: Ctx, state: StreamState): Promise<void> {
  state.claimCommand = claimOf(ctx.server);
  if (state.claimCommand === "XCLAIM") {
    ctx.fallback(
      `XPENDING + XCLAIM for XAUTOCLAIM (XAUTOCLAIM: ${ctx.server.missing("XAUTOCLAIM")}): stuck entries are found ` +
        "with XPENDING and taken over with XCLAIM",
    );
  }
  const { stream } = keysOf(ctx);
  await createConsumerGroup(ctx.redis, stream, GROUP, "$");
  const producer = await ctx.connect("stream:producer");
  for (const message of state.messages) {
    const id = await publishMessage(producer, stream, messageFields(message));
    state.messageOf.set(id, message.id);
    state.ledger.produced(message.id);
  }
  ctx.note(
    `${state.messages.length} entries in the ` +
      `stream${state.poisonId ? `; ${state.poisonId} is the poison message` : ""}`,
  );
}

/** The two crashing consumers each read a batch and die part-way through it. */
export function crashMidBatches(ctx: Ctx, state: StreamState, plan: CrashPlan): Promise<void> {
  return crashBoth(ctx, state, "stream", plan, {
    takeBatch: async (consumer, conn) => (await read(ctx, state, consumer, conn, ">")).deliveries,
    acknowledge: async (consumer, conn, d) => {
      if ((await acknowledgeEntries(conn, keysOf(ctx).stream, GROUP, [d.ref])) === 1)
        state.ledger.acked(d.message.id, consumer);
    },
  });
}

/** XPENDING, summary and extended: exactly the crashed consumers' unacknowledged entries. */
export async function pendingAfterCrash(ctx: Ctx, state: StreamState): Promise<void> {
  const { stream } = keysOf(ctx);
  const summary = await pendingSummary(ctx.redis, stream, GROUP);
  const entries = await pendingEntries(ctx.redis, stream, GROUP, { count: 100 });
  state.pendingAfterCrash = entries.map((e) => ({
    id: e.id,
    consumer: e.consumer,
    deliveries: e.deliveries,
  }));
  ctx.note(`${summary.count} pending: ${summary.consumers.map((c) => `${c.consumer} ${c.pending}`).join(", ")}`);
  ctx.table(pendingTable(state, entries));
  const expected = state.crashes
    .flatMap((c) => [...c.doneNotAcked, ...c.notStarted].map((id) => `${id}@${c.consumer}`))
    .sort();
  const actual = entries.map((e) => `${state.messageOf.get(e.id)}@${e.consumer}`).sort();
  ctx.check(
    "XPENDING lists exactly the crashed consumers' unacknowledged entries, each delivered once",
    sameIds(actual, expected) && entries.every((e) => e.deliveries === 1),
    {
      expected: list(expected),
      actual: list(entries.map((e) => `${state.messageOf.get(e.id)}@${e.consumer} ×${e.deliveries}`)),
      evidence: () => ({ commands: commandsNamed(ctx.commands(), ["XPENDING"]).slice(-2) }),
    },
  );
}

/** The restarted consumer reads its own pending entries back (ID 0) before anything new. */
export async function restartReadsOwn(ctx: Ctx, state: StreamState, plan: CrashPlan): Promise<void> {
  const consumer = plan.restarts;
  const conn = await connectionOf(ctx, state, "stream", consumer, true);
  state.resumed = await resumeOwn(ctx, state, consumer, conn);
  const crash = state.crashes.find((c) => c.consumer === consumer);
  const expected = [...(crash?.doneNotAcked ?? []), ...(crash?.notStarted ?? [])];
  ctx.note(
    `resumed ${list(state.resumed)}` +
      (crash?.doneNotAcked.length
        ? `; ${list(crash.doneNotAcked)} had been sent before the crash: sent again (a duplicate)`
        : ""),
  );
  ctx.check("the restarted consumer read back exactly its own pending entries", sameIds(state.resumed, expected), {
    expected: list(expected),
    actual: list(state.resumed),
    evidence: messageEvidence(ctx, [...new Set([...state.resumed, ...expected])]),
  });
}

/** The live consumers drain the stream at once, each its own pending entries first. */
export async function drainConcurrently(
  ctx: Ctx,
  state: StreamState,
  plan: CrashPlan | undefined,
  live: string[],
): Promise<void> {
  // Every consumer is connected before the first read, so they compete from the start.
  for (const consumer of live) await connectionOf(ctx, state, "stream", consumer);
  const meter = drainMeter(state);
  await runConcurrently(
    live.map((consumer) => drain(ctx, state, consumer, meter, plan !== undefined && consumer === plan.restarts)),
  );
  meter.stop();
  const summary = await pendingSummary(ctx.redis, keysOf(ctx).stream, GROUP);
  ctx.note(
    `still pending: ${summary.count}` +
      (summary.count ? ` (${summary.consumers.map((c) => `${c.consumer} ${c.pending}`).join(", ")})` : ""),
  );
}

/** XAUTOCLAIM (or XPENDING + XCLAIM) rounds until nothing is pending; the dead consumer removed. */
export async function claimStuck(
  ctx: Ctx,
  state: StreamState,
  plan: CrashPlan | undefined,
  live: string[],
): Promise<void> {
  const p = ctx.params;
  const claimer = claimerOf(live);
  const conn = await connectionOf(ctx, state, "stream", claimer);
  const { stream } = keysOf(ctx);
  // Enough rounds for a failing entry to use up its deliveries, and one more: bounded, never a loop forever.
  for (let round = 1; round <= p.maxDeliveries + 1; round++) {
    if ((await pendingSummary(conn, stream, GROUP)).count === 0) break;
    await sleep(p.visibilityMs + IDLE_MARGIN_MS, ctx.signal);
    const claim = await claimIdleEntries(conn, {
      stream,
      group: GROUP,
      consumer: claimer,
      minIdleMs: p.visibilityMs,
      count: 100,
      command: state.claimCommand,
    });
    if (claim.command !== state.claimCommand) {
      state.claimCommand = claim.command;
      ctx.note("the server does not know XAUTOCLAIM (Redis < 6.2): XPENDING + XCLAIM from here on");
    }
    const deliveries: Delivery[] = [];
    for (const entry of claim.entries) {
      const delivery = toDelivery(state, entry);
      if (delivery) {
        state.ledger.delivered(delivery.message.id, claimer, claim.command);
        deliveries.push(delivery);
      }
    }
    state.claimed.push(deliveries.map((d) => d.message.id));
    ctx.note(`round ${round}: ${claim.command} handed ${claimer} ${list(deliveries.map((d) => d.message.id))}`);
    for (const delivery of deliveries) await process(ctx, state, claimer, conn, delivery);
  }
  if (plan) {
    // consumer-1 is gone for good: once its entries are claimed, forget it (its pending count is 0 by now).
    const left = await removeConsumer(conn, stream, GROUP, plan.dies);
    ctx.note(`XGROUP DELCONSUMER ${plan.dies}: it had ${left} pending entr${left === 1 ? "y" : "ies"} left`);
  }
}
