import { describe, expect, it } from "vitest";
import {
  acknowledgeEntries,
  claimIdleEntries,
  createConsumerGroup,
  deadLetterScript,
  deadLetters,
  pendingEntries,
  pendingSummary,
  publishMessage,
  readGroup,
  recordFailedDelivery,
  removeConsumer,
} from "../../../src/patterns/queue/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis, prefix } = usePrefixedRedis("queue-stream");
const GROUP = "email-workers";

function keys() {
  return { stream: `${prefix()}:stream:{emails}`, deadLetter: `${prefix()}:stream:{emails}:dead-letter` };
}

async function setup(n: number): Promise<{ stream: string; deadLetter: string; ids: string[] }> {
  const k = keys();
  expect(await createConsumerGroup(redis(), k.stream, GROUP)).toBe(true);
  const ids = [];
  for (let i = 1; i <= n; i++) ids.push(await publishMessage(redis(), k.stream, ["id", `m${i}`]));
  return { ...k, ids };
}

const read = (consumer: string, from: string, stream: string, count = 10) =>
  readGroup(redis(), { stream, group: GROUP, consumer, count, from, blockMs: 20 });

describe("stream with a consumer group", () => {
  it("the dead-letter script opens with its header and its local SHA is SCRIPT LOAD's", async () => {
    expect(deadLetterScript.lua).toMatch(/^--\[\[/);
    expect(await redis().call("SCRIPT", "LOAD", deadLetterScript.lua)).toBe(deadLetterScript.sha);
  });

  it("creating the group twice is fine (BUSYGROUP); $ means only entries added afterwards", async () => {
    const k = keys();
    await redis().xadd(k.stream, "*", "id", "before");
    expect(await createConsumerGroup(redis(), k.stream, GROUP, "$")).toBe(true);
    expect(await createConsumerGroup(redis(), k.stream, GROUP, "$")).toBe(false);
    await publishMessage(redis(), k.stream, ["id", "after"]);
    expect((await read("c1", ">", k.stream)).map((e) => e.fields?.id)).toEqual(["after"]);
  });

  it("entries are shared out, pending until XACK, and XPENDING shows owner and delivery count", async () => {
    const { stream, ids } = await setup(4);
    const first = await read("c1", ">", stream, 3);
    const second = await read("c2", ">", stream, 3);
    expect(first.map((e) => e.id)).toEqual(ids.slice(0, 3));
    expect(second.map((e) => e.id)).toEqual(ids.slice(3));
    expect(await read("c3", ">", stream)).toEqual([]); // nothing new: BLOCK timed out
    expect(await acknowledgeEntries(redis(), stream, GROUP, [ids[0]!])).toBe(1);
    expect(await acknowledgeEntries(redis(), stream, GROUP, [ids[0]!])).toBe(0);
    const summary = await pendingSummary(redis(), stream, GROUP);
    expect(summary).toEqual({
      count: 3,
      smallestId: ids[1],
      largestId: ids[3],
      consumers: [
        { consumer: "c1", pending: 2 },
        { consumer: "c2", pending: 1 },
      ],
    });
    const entries = await pendingEntries(redis(), stream, GROUP, { count: 10 });
    expect(entries.map((e) => [e.id, e.consumer, e.deliveries])).toEqual([
      [ids[1], "c1", 1],
      [ids[2], "c1", 1],
      [ids[3], "c2", 1],
    ]);
    expect(entries.every((e) => e.idleMs >= 0)).toBe(true);
    expect((await pendingEntries(redis(), stream, GROUP, { count: 10, consumer: "c2" })).map((e) => e.id)).toEqual([
      ids[3],
    ]);
  });

  it("a consumer reading with ID 0 gets its own pending entries back, one more delivery each", async () => {
    const { stream, ids } = await setup(3);
    await read("c1", ">", stream, 2);
    await read("c2", ">", stream, 1);
    const own = await read("c1", "0", stream);
    expect(own.map((e) => e.id)).toEqual(ids.slice(0, 2));
    expect(own[0]?.fields).toEqual({ id: "m1" });
    expect(await read("c1", ids[1]!, stream)).toEqual([]); // from the last id read: nothing after it
    expect(
      (await pendingEntries(redis(), stream, GROUP, { count: 10, consumer: "c1" })).map((e) => e.deliveries),
    ).toEqual([2, 2]);
  });

  it.each(["XAUTOCLAIM", "XCLAIM"] as const)(
    "%s hands idle entries to another consumer, and only those idle long enough",
    async (command) => {
      const { stream, ids } = await setup(2);
      await read("dead", ">", stream, 2);
      const tooSoon = await claimIdleEntries(redis(), {
        stream,
        group: GROUP,
        consumer: "live",
        minIdleMs: 3_600_000,
        count: 10,
        command,
      });
      expect(tooSoon.entries).toEqual([]);
      const claimed = await claimIdleEntries(redis(), {
        stream,
        group: GROUP,
        consumer: "live",
        minIdleMs: 0,
        count: 10,
        command,
      });
      expect(claimed.command).toBe(command);
      expect(claimed.entries.map((e) => e.id)).toEqual(ids);
      const after = await pendingEntries(redis(), stream, GROUP, { count: 10 });
      expect(after.map((e) => [e.consumer, e.deliveries])).toEqual([
        ["live", 2],
        ["live", 2],
      ]);
    },
  );

  it("XAUTOCLAIM follows its cursor through a pending list longer than COUNT", async () => {
    const { stream, ids } = await setup(7);
    await read("dead", ">", stream, 7);
    const claimed = await claimIdleEntries(redis(), { stream, group: GROUP, consumer: "live", minIdleMs: 0, count: 3 });
    expect(claimed.entries.map((e) => e.id)).toEqual(ids.slice(0, 3));
    const rest = await claimIdleEntries(redis(), { stream, group: GROUP, consumer: "live2", minIdleMs: 0, count: 100 });
    expect(rest.entries.map((e) => e.id)).toEqual(ids); // all seven are idle ≥ 0 ms, including the three just claimed
  });

  it("a failed delivery stays pending until its count hits the maximum, then is dead-lettered and XACKed", async () => {
    const { stream, deadLetter, ids } = await setup(1);
    const id = ids[0]!;
    await read("c1", ">", stream);
    const fail = (consumer: string) =>
      recordFailedDelivery(
        redis(),
        { stream, deadLetter },
        { group: GROUP, consumer, id, maxDeliveries: 3, error: "boom" },
      );
    expect(await fail("c1")).toEqual({ deadLettered: false, deliveries: 1 });
    await claimIdleEntries(redis(), { stream, group: GROUP, consumer: "c2", minIdleMs: 0, count: 10 });
    // c1 no longer owns it: it may not dead-letter it.
    expect(await fail("c1")).toEqual({ deadLettered: false, deliveries: 2 });
    expect(await fail("c2")).toEqual({ deadLettered: false, deliveries: 2 });
    await claimIdleEntries(redis(), { stream, group: GROUP, consumer: "c2", minIdleMs: 0, count: 10 });
    expect(await fail("c2")).toEqual({ deadLettered: true, deliveries: 3 });
    expect((await pendingSummary(redis(), stream, GROUP)).count).toBe(0);
    const dead = await deadLetters(redis(), deadLetter);
    expect(dead).toHaveLength(1);
    expect(dead[0]?.fields).toEqual({ "source-id": id, deliveries: "3", error: "boom", id: "m1" });
    // Once acknowledged, it is no longer anyone's to move.
    expect(await fail("c2")).toEqual({ deadLettered: false, deliveries: 0 });
  });

  it("XGROUP DELCONSUMER reports what the consumer still had pending", async () => {
    const { stream } = await setup(2);
    await read("gone", ">", stream, 2);
    expect(await removeConsumer(redis(), stream, GROUP, "gone")).toBe(2);
    expect((await pendingSummary(redis(), stream, GROUP)).count).toBe(0);
  });
});
