import { commandsNamed } from "../../src/runner/evidence.js";
/**
 * `queue --kind reliable`: the chapter's reliable queue, each message moved into the consumer's own processing list
 * until it is acknowledged; consumers that crash mid-batch, a restart that resumes its own list, and a reaper that
 * returns what stayed too long (a visibility timeout).
 */
import {
  decodeMessage,
  registerConsumer,
  registeredConsumers,
  resumeUnfinished,
  returnStuckMessages,
} from "../../src/patterns/queue/index.js";
import { SCRIPTS } from "../../src/runner/support.js";
import { defineScenario, type StepDef } from "../../src/runner/types.js";
import { CHAPTER, defaultQueueParams, type QueueParams } from "./params.js";
import {
  connectionOf,
  pushAll,
  crashPlan,
  initQueueState,
  list,
  liveConsumers,
  reportCounts,
  sameIds,
  unfinishedByCrash,
  work,
  checkDuplicates,
  checkNothingLost,
} from "./consumers.js";
import { messageEvidence } from "./evidence.js";
import { crashBoth, takeBatch } from "./crash.js";
import { ELEMENT_BYTES as B } from "../../src/redis/memory.js";
import { acknowledge, drainAll, fmtTime, moveOf, queueKeys, take, type ReliableState } from "./reliable-consumer.js";

