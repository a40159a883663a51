/**
 * `queue --kind stream`: the chapter's recommended queue, a stream with a consumer group (XREADGROUP, XACK, XPENDING,
 * XAUTOCLAIM or XCLAIM), consumers that crash mid-batch, and a dead-letter stream for a poison message.
 */
import { SCRIPTS } from "../../src/runner/support.js";
import { defineScenario, type StepDef } from "../../src/runner/types.js";
import { CHAPTER, defaultQueueParams, type QueueParams } from "./params.js";
import { crashPlan, initQueueState, liveConsumers } from "./consumers.js";
import { ELEMENT_BYTES as B } from "../../src/redis/memory.js";
import { claimerOf, claimOf, type StreamState } from "./stream-consumer.js";
import {
  claimStuck,
  crashMidBatches,
  drainConcurrently,
  pendingAfterCrash,
  produce,
  restartReadsOwn,
} from "./stream-steps.js";
import { verdict } from "./stream-verdict.js";

export { GROUP } from "./stream-consumer.js";

export default defineScenario<QueueParams, StreamState>({
  id: "queue/stream",
  title: (p, server) =>
    "Stream with a consumer group: XREADGROUP, XACK, " +
    `${claimOf(server) === "XAUTOCLAIM" ? "XAUTOCLAIM" : "XPENDING + XCLAIM"}, a dead-letter ` +
    `stream${p.crash ? ", two consumers crash" : ""}${p.poison ? ", one poison message" : ""}`,
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
    "The chapter's recommended queue: XADD to a stream, a consumer group shares the entries out (XREADGROUP), and " +
    "each stays pending for its consumer until XACK. XPENDING shows who holds what, with idle time and delivery " +
    "count; a restarted consumer reads its own pending entries first (ID 0); XAUTOCLAIM hands a dead consumer's " +
    "entries to a live one after a minimum idle time; a message that keeps failing goes to a dead-letter stream " +
    "after N deliveries.",
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
          'The group is created first, as in the chapter: "$" means it sees only entries added after it, so ' +
          "creating it later would miss these. Entry ids are the server's (*); the message id travels in the fields." +
          (p.poison ? " The last message's address is not an address: it fails every time (a poison message)." : ""),
        run: (ctx, state) => produce(ctx, state),
      },
    ];
    if (plan) {
      steps.push(
        {
          title:
            `${plan.dies} and ${plan.restarts} each read a batch of ${p.batch} (COUNT ${p.batch}) ` +
            "and crash mid-batch",
          say:
            "Same crash point as the lists: the batch's first entries are sent and XACKed, the second-to-last is " +
            "sent but not XACKed, the last is never started.",
          run: (ctx, state) => crashMidBatches(ctx, state, plan),
        },
        {
          title: "XPENDING: the server knows exactly what the dead consumers held",
          say:
            "The summary form counts pending entries per consumer; the extended form lists each with its idle time " +
            "(server clock) and delivery count.",
          run: (ctx, state) => pendingAfterCrash(ctx, state),
        },
        {
          title: `${plan.restarts} restarts: XREADGROUP … STREAMS <stream> 0 returns its own pending entries first`,
          say:
            'ID 0 instead of ">" reads this consumer\'s pending entries (another delivery each); then from the last ' +
            "id read, until none is left. Only then new entries.",
          run: (ctx, state) => restartReadsOwn(ctx, state, plan),
        },
      );
    }
    steps.push({
      title: `${live.join(", ")} drain the stream concurrently (XREADGROUP COUNT ${p.batch} BLOCK ${p.blockMs} … >)`,
      say:
        "Each consumer starts with its own pending entries (ID 0: none for a fresh one), then reads new entries, " +
        "sends, XACKs, until a read blocks the whole time with nothing new.",
      run: (ctx, state) => drainConcurrently(ctx, state, plan, live),
    });
    steps.push({
      title:
        `${claimerOf(live)} runs ${claim === "XAUTOCLAIM" ? "XAUTOCLAIM" : "XPENDING + XCLAIM"} every ` +
        `${p.visibilityMs} ms (minimum idle time) until nothing is pending`,
      say:
        `${claim === "XAUTOCLAIM" ? "XAUTOCLAIM hands" : "XPENDING lists, and XCLAIM hands,"} every entry idle at ` +
        "least the minimum to the caller, with one more delivery each. The idle time is the " +
        `server's clock, so these waits are real (${p.visibilityMs} ms each). A failing entry is claimed again ` +
        "each round until " +
        `its delivery count reaches ${p.maxDeliveries}; then it goes to the dead-letter stream.`,
      run: (ctx, state) => claimStuck(ctx, state, plan, live),
    });
    steps.push({
      title: "Verdict: nothing pending, nothing lost, the poison message in the dead-letter stream",
      say:
        "XPENDING must be empty; XRANGE on the dead-letter stream shows what was moved there, with its delivery " +
        "count and error.",
      run: (ctx, state) => verdict(ctx, state, plan),
    });
    return steps;
  },
});
