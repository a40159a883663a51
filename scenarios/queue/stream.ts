import type { Redis } from "ioredis";
import {
  acknowledgeEntries,
  claimIdleEntries,
  createConsumerGroup,
  deadLetters,
  messageFields,
  messageFromFields,
  pendingEntries,
  pendingSummary,
  publishMessage,
  readGroup,
  recordFailedDelivery,
  removeConsumer,
  type ClaimCommand,
  type StreamEntry,
} from "../../src/patterns/queue/index.js";
import { tag } from "../../src/redis/keys.js";
import { sleep } from "../../src/runner/clock.js";
import { SCRIPTS, type ServerSupport } from "../../src/runner/support.js";
import { defineScenario, type ScenarioContext, type StepDef } from "../../src/runner/types.js";
import { CHAPTER, defaultQueueParams, type QueueParams } from "./params.js";
import {
  connectionOf,
  crashMidBatch,
  crashPlan,
  drainMeter,
  initQueueState,
  list,
  liveConsumers,
  reportCounts,
  runConcurrently,
  sameIds,
  unfinishedByCrash,
  work,
  type Delivery,
  type QueueState,
} from "./consumers.js";
import { ELEMENT_BYTES as B } from "../../src/redis/memory.js";

type Ctx = ScenarioContext<QueueParams>;

/** The chapter's group name. */
export const GROUP = "email-workers";
/** Added to every wait for an idle time, so the server's clock has certainly counted the minimum (timers may fire a little early). */
const IDLE_MARGIN_MS = 25;

interface StreamState extends QueueState {
  claimCommand: ClaimCommand;
  /** Entry id → message id, for the tables. */
  messageOf: Map<string, string>;
  /** What the restarted consumer read back with ID 0. */
  resumed: string[];
  /** What XAUTOCLAIM (or XCLAIM) handed over, per round. */
  claimed: string[][];
  /** What XPENDING showed right after the crashes. */
  pendingAfterCrash: { id: string; consumer: string; deliveries: number }[];
}

const keysOf = (ctx: Ctx) => ({
  stream: ctx.keys.key("stream", tag("emails")),
  deadLetter: ctx.keys.key("stream", tag("emails"), "dead-letter"),
});

function toDelivery(state: StreamState, entry: StreamEntry): Delivery | null {
  if (entry.fields === null) return null; // deleted from the stream meanwhile: nothing to do but acknowledge
  const message = messageFromFields(entry.fields);
  state.messageOf.set(entry.id, message.id);
  return { message, ref: entry.id };
}

/**
 * The work on one delivered entry: send, then XACK; when sending fails, record the failed delivery, which moves the
 * entry to the dead-letter stream once it has been delivered maxDeliveries times.
 */
async function process(
  ctx: Ctx,
  state: StreamState,
  consumer: string,
  conn: Redis,
  delivery: Delivery,
): Promise<boolean> {
  const done = work(state, consumer, delivery.message);
  if (done.ok) {
    if ((await acknowledgeEntries(conn, keysOf(ctx).stream, GROUP, [delivery.ref])) === 1)
      state.ledger.acked(delivery.message.id, consumer);
    return true;
  }
  const failed = await recordFailedDelivery(conn, keysOf(ctx), {
    group: GROUP,
    consumer,
    id: delivery.ref,
    maxDeliveries: ctx.params.maxDeliveries,
    error: done.error,
  });
  if (failed.deadLettered) {
    state.ledger.deadLettered(delivery.message.id, consumer, failed.deliveries);
    ctx.note(
      `${delivery.message.id} failed on delivery ${failed.deliveries} of ${ctx.params.maxDeliveries}: moved to the dead-letter stream and acknowledged`,
    );
  } else {
    ctx.note(
      `${delivery.message.id} failed on delivery ${failed.deliveries} of ${ctx.params.maxDeliveries} (${done.error}): left pending for another try`,
    );
  }
  return false;
}

/** Read entries for a consumer and enter them in the ledger as deliveries. */
async function read(
  ctx: Ctx,
  state: StreamState,
  consumer: string,
  conn: Redis,
  from: string,
): Promise<{ deliveries: Delivery[]; lastId: string | undefined; orphans: string[] }> {
  const entries = await readGroup(conn, {
    stream: keysOf(ctx).stream,
    group: GROUP,
    consumer,
    count: ctx.params.batch,
    from,
    blockMs: ctx.params.blockMs,
  });
  const deliveries: Delivery[] = [];
  const orphans: string[] = [];
  for (const entry of entries) {
    const delivery = toDelivery(state, entry);
    if (!delivery) {
      orphans.push(entry.id);
      continue;
    }
    state.ledger.delivered(delivery.message.id, consumer, from === ">" ? "XREADGROUP >" : "XREADGROUP 0");
    deliveries.push(delivery);
  }
  return { deliveries, lastId: entries[entries.length - 1]?.id, orphans };
}