export default defineScenario<QueueParams, ReliableState>({
  id: "queue/reliable",
  title: (p, server) =>
    `Reliable list queue: ${moveOf(server)} into a processing list, LREM on success, a ` +
    `reaper${p.crash ? ", two consumers crash" : ""}`,
  needs: ["LPUSH", "LLEN", "LREM", "LRANGE", "RPUSH", "HSET", "HGET", "HDEL", "SADD", ...SCRIPTS],
  explain:
    "The chapter's reliable variant: a consumer atomically moves each message into its own processing list " +
    "(BLMOVE … RIGHT LEFT, the successor of BRPOPLPUSH) and notes when it took it; on success it removes it " +
    "(LREM). What a dead consumer held stays there: a restarted consumer resumes its own list first, and a " +
    "reaper returns messages stuck longer than a visibility timeout to the queue. Nothing is lost; a message " +
    "can be worked on twice.",
  chapter: CHAPTER,
  defaults: defaultQueueParams,
  // Each message in the queue, a processing list or pending list, and the dead-letter stream at most.
  footprint: (p) => p.messages * 2 * (B.streamEntry + B.listItem + B.hashField),
  init: (p) => ({
    ...initQueueState(p, "reliable"),
    moveCommand: "BLMOVE",
    returned: [],
    resumed: [],
    takenAt: new Map(),
  }),
  steps: (p, server) => {
    const plan = crashPlan(p);
    const live = liveConsumers(p);
    const move = moveOf(server);
    const steps: StepDef<QueueParams, ReliableState>[] = [
      {
        title: `The producer LPUSHes ${p.messages} e-mails onto reliable:{emails}`,
        say:
          "The same producer as the simple queue. Every key of this queue shares the hash tag {emails}: the " +
          "reaper's script touches several of them at once.",
        run: async (ctx, state) => {
          state.moveCommand = moveOf(ctx.server);
          if (state.moveCommand === "BRPOPLPUSH") {
            ctx.fallback(
              `BRPOPLPUSH for BLMOVE (BLMOVE: ${ctx.server.missing("BLMOVE")}): the chapter's command, ` +
                `deprecated since 6.2`,
            );
          }
          const length = await pushAll(ctx, state, "reliable", queueKeys(ctx).queue);
          ctx.note(`${length} messages waiting`);
        },
      },
    ];
    if (plan) {
      steps.push(
        {
          title: `${plan.dies} and ${plan.restarts} each take ${p.batch} messages and crash mid-batch`,
          say:
            `Each registers (SADD), then takes ${p.batch} messages: ${move} into its processing list, HSET of ` +
            `the time taken. Same crash point as the simple queue: first finished (LREM + HDEL in one MULTI), ` +
            `second sent but not acknowledged, last never started.`,
          run: (ctx, state) =>
            crashBoth(ctx, state, "reliable", plan, {
              takeBatch: async (consumer, conn) => {
                await registerConsumer(conn, queueKeys(ctx), consumer);
                return takeBatch(p.batch, () => take(ctx, state, consumer, conn));
              },
              acknowledge: (consumer, conn, d) => acknowledge(ctx, state, consumer, conn, d),
            }),
        },
        {
          title: "What the crashes left in Redis: the processing lists still hold every unfinished message",
          say: "LRANGE on each crashed consumer's processing list, HGETALL of the taken-at times.",
          run: async (ctx, state) => {
            const keys = queueKeys(ctx);
            const rows: (string | number)[][] = [];
            const held: string[] = [];
            for (const crash of state.crashes) {
              for (const payload of (
                (await ctx.redis.call("LRANGE", keys.processing(crash.consumer), 0, -1)) as string[]
              ).reverse()) {
                held.push(decodeMessage(payload).id);
                rows.push([crash.consumer, decodeMessage(payload).id]);
              }
            }
            const takenAt = (await ctx.redis.call("HGETALL", keys.takenAt)) as string[];
            const when = new Map<string, string>();
            for (let i = 0; i + 1 < takenAt.length; i += 2) when.set(decodeMessage(takenAt[i]!).id, takenAt[i + 1]!);
            ctx.table({
              columns: ["processing list of", "message", "taken at"],
              rows: rows.map(([consumer, id]) => [
                consumer!,
                id!,
                when.has(String(id))
                  ? `${fmtTime(Number(when.get(String(id))))}${ctx.clock.mode === "scenario" ? " (scenario time)" : ""}`
                  : "–",
              ]),
            });
            const { doneNotAcked, notStarted } = unfinishedByCrash(state);
            const expected = [...doneNotAcked, ...notStarted];
            ctx.check(
              "every message the crashed consumers had not acknowledged is still in their processing lists",
              sameIds(held, expected),
              {
                expected: list([...expected].sort()),
                actual: list([...held].sort()),
                evidence: messageEvidence(ctx, [...new Set([...held, ...expected])]),
              },
            );
          },
        },
        {
          title: `${plan.restarts} restarts: first the messages in its own processing list`,
          say:
            "LRANGE of its own processing list (oldest first), a fresh taken-at time for each, then the usual " +
            "work and LREM. New messages only after that.",
          run: async (ctx, state) => {
            const consumer = plan.restarts;
            const conn = await connectionOf(ctx, state, "reliable", consumer, true);
            await registerConsumer(conn, queueKeys(ctx), consumer);
            const now = ctx.clock.now();
            const held = await resumeUnfinished(conn, queueKeys(ctx), consumer, now);
            for (const payload of held) {
              const message = decodeMessage(payload);
              state.takenAt.set(message.id, now);
              state.resumed.push(message.id);
              state.ledger.delivered(message.id, consumer, "own processing list");
              if (work(state, consumer, message).ok)
                await acknowledge(ctx, state, consumer, conn, { message, ref: payload });
            }
            const crash = state.crashes.find((c) => c.consumer === consumer);
            const expected = [...(crash?.doneNotAcked ?? []), ...(crash?.notStarted ?? [])];
            const resent = crash?.doneNotAcked.length
              ? `; ${list(crash.doneNotAcked)} had already been sent before the crash: sent again (a duplicate)`
              : "";
            ctx.note(`resumed ${list(state.resumed)}${resent}`);
            ctx.check(
              "the restarted consumer resumed exactly what it held unacknowledged",
              sameIds(state.resumed, expected),
              {
                expected: list(expected),
                actual: list(state.resumed),
                evidence: messageEvidence(ctx, [...new Set([...state.resumed, ...expected])]),
              },
            );
          },
        },
      );
    }
    steps.push({
      title: `${live.join(", ")} drain the queue concurrently (${p.blockMs / 1000} s blocking timeout)`,
      say:
        `Each consumer: register, then ${move}, send, acknowledge, until a ${move} waits the whole timeout with ` +
        `nothing to take.`,
      run: async (ctx, state) => {
        await drainAll(ctx, state, live);
        const keys = queueKeys(ctx);
        const inFlight = plan ? Number(await ctx.redis.call("LLEN", keys.processing(plan.dies))) : 0;
        if (plan)
          ctx.note(
            `the queue is empty, but ${inFlight} message${inFlight === 1 ? " is" : "s are"} still ` +
              `in ${plan.dies}'s processing list: it is not coming back`,
          );
      },
    });
    steps.push({
      title: `The reaper returns what has been in a processing list longer than ${p.visibilityMs} ms`,
      say:
        "One Lua script looks at every registered consumer's processing list (SMEMBERS gives the names) and " +
        "moves each message older than the visibility timeout back to the front of the queue, atomically. A " +
        "first pass at once returns only what is already that old (on the scenario clock: nothing yet); a " +
        "second pass once the timeout has passed returns the rest. Then the live consumers take the returned " +
        "messages.",
      run: async (ctx, state) => {
        const keys = queueKeys(ctx);
        const reaper = await ctx.connect("reliable:reaper");
        // What a pass at `now` must return: every message still stuck whose stamp is at least the timeout old.
        const stuck = plan
          ? (state.crashes.find((c) => c.consumer === plan.dies)?.doneNotAcked ?? []).concat(
              state.crashes.find((c) => c.consumer === plan.dies)?.notStarted ?? [],
            )
          : [];
        const due = (now: number) =>
          stuck.filter((id) => !state.returned.includes(id) && now - (state.takenAt.get(id) ?? now) >= p.visibilityMs);
        const pass = async () => {
          const now = ctx.clock.now();
          const expected = due(now);
          const consumers = await registeredConsumers(reaper, keys);
          const result = await returnStuckMessages(reaper, keys, consumers, { now, visibilityMs: p.visibilityMs });
          const returned = result.returned.map((r) => decodeMessage(r.payload).id);
          state.returned.push(...returned);
          const clock = ctx.clock.mode === "scenario" ? " scenario time" : "";
          const from = [...new Set(result.returned.map((r) => r.from.split(":").pop() ?? r.from))];
          ctx.note(
            `at ${fmtTime(now)}${clock}: ` +
              `returned ${list(returned)}${from.length ? ` from ${list(from)}'s processing list` : ""}`,
          );
          return { expected, returned };
        };
        const passes = [await pass()];
        if (plan && stuck.some((id) => !state.returned.includes(id))) {
          // On the scenario clock this is a jump; on the real clock a real wait (none if the timeout has passed
          // already).
          const latest = Math.max(...stuck.map((id) => state.takenAt.get(id) ?? 0));
          await ctx.clock.waitUntil(latest + p.visibilityMs, ctx.signal);
          passes.push(await pass());
        }
        const exact = passes.every((ps) => sameIds(ps.returned, ps.expected));
        ctx.check(
          plan
            ? "the reaper returned exactly the dead consumer's messages, each once its visibility timeout had passed"
            : "the reaper returned nothing: no consumer died",
          exact && sameIds(state.returned, stuck),
          {
            expected: passes.map((ps) => list(ps.expected)).join(", then "),
            actual: passes.map((ps) => list(ps.returned)).join(", then "),
            evidence: messageEvidence(ctx, [...new Set([...state.returned, ...stuck])], {
              "visibility timeout (ms)": p.visibilityMs,
            }),
          },
        );
        if (state.returned.length > 0) await drainAll(ctx, state, live);
      },
    });
    steps.push({
      title: "Verdict: nothing lost, duplicates counted, nothing left behind",
      say: "The ledger against what Redis holds: the queue, every processing list and the taken-at hash must be empty.",
      run: async (ctx, state) => {
        const keys = queueKeys(ctx);
        const consumers = await registeredConsumers(ctx.redis, keys);
        let leftover = Number(await ctx.redis.call("LLEN", keys.queue));
        for (const consumer of consumers) leftover += Number(await ctx.redis.call("LLEN", keys.processing(consumer)));
        const stamps = Number(await ctx.redis.call("HLEN", keys.takenAt));
        const counts = reportCounts(ctx, state);
        const { doneNotAcked } = unfinishedByCrash(state);
        ctx.metric("moveCommand", state.moveCommand);
        checkNothingLost(ctx, counts);
        ctx.check("every message was processed at least once", counts.handled === counts.produced, {
          expected: counts.produced,
          actual: counts.handled,
          evidence: messageEvidence(
            ctx,
            state.messages
              .filter((m) => !state.ledger.historyOf(m.id).some((e) => e.kind === "handled"))
              .map((m) => m.id),
            { produced: counts.produced, handled: counts.handled },
          ),
        });
        checkDuplicates(ctx, counts, doneNotAcked);
        ctx.check("the queue, the processing lists and the taken-at hash are empty", leftover === 0 && stamps === 0, {
          expected: "0 messages, 0 stamps",
          actual: `${leftover} messages, ${stamps} stamps`,
          evidence: () => ({
            commands: commandsNamed(ctx.commands(), ["LLEN", "HLEN"]).slice(-(consumers.length + 2)),
          }),
        });
        const stuck = doneNotAcked.length + unfinishedByCrash(state).notStarted.length;
        ctx.figure({
          what: "messages a crash leaves in the processing list",
          chapter: '"On failure: message stays in processing list for retry"',
          measured: plan
            ? `${stuck} stayed; ${state.resumed.length} resumed by the restarted ` +
              `consumer, ${state.returned.length} returned by the reaper after ${p.visibilityMs} ` +
              `ms; ${counts.lost} lost`
            : `no crash; ${counts.lost} lost`,
          agrees: plan ? counts.lost === 0 : undefined,
          note:
            "the chapter leaves the retry to the reader: the reaper (visibility timeout) and the restart are " +
            "that retry",
        });
      },
    });
    return steps;
  },
});
