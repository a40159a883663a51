import { describe, expect, it } from "vitest";
import { enqueueMessage, takeMessage } from "../../../src/patterns/queue/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

const { redis, prefix, another } = usePrefixedRedis("queue-list");

describe("simple list queue", () => {
  it("LPUSH in, BRPOP out: first in, first out", async () => {
    const queue = `${prefix()}:queue:{emails}`;
    for (const p of ["one", "two", "three"]) await enqueueMessage(redis(), queue, p);
    const out = [];
    for (let i = 0; i < 3; i++) out.push(await takeMessage(redis(), queue, { timeoutMs: 100 }));
    expect(out).toEqual(["one", "two", "three"]);
  });

  it("an empty queue answers null once the timeout has passed", async () => {
    expect(await takeMessage(redis(), `${prefix()}:queue:{empty}`, { timeoutMs: 50 })).toBeNull();
  });

  it("a blocked consumer gets a message pushed while it waits", async () => {
    const queue = `${prefix()}:queue:{wait}`;
    const consumer = another();
    const waiting = takeMessage(consumer, queue, { timeoutMs: 2_000 });
    await new Promise((r) => setTimeout(r, 20));
    await enqueueMessage(redis(), queue, "late");
    expect(await waiting).toBe("late");
  });

  it("concurrent consumers each get different messages, and together all of them", async () => {
    const queue = `${prefix()}:queue:{many}`;
    const payloads = Array.from({ length: 200 }, (_, i) => `m${i}`);
    for (const p of payloads) await enqueueMessage(redis(), queue, p);
    const consumers = [another(), another(), another()];
    const got: string[][] = await Promise.all(
      consumers.map(async (c) => {
        const mine: string[] = [];
        for (;;) {
          const p = await takeMessage(c, queue, { timeoutMs: 50 });
          if (p === null) return mine;
          mine.push(p);
        }
      }),
    );
    const all = got.flat();
    expect(all.length).toBe(payloads.length);
    expect(new Set(all)).toEqual(new Set(payloads));
  });

  it("what a consumer popped is nowhere in Redis any more: the pitfall", async () => {
    const queue = `${prefix()}:queue:{gone}`;
    await enqueueMessage(redis(), queue, "only copy");
    expect(await takeMessage(redis(), queue, { timeoutMs: 50 })).toBe("only copy");
    expect(await redis().exists(queue)).toBe(0);
  });
});