/**
 * What every consumer does when it starts: its own pending entries first (XREADGROUP … 0, then from the last id
 * read, so an entry that fails again is not read in a loop), until none is left. Returns the message ids resumed.
 */
async function resumeOwn(ctx: Ctx, state: StreamState, consumer: string, conn: Redis): Promise<string[]> {
  const resumed: string[] = [];
  let from = "0";
  for (;;) {
    const { deliveries, lastId, orphans } = await read(ctx, state, consumer, conn, from);
    if (orphans.length > 0) await acknowledgeEntries(conn, keysOf(ctx).stream, GROUP, orphans);
    if (lastId === undefined) return resumed;
    for (const delivery of deliveries) {
      resumed.push(delivery.message.id);
      await process(ctx, state, consumer, conn, delivery);
    }
    from = lastId;
  }
}

/** A consumer's loop: own pending entries first, then new ones (">", blocking), until a read times out. */
async function drain(
  ctx: Ctx,
  state: StreamState,
  consumer: string,
  meter: ReturnType<typeof drainMeter>,
  resumed: boolean,
): Promise<void> {
  const conn = await connectionOf(ctx, state, "stream", consumer);
  if (!resumed) await resumeOwn(ctx, state, consumer, conn);
  for (;;) {
    const { deliveries, lastId } = await read(ctx, state, consumer, conn, ">");
    if (lastId === undefined) return;
    for (const delivery of deliveries) if (await process(ctx, state, consumer, conn, delivery)) meter.handled();
  }
}

function pendingTable(
  state: StreamState,
  entries: { id: string; consumer: string; idleMs: number; deliveries: number }[],
) {
  return {
    columns: ["entry id", "message", "consumer", "idle", "deliveries"],
    rows: entries.map((e) => [e.id, state.messageOf.get(e.id) ?? "?", e.consumer, `${e.idleMs} ms`, e.deliveries]),
  };
}

/** XAUTOCLAIM where the server has it, else XPENDING + XCLAIM (Redis < 6.2, or XAUTOCLAIM renamed or denied). */
function claimOf(server: ServerSupport): ClaimCommand {
  return server.has("XAUTOCLAIM") ? "XAUTOCLAIM" : "XCLAIM";
}

