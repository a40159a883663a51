import { afterEach, describe, expect, it } from "vitest";
import { WireClient } from "../../src/bench/wire-client.js";
import { tokenBucketLimit } from "../../src/patterns/ratelimit/token-bucket.js";
import { CommandRecorder } from "../../src/redis/recorder.js";
import { testPrefix, useRedisServer } from "../helpers/redis.js";

/** bench's RESP client against a real redis-server: the replies ioredis would give, pipelining, errors, recording. */
const server = useRedisServer();
const open: WireClient[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.quit();
});

async function client(): Promise<WireClient> {
  const c = await WireClient.connect({ host: server().host, port: server().port, name: "wire-test" });
  open.push(c);
  return c;
}

describe("WireClient", () => {
  it("replies as ioredis does: strings, integers, nil, nested arrays, errors", async () => {
    const c = await client();
    const k = testPrefix("wire");
    expect(await c.call("SET", `${k}:s`, "héllo ✓")).toBe("OK");
    expect(await c.call("GET", `${k}:s`)).toBe("héllo ✓");
    expect(await c.call("GET", `${k}:missing`)).toBeNull();
    expect(await c.call("INCRBY", `${k}:n`, 41)).toBe(41);
    // Integers are read from the bytes: negative ones, and past 2^53 rounded as Number() rounds them (as ioredis).
    expect(await c.call("INCRBY", `${k}:n`, -141)).toBe(-100);
    expect(await c.call("SET", `${k}:big`, "9007199254740993")).toBe("OK");
    expect(await c.call("INCRBY", `${k}:big`, 0)).toBe(Number("9007199254740993"));
    expect(await c.call("DEL", `${k}:big`)).toBe(1);
    expect(await c.call("RPUSH", `${k}:l`, "a", "b", "")).toBe(3);
    expect(await c.call("LRANGE", `${k}:l`, 0, -1)).toEqual(["a", "b", ""]);
    await c.call("XGROUP", "CREATE", `${k}:x`, "g", "$", "MKSTREAM");
    const id = await c.call("XADD", `${k}:x`, "*", "f", "v");
    expect(await c.call("XREADGROUP", "GROUP", "g", "c", "COUNT", 1, "STREAMS", `${k}:x`, ">")).toEqual([
      [`${k}:x`, [[id, ["f", "v"]]]],
    ]);
    await expect(c.call("INCR", `${k}:s`)).rejects.toThrow(/not an integer/);
    // The connection goes on after an error reply.
    expect(await c.call("DEL", `${k}:s`, `${k}:n`, `${k}:l`, `${k}:x`)).toBe(4);
  });

  it("names the command an error reply answered, as ioredis does, also in a pipelined write", async () => {
    const c = await client();
    const k = testPrefix("wire");
    await c.call("SET", `${k}:s`, "text");
    const settled = await Promise.allSettled([
      c.call("ECHO", "before"),
      c.call("INCRBY", `${k}:s`, 2),
      c.call("ECHO", "after"),
      c.call("LPUSH", `${k}:s`, "x"),
    ]);
    expect(settled.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected"]);
    const command = (r: PromiseSettledResult<unknown>) => (r as PromiseRejectedResult).reason.command as unknown;
    expect(command(settled[1]!)).toEqual({ name: "INCRBY", args: [`${k}:s`, 2] });
    expect(command(settled[3]!)).toEqual({ name: "LPUSH", args: [`${k}:s`, "x"] });
    await c.call("DEL", `${k}:s`);
  });

  it("pipelines what is issued in one tick, keeps replies in order, reads a reply split over many chunks", async () => {
    const c = await client();
    const k = testPrefix("wire");
    const big = "x".repeat(3_000_000);
    const replies = await Promise.all([
      c.call("SET", `${k}:big`, big),
      ...Array.from({ length: 200 }, (_, i) => c.call("ECHO", `m${i}`)),
      c.call("GET", `${k}:big`),
      c.call("SET", `${k}:bin`, Buffer.from([0, 255, 13, 10])),
      c.call("STRLEN", `${k}:bin`),
    ]);
    expect(replies[0]).toBe("OK");
    expect(replies.slice(1, 201)).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
    expect((replies[201] as string).length).toBe(3_000_000);
    expect(replies[203]).toBe(4);
    await c.call("DEL", `${k}:big`, `${k}:bin`);
  });

  it("runs a pattern's script (EVALSHA, NOSCRIPT, EVAL), each command recorded as for ioredis", async () => {
    const c = await client();
    const recorder = new CommandRecorder();
    c.hooks = recorder.wireHooks("bench-1");
    const key = `${testPrefix("wire")}:tb`;
    await c.call("SCRIPT", "FLUSH");
    const decision = await tokenBucketLimit(c, key, { ratePerSec: 1, burst: 5, now: 1_000 });
    expect(decision.allowed).toBe(true);
    const trace = recorder.commands;
    expect(trace.map((e) => e.argv[0])).toEqual(["SCRIPT", "EVALSHA", "EVAL"]);
    expect(trace[1]!.error).toMatch(/^NOSCRIPT/);
    expect(trace[2]!.argv).toContain(key);
    expect(Array.isArray(trace[2]!.reply)).toBe(true);
    expect(trace.every((e) => e.client === "bench-1" && e.ms >= 0)).toBe(true);
    await c.call("DEL", key);
  });

  it("records each command of a pipelined write with its reply, in order, timed write to read", async () => {
    const c = await client();
    const recorder = new CommandRecorder({ retain: 10 });
    c.hooks = recorder.wireHooks("bench-2");
    const k = testPrefix("wire");
    const replies = await Promise.allSettled([
      c.call("SET", `${k}:n`, "41"),
      c.call("INCR", `${k}:n`),
      c.call("GET", `${k}:n`),
      c.call("HSET", `${k}:n`, "f", "v"),
    ]);
    expect(replies.map((r) => (r.status === "fulfilled" ? r.value : r.reason.name))).toEqual([
      "OK",
      42,
      "42",
      "ReplyError",
    ]);
    const trace = recorder.commands;
    expect(trace.map((e) => [e.seq, e.client, e.argv, e.reply ?? e.error])).toEqual([
      [1, "bench-2", ["SET", `${k}:n`, "41"], "OK"],
      [2, "bench-2", ["INCR", `${k}:n`], 42],
      [3, "bench-2", ["GET", `${k}:n`], "42"],
      [4, "bench-2", ["HSET", `${k}:n`, "f", "v"], expect.stringMatching(/^WRONGTYPE/)],
    ]);
    expect(trace.every((e) => Number.isFinite(e.ms) && e.ms >= 0)).toBe(true);
    c.hooks = undefined;
    await c.call("DEL", `${k}:n`);
  });

  it("fails every command in flight when the connection closes, and later ones at once", async () => {
    const c = await client();
    const killed = c.call("CLIENT", "KILL", "SKIPME", "no");
    const after = killed.then(
      () => c.call("PING"),
      () => c.call("PING"),
    );
    await expect(after).rejects.toThrow(/closed/i);
  });
});
