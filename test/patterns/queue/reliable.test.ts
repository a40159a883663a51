import { describe, expect, it } from "vitest";
import {
  acknowledgeMessage,
  enqueueMessage,
  registerConsumer,
  registeredConsumers,
  resumeUnfinished,
  returnStuckMessages,
  returnStuckScript,
  takeMessageReliably,
  type ReliableQueueKeys,
} from "../../../src/patterns/queue/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis, prefix } = usePrefixedRedis("queue-reliable");

function keys(): ReliableQueueKeys {
  const base = `${prefix()}:reliable:{emails}`;
  return {
    queue: base,
    takenAt: `${base}:taken-at`,
    consumers: `${base}:consumers`,
    processing: (c) => `${base}:processing:${c}`,
  };
}

const at = (t: number) => ({ timeoutMs: 50, now: () => t });

describe("reliable list queue", () => {
  it("the reaper script opens with its header and its local SHA is SCRIPT LOAD's", async () => {
    expect(returnStuckScript.lua).toMatch(/^--\[\[/);
    expect(await redis().call("SCRIPT", "LOAD", returnStuckScript.lua)).toBe(returnStuckScript.sha);
  });

  it("taking moves the oldest message into the consumer's processing list and notes when", async () => {
    const k = keys();
    for (const p of ["one", "two"]) await enqueueMessage(redis(), k.queue, p);
    const taken = await takeMessageReliably(redis(), k, "c1", at(1_000));
    expect(taken).toEqual({ payload: "one", takenAt: 1_000, command: "BLMOVE" });
    expect(await redis().lrange(k.queue, 0, -1)).toEqual(["two"]);
    expect(await redis().lrange(k.processing("c1"), 0, -1)).toEqual(["one"]);
    expect(await redis().hget(k.takenAt, "one")).toBe("1000");
    expect(
      await takeMessageReliably(redis(), keys(), "c1", { timeoutMs: 30, now: () => 0, command: "BLMOVE" }),
    ).not.toBeNull();
    expect(await takeMessageReliably(redis(), keys(), "c1", { timeoutMs: 30, now: () => 0 })).toBeNull();
  });

  it("BRPOPLPUSH (for servers before 6.2) does the same move", async () => {
    const k = keys();
    await enqueueMessage(redis(), k.queue, "old-style");
    const taken = await takeMessageReliably(redis(), k, "c1", { ...at(5), command: "BRPOPLPUSH" });
    expect(taken?.command).toBe("BRPOPLPUSH");
    expect(await redis().lrange(k.processing("c1"), 0, -1)).toEqual(["old-style"]);
  });

  it("acknowledging removes the message and its stamp; a second acknowledgement finds nothing", async () => {
    const k = keys();
    await enqueueMessage(redis(), k.queue, "m");
    await takeMessageReliably(redis(), k, "c1", at(1));
    expect(await acknowledgeMessage(redis(), k, "c1", "m")).toBe(true);
    expect(await redis().llen(k.processing("c1"))).toBe(0);
    expect(await redis().hlen(k.takenAt)).toBe(0);
    expect(await acknowledgeMessage(redis(), k, "c1", "m")).toBe(false);
  });

  it("the reaper returns only what is older than the visibility timeout, to the front of the queue, once", async () => {
    const k = keys();
    for (const p of ["a", "b", "c", "next"]) await enqueueMessage(redis(), k.queue, p);
    await takeMessageReliably(redis(), k, "c1", at(1_000)); // a, old
    await takeMessageReliably(redis(), k, "c1", at(1_000)); // b, old
    await takeMessageReliably(redis(), k, "c2", at(1_900)); // c, recent
    await registerConsumer(redis(), k, "c1");
    await registerConsumer(redis(), k, "c2");
    const consumers = await registeredConsumers(redis(), k);
    expect(consumers).toEqual(["c1", "c2"]);

    const early = await returnStuckMessages(redis(), k, consumers, { now: 1_999, visibilityMs: 1_000 });
    expect(early.returned).toEqual([]);
    const due = await returnStuckMessages(redis(), k, consumers, { now: 2_000, visibilityMs: 1_000 });
    expect(due.returned.map((r) => [r.payload, r.from.split(":").pop(), r.takenAt])).toEqual([
      ["a", "c1", 1_000],
      ["b", "c1", 1_000],
    ]);
    // Returned messages are next in line, oldest first, before "next" which was never taken.
    expect(await redis().lrange(k.queue, 0, -1)).toEqual(["next", "a", "b"]);
    expect(await redis().rpop(k.queue)).toBe("b");
    expect(await redis().lrange(k.processing("c1"), 0, -1)).toEqual([]);
    expect(await redis().lrange(k.processing("c2"), 0, -1)).toEqual(["c"]);
    expect(await redis().hkeys(k.takenAt)).toEqual(["c"]);
    expect((await returnStuckMessages(redis(), k, consumers, { now: 2_000, visibilityMs: 1_000 })).returned).toEqual(
      [],
    );
    // A consumer that was merely slow finds its message gone when it acknowledges.
    expect(await acknowledgeMessage(redis(), k, "c1", "a")).toBe(false);
  });

  it("an unstamped message (consumer died between BLMOVE and HSET) is stamped, returned a timeout later", async () => {
    const k = keys();
    await redis().rpush(k.processing("c1"), "orphan");
    const first = await returnStuckMessages(redis(), k, ["c1"], { now: 10_000, visibilityMs: 100 });
    expect(first).toEqual({ returned: [], stamped: [{ payload: "orphan", from: k.processing("c1") }] });
    expect((await returnStuckMessages(redis(), k, ["c1"], { now: 10_099, visibilityMs: 100 })).returned).toEqual([]);
    expect(
      (await returnStuckMessages(redis(), k, ["c1"], { now: 10_100, visibilityMs: 100 })).returned.map(
        (r) => r.payload,
      ),
    ).toEqual(["orphan"]);
    expect(await redis().lrange(k.queue, 0, -1)).toEqual(["orphan"]);
  });

  it("a restarted consumer gets back its own unfinished messages, oldest first, freshly stamped", async () => {
    const k = keys();
    for (const p of ["x", "y", "z"]) await enqueueMessage(redis(), k.queue, p);
    await takeMessageReliably(redis(), k, "c1", at(1));
    await takeMessageReliably(redis(), k, "c1", at(2));
    expect(await resumeUnfinished(redis(), k, "c1", 500)).toEqual(["x", "y"]);
    expect(await redis().hmget(k.takenAt, "x", "y")).toEqual(["500", "500"]);
    expect(await resumeUnfinished(redis(), k, "nobody", 500)).toEqual([]);
  });
});