export default defineScenario<QueueParams, StreamState>({
  id: "queue/stream",
  title: (p, server) =>
    `Stream with a consumer group: XREADGROUP, XACK, ${claimOf(server) === "XAUTOCLAIM" ? "XAUTOCLAIM" : "XPENDING + XCLAIM"}, a dead-letter stream${p.crash ? ", two consumers crash" : ""}${p.poison ? ", one poison message" : ""}`,
  needs: [
    "XADD",
    "XGROUP CREATE … MKSTREAM",
    "XREADGROUP",
    "XACK",
    "XPENDING",
    "XCLAIM",
    "XRANGE",
    "XLEN",
    "SADD",
    "SMEMBERS",
    ...SCRIPTS,
  ],
  explain:
    "The chapter's recommended queue: XADD to a stream, a consumer group shares the entries out (XREADGROUP), and each " +
    "stays pending for its consumer until XACK. XPENDING shows who holds what, with idle time and delivery count; a " +
    "restarted consumer reads its own pending entries first (ID 0); XAUTOCLAIM hands a dead consumer's entries to a live " +
    "one after a minimum idle time; a message that keeps failing goes to a dead-letter stream after N deliveries.",
  chapter: CHAPTER,
  defaults: defaultQueueParams,
  // Each message in the queue, a processing list or pending list, and the dead-letter stream at most.
  footprint: (p) => p.messages * 2 * (B.streamEntry + B.listItem + B.hashField),
  init: (p) => ({
    ...initQueueState(p, "stream"),
    claimCommand: "XAUTOCLAIM",
    messageOf: new Map(),
    resumed: [],
    claimed: [],
    pendingAfterCrash: [],
  }),
  steps: (p, server) => {
    const plan = crashPlan(p);
    const live = liveConsumers(p);
    const claim = claimOf(server);
    const steps: StepDef<QueueParams, StreamState>[] = [
      {
        title: `XGROUP CREATE … $ MKSTREAM, then the producer XADDs ${p.messages} e-mails`,
        say:
          'The group is created first, as in the chapter: "$" means it sees only entries added after it, so creating it later ' +
          `would miss these. Entry ids are the server's (*); the message id travels in the fields.${p.poison ? " The last message's address is not an address: it fails every time (a poison message)." : ""}`,
        run: async (ctx, state) => {
          state.claimCommand = claimOf(ctx.server);
          if (state.claimCommand === "XCLAIM") {
            ctx.fallback(
              `XPENDING + XCLAIM for XAUTOCLAIM (XAUTOCLAIM: ${ctx.server.missing("XAUTOCLAIM")}): stuck entries are found with XPENDING and taken over with XCLAIM`,
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
            `${state.messages.length} entries in the stream${state.poisonId ? `; ${state.poisonId} is the poison message` : ""}`,
          );
        },
      },
    ];
    if (plan) {
      steps.push(
        {
          title: `${plan.dies} and ${plan.restarts} each read a batch of ${p.batch} (COUNT ${p.batch}) and crash mid-batch`,
          say: "Same crash point as the lists: the batch's first entries are sent and XACKed, the second-to-last is sent but not XACKed, the last is never started.",
          run: async (ctx, state) => {
            for (const consumer of [plan.dies, plan.restarts]) {
              const conn = await connectionOf(ctx, state, "stream", consumer);
              const { deliveries } = await read(ctx, state, consumer, conn, ">");
              await crashMidBatch(
                ctx,
                state,
                consumer,
                conn,
                deliveries,
                async (d) => {
                  if ((await acknowledgeEntries(conn, keysOf(ctx).stream, GROUP, [d.ref])) === 1)
                    state.ledger.acked(d.message.id, consumer);
                },
                consumer === plan.restarts,
              );
            }
          },
        },
        {
          title: "XPENDING: the server knows exactly what the dead consumers held",
          say: "The summary form counts pending entries per consumer; the extended form lists each with its idle time (server clock) and delivery count.",
          run: async (ctx, state) => {
            const { stream } = keysOf(ctx);
            const summary = await pendingSummary(ctx.redis, stream, GROUP);
            const entries = await pendingEntries(ctx.redis, stream, GROUP, { count: 100 });
            state.pendingAfterCrash = entries.map((e) => ({
              id: e.id,
              consumer: e.consumer,
              deliveries: e.deliveries,
            }));
            ctx.note(
              `${summary.count} pending: ${summary.consumers.map((c) => `${c.consumer} ${c.pending}`).join(", ")}`,
            );
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
              },
            );
          },
        },
        {
          title: `${plan.restarts} restarts: XREADGROUP … STREAMS <stream> 0 returns its own pending entries first`,
          say: 'ID 0 instead of ">" reads this consumer\'s pending entries (another delivery each); then from the last id read, until none is left. Only then new entries.',
          run: async (ctx, state) => {
            const consumer = plan.restarts;
            const conn = await connectionOf(ctx, state, "stream", consumer, true);
            state.resumed = await resumeOwn(ctx, state, consumer, conn);
            const crash = state.crashes.find((c) => c.consumer === consumer);
            const expected = [...(crash?.doneNotAcked ?? []), ...(crash?.notStarted ?? [])];
            ctx.note(
              `resumed ${list(state.resumed)}${crash?.doneNotAcked.length ? `; ${list(crash.doneNotAcked)} had been sent before the crash: sent again (a duplicate)` : ""}`,
            );
            ctx.check(
              "the restarted consumer read back exactly its own pending entries",
              sameIds(state.resumed, expected),
              {
                expected: list(expected),
                actual: list(state.resumed),
              },
            );
          },
        },
      );
    }
    steps.push({
      title: `${live.join(", ")} drain the stream concurrently (XREADGROUP COUNT ${p.batch} BLOCK ${p.blockMs} … >)`,
      say: "Each consumer starts with its own pending entries (ID 0: none for a fresh one), then reads new entries, sends, XACKs, until a read blocks the whole time with nothing new.",
      run: async (ctx, state) => {
        // Every consumer is connected before the first read, so they compete from the start.
        for (const consumer of live) await connectionOf(ctx, state, "stream", consumer);
        const meter = drainMeter(state);
        await runConcurrently(
          live.map((consumer) => drain(ctx, state, consumer, meter, plan !== undefined && consumer === plan.restarts)),
        );
        meter.stop();
        const summary = await pendingSummary(ctx.redis, keysOf(ctx).stream, GROUP);
        ctx.note(
          `still pending: ${summary.count}${summary.count ? ` (${summary.consumers.map((c) => `${c.consumer} ${c.pending}`).join(", ")})` : ""}`,
        );
      },
    });
    steps.push({
      title: `${claimerOf(live)} runs ${claim === "XAUTOCLAIM" ? "XAUTOCLAIM" : "XPENDING + XCLAIM"} every ${p.visibilityMs} ms (minimum idle time) until nothing is pending`,
      say:
        `${claim === "XAUTOCLAIM" ? "XAUTOCLAIM hands" : "XPENDING lists, and XCLAIM hands,"} every entry idle at least the minimum to the caller, with one more delivery each. The idle time is the ` +
        `server's clock, so these waits are real (${p.visibilityMs} ms each). A failing entry is claimed again each round until ` +
        `its delivery count reaches ${p.maxDeliveries}; then it goes to the dead-letter stream.`,
      run: async (ctx, state) => {
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
      },
    });
    steps.push({
      title: "Verdict: nothing pending, nothing lost, the poison message in the dead-letter stream",
      say: "XPENDING must be empty; XRANGE on the dead-letter stream shows what was moved there, with its delivery count and error.",
      run: async (ctx, state) => {
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
          `the stream still holds its ${length} entries (acknowledged entries are not deleted: trim with XADD … MAXLEN or XTRIM)`,
        );
        ctx.check("nothing pending", summary.count === 0, { expected: 0, actual: summary.count });
        ctx.check("nothing lost", counts.lost === 0, {
          expected: 0,
          actual: counts.lost,
          detail: counts.lost ? `lost ${list(counts.lostIds)}` : undefined,
          evidence: {
            values: { produced: counts.produced, handled: counts.handled, "lost ids": list(counts.lostIds) },
          },
        });
        ctx.check(
          "every message was processed at least once (or dead-lettered)",
          counts.handled + counts.deadLettered === counts.produced,
          {
            expected: counts.produced,
            actual: counts.handled + counts.deadLettered,
          },
        );
        ctx.check(
          "the duplicates are exactly the messages sent but not acknowledged before a crash",
          sameIds(counts.duplicateIds, doneNotAcked),
          {
            expected: list(doneNotAcked),
            actual: list(counts.duplicateIds),
            detail: "at-least-once delivery: the work must be idempotent",
          },
        );
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
            },
          );
        }
        const deadIds = dead.map((d) => d.fields?.id ?? "?");
        if (state.poisonId) {
          const attempts = state.ledger.historyOf(state.poisonId).filter((e) => e.kind === "failed").length;
          ctx.check("the dead-lettered message is the poison one", sameIds(deadIds, [state.poisonId]), {
            expected: state.poisonId,
            actual: list(deadIds),
          });
          ctx.check(
            `it was tried ${p.maxDeliveries} times, and its dead-letter entry carries that delivery count`,
            attempts === p.maxDeliveries && dead[0]?.fields?.deliveries === String(p.maxDeliveries),
            {
              expected: `${p.maxDeliveries} attempts, deliveries ${p.maxDeliveries}`,
              actual: `${attempts} attempts, deliveries ${dead[0]?.fields?.deliveries ?? "–"}`,
            },
          );
        } else {
          ctx.check("no dead letters without a poison message", dead.length === 0, {
            expected: 0,
            actual: dead.length,
          });
        }
        const pendingSeen = state.pendingAfterCrash.length;
        ctx.figure({
          what: "unacknowledged entries of dead consumers",
          chapter: '"unacked messages can be re-claimed"; "XPENDING to find stuck messages"',
          measured: plan
            ? `XPENDING found ${pendingSeen}; ${state.resumed.length} read back by the restarted consumer, ${[...new Set(state.claimed.flat())].filter((id) => id !== state.poisonId).length} re-claimed by ${state.claimCommand} after ${p.visibilityMs} ms idle; ${counts.lost} lost`
            : `no crash; ${counts.lost} lost`,
          agrees: plan ? counts.lost === 0 && pendingSeen === doneNotAcked.length + notStarted.length : undefined,
        });
      },
    });
    return steps;
  },
});

/** The consumer that claims stuck entries: the last live one (any would do; claims are atomic on the server). */
function claimerOf(live: string[]): string {
  return live[live.length - 1]!;
}
