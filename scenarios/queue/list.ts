import { commandsOn } from "../../src/runner/evidence.js";
import type { Redis } from "ioredis";
import { decodeMessage, queueFeatures, takeMessage } from "../../src/patterns/queue/index.js";
import { tag } from "../../src/redis/keys.js";
import { defineScenario, type ScenarioContext, type StepDef } from "../../src/runner/types.js";
import { CHAPTER, defaultQueueParams, type QueueParams } from "./params.js";
import {
  connectionOf,
  pushAll,
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
import { messageEvidence } from "./evidence.js";
import { crashBoth, takeBatch } from "./crash.js";
import { ELEMENT_BYTES as B } from "../../src/redis/memory.js";

type Ctx = ScenarioContext<QueueParams>;

/** The chapter's key, `queue:emails`, with the name as hash tag. */
const queueKey = (ctx: Ctx) => ctx.keys.key("queue", tag("emails"));

function takeOptions(ctx: Ctx) {
  return { timeoutMs: ctx.params.blockMs, fractionalTimeout: queueFeatures(ctx.target.version).fractionalTimeouts };
}

async function take(ctx: Ctx, state: QueueState, consumer: string, conn: Redis): Promise<Delivery | null> {
  const payload = await takeMessage(conn, queueKey(ctx), takeOptions(ctx));
  if (payload === null) return null;
  const message = decodeMessage(payload);
  state.ledger.delivered(message.id, consumer, "BRPOP");
  return { message, ref: payload };
}

/** A consumer's loop: BRPOP, send, until a BRPOP times out (the queue stayed empty for the whole timeout). */
async function drain(
  ctx: Ctx,
  state: QueueState,
  consumer: string,
  meter: ReturnType<typeof drainMeter>,
): Promise<void> {
  const conn = await connectionOf(ctx, state, "list", consumer);
  for (;;) {
    const delivery = await take(ctx, state, consumer, conn);
    if (!delivery) return;
    // The pop was the acknowledgement: once the work is done, the message is finished.
    if (work(state, consumer, delivery.message).ok) {
      state.ledger.acked(delivery.message.id, consumer);
      meter.handled();
    }
  }
}

export default defineScenario<QueueParams, QueueState>({
  id: "queue/list",
  title: (p) =>
    `Simple queue: LPUSH and BRPOP, ${p.messages} messages, ${p.consumers} ` +
    `consumers${p.crash ? ", two of them crash" : ""}`,
  explain:
    "The chapter's simple queue: producers LPUSH onto a list, consumers BRPOP from the other end (first in, " +
    "first out), blocking while it is empty. Each message goes to exactly one consumer, but the pop is the " +
    "acknowledgement: a consumer that dies after BRPOP and before finishing takes the message with it, and " +
    "nothing anywhere records it.",
  chapter: CHAPTER,
  defaults: defaultQueueParams,
  // Each message in the queue, a processing list or pending list, and the dead-letter stream at most.
  footprint: (p) => p.messages * 2 * (B.streamEntry + B.listItem + B.hashField),
  init: (p) => initQueueState(p, "list"),
  needs: ["LPUSH", "BRPOP", "LLEN", "LRANGE"],
  steps: (p) => {
    const plan = crashPlan(p);
    const live = liveConsumers(p);
    const steps: StepDef<QueueParams, QueueState>[] = [
      {
        title: `The producer LPUSHes ${p.messages} e-mails onto queue:{emails}`,
        say:
          "LPUSH adds on the left, BRPOP takes from the right: the oldest message is served first. The list " +
          "holds the only copy of each message.",
        run: async (ctx, state) => {
          const length = await pushAll(ctx, state, "list", queueKey(ctx));
          ctx.note(
            `${length} messages waiting (${state.messages[0]?.id} … ${state.messages[state.messages.length - 1]?.id})`,
          );
        },
      },
    ];
    if (plan) {
      steps.push(
        {
          title: `${plan.dies} and ${plan.restarts} each take ${p.batch} messages and crash mid-batch`,
          say:
            `Each consumer works on ${p.batch} messages at once (${p.batch} BRPOPs). The crash point is fixed, ` +
            `so every run fails the same way: the batch's first messages are finished, the second-to-last is ` +
            `sent but not acknowledged, the last is never started.`,
          run: (ctx, state) =>
            crashBoth(ctx, state, "list", plan, {
              takeBatch: (consumer, conn) => takeBatch(p.batch, () => take(ctx, state, consumer, conn)),
              // With a plain list there is nothing to acknowledge: the work being done is all there is.
              acknowledge: async (consumer, _conn, d) => state.ledger.acked(d.message.id, consumer),
            }),
        },
        {
          title: "What the crashes left in Redis: nothing of the messages they held",
          say:
            "LRANGE shows what is still queued. A message the dead consumers popped and did not finish is in no " +
            "list at all.",
          run: async (ctx, state) => {
            const queued = ((await ctx.redis.call("LRANGE", queueKey(ctx), 0, -1)) as string[]).map(
              (t) => decodeMessage(t).id,
            );
            const { notStarted } = unfinishedByCrash(state);
            const stillThere = notStarted.filter((id) => queued.includes(id));
            ctx.note(
              `${queued.length} still queued; never started by the dead consumers: ${list(notStarted)}; of ` +
                `those still in Redis: ${list(stillThere)}`,
            );
            ctx.check(
              "the messages the crashed consumers never started are gone from Redis",
              notStarted.length > 0 && stillThere.length === 0,
              {
                expected: `${list(notStarted)} absent from the queue`,
                actual: stillThere.length === 0 ? "absent" : `still queued: ${list(stillThere)}`,
                detail: "BRPOP removed them; no list, hash or pending entry remembers that they were taken",
                evidence: messageEvidence(ctx, notStarted, { "still queued": queued.length }),
              },
            );
          },
        },
        {
          title: `${plan.restarts} restarts: it has nothing to resume`,
          say: "A list consumer keeps no record of what it held: after a restart it can only take new messages.",
          run: async (ctx, state) => {
            await connectionOf(ctx, state, "list", plan.restarts, true);
            const mine = state.crashes.find((c) => c.consumer === plan.restarts);
            ctx.note(
              `${plan.restarts} held ${list(mine?.notStarted ?? [])} unfinished when it died; nothing in Redis ` +
                `points back to ${(mine?.notStarted.length ?? 0) === 1 ? "it" : "them"}`,
            );
          },
        },
      );
    }
    steps.push({
      title: `${live.join(", ")} drain the queue concurrently (BRPOP, ${p.blockMs / 1000} s timeout)`,
      say:
        `Each consumer loops on BRPOP until one waits the whole timeout with nothing to take. The chapter's 30 ` +
        `s timeout would outlast the client's command timeout (5 s by default): blocking timeouts stay well ` +
        `under it.`,
      run: async (ctx, state) => {
        // Every consumer is connected before the first BRPOP, so they compete from the start.
        for (const consumer of live) await connectionOf(ctx, state, "list", consumer);
        const before = state.ledger.events.length;
        const meter = drainMeter(state);
        await runConcurrently(live.map((consumer) => drain(ctx, state, consumer, meter)));
        meter.stop();
        const drained = state.ledger.events.slice(before);
        const perConsumer = live.map(
          (c) => `${c}: ${drained.filter((e) => e.kind === "handled" && e.consumer === c).length}`,
        );
        ctx.note(`sent per consumer: ${perConsumer.join(", ")}`);
      },
    });
    steps.push({
      title: "Verdict: produced, sent, lost",
      say:
        "The app's ledger against what Redis holds: every produced message should have been sent, and the list " +
        "should be empty.",
      run: async (ctx, state) => {
        const left = Number(await ctx.redis.call("LLEN", queueKey(ctx)));
        const counts = reportCounts(ctx, state);
        const { notStarted } = unfinishedByCrash(state);
        ctx.check("the queue is empty", left === 0, {
          expected: 0,
          actual: left,
          evidence: { commands: commandsOn(ctx.commands(), queueKey(ctx)).slice(-1) },
        });
        if (plan) {
          ctx.check("a consumer that crashes after BRPOP loses messages (the pitfall)", counts.lost > 0, {
            expected: "> 0",
            actual: counts.lost,
            detail: "the reason for the reliable queue and for streams",
            evidence: messageEvidence(ctx, counts.lostIds, { produced: counts.produced, handled: counts.handled }),
          });
          ctx.check(
            "the lost messages are exactly those the crashed consumers never finished",
            sameIds(counts.lostIds, notStarted),
            {
              expected: list(notStarted),
              actual: list(counts.lostIds),
              evidence: { values: { produced: counts.produced, handled: counts.handled, lost: counts.lost } },
            },
          );
        } else {
          ctx.check("without a crash nothing is lost", counts.lost === 0, {
            expected: 0,
            actual: counts.lost,
            evidence: messageEvidence(ctx, counts.lostIds, { produced: counts.produced, handled: counts.handled }),
          });
        }
        ctx.check("no message was sent twice", counts.duplicates === 0, {
          expected: 0,
          actual: counts.duplicates,
          detail: "each BRPOP hands a message to one consumer, once",
          evidence: messageEvidence(ctx, counts.duplicateIds, { produced: counts.produced, handled: counts.handled }),
        });
        ctx.figure({
          what: "messages lost when consumers die between BRPOP and finishing",
          chapter: 'simple queue; "for reliable processing" use BRPOPLPUSH',
          measured: `${counts.lost} of ${counts.produced} lost (${list(counts.lostIds)})`,
          agrees: plan ? counts.lost > 0 : undefined,
          note: plan ? "the chapter implies the loss; here it happens" : "no crash in this run",
        });
      },
    });
    return steps;
  },
});
