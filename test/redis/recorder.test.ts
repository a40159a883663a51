import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { CommandRecorder } from "../../src/redis/recorder.js";
import { defineScript, runScript } from "../../src/redis/script.js";
import { startThrowawayServer, type ThrowawayServer } from "../../src/redis/throwaway-server.js";
import { testPrefix, useRedisServer } from "../helpers/redis.js";

const server = useRedisServer();
const clients: Redis[] = [];

async function recorded(url: {
  port: number;
  password?: string;
}): Promise<{ redis: Redis; recorder: CommandRecorder }> {
  const recorder = new CommandRecorder();
  const redis = new Redis({
    port: url.port,
    password: url.password,
    lazyConnect: true,
    retryStrategy: () => null,
    enableReadyCheck: false,
    disableClientInfo: true,
    connectionName: "rec-test",
  });
  clients.push(redis);
  const attached = recorder.attach(redis, "main");
  await redis.connect();
  attached.endHandshake();
  return { redis, recorder };
}

afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

describe("CommandRecorder", () => {
  it("records plain commands with argv as sent, raw replies and latency", async () => {
    const { redis, recorder } = await recorded(server());
    const key = testPrefix("rec");
    await redis.call("SET", key, "v", "PX", 60_000);
    await redis.hset(`${key}:h`, { a: "1", b: "2" });
    await redis.hgetall(`${key}:h`);
    await redis.call("DEL", key, `${key}:h`);
    const cmds = recorder.commands.filter((c) => c.phase !== "handshake");
    expect(cmds.map((c) => c.argv)).toEqual([
      ["SET", key, "v", "PX", "60000"],
      ["hset", `${key}:h`, "a", "1", "b", "2"],
      ["hgetall", `${key}:h`],
      ["DEL", key, `${key}:h`],
    ]);
    expect(cmds[0]!.reply).toBe("OK");
    // The reply before ioredis's transformer: a flat array, as redis-cli shows it.
    expect(cmds[2]!.reply).toEqual(["a", "1", "b", "2"]);
    for (const c of cmds) expect(c.ms).toBeGreaterThan(0);
  });

  it("groups pipelines and MULTI/EXEC blocks, with QUEUED replies and EXEC's results", async () => {
    const { redis, recorder } = await recorded(server());
    const key = testPrefix("rec");
    const mark = recorder.mark();
    await redis.pipeline().incr(key).pexpire(key, 60_000).exec();
    await redis.multi().incr(key).del(key).exec();
    const cmds = recorder.since(mark);
    expect(cmds.map((c) => [c.argv[0]!.toUpperCase(), c.batch?.kind, c.reply])).toEqual([
      ["INCR", "pipeline", 1],
      ["PEXPIRE", "pipeline", 1],
      ["MULTI", "multi", "OK"],
      ["INCR", "multi", "QUEUED"],
      ["DEL", "multi", "QUEUED"],
      ["EXEC", "multi", [2, 1]],
    ]);
    expect(cmds[0]!.batch!.id).toBe(cmds[1]!.batch!.id);
    expect(cmds[2]!.batch!.id).not.toBe(cmds[0]!.batch!.id);
  });

  it("shows the EVALSHA → NOSCRIPT → EVAL fallback and error replies", async () => {
    const { redis, recorder } = await recorded(server());
    const script = defineScript(`recorder-test-${Math.random()}`, "return ARGV[1]");
    const mark = recorder.mark();
    expect(await runScript(redis, script, [], ["x"])).toBe("x");
    const cmds = recorder.since(mark);
    expect(cmds.map((c) => c.argv[0])).toEqual(["EVALSHA", "EVAL"]);
    expect(cmds[0]!.error).toMatch(/^NOSCRIPT/);
    expect(cmds[1]!.argv[1]).toBe(script.lua);
  });

  it("marks the handshake and never records a password", async () => {
    let pw: ThrowawayServer | undefined;
    try {
      pw = await startThrowawayServer({ args: ["--requirepass", "hunter2-secret"] });
      const { redis, recorder } = await recorded({ port: pw.port, password: "hunter2-secret" });
      await redis.call("PING");
      const auth = recorder.commands.find((c) => c.argv[0]!.toUpperCase() === "AUTH");
      expect(auth?.phase).toBe("handshake");
      expect(JSON.stringify(recorder.commands)).not.toContain("hunter2-secret");
    } finally {
      for (const c of clients.splice(0)) c.disconnect();
      await pw?.stop();
    }
  });

  it("refuses new commands once the abort signal fires", async () => {
    const { redis, recorder } = await recorded(server());
    const controller = new AbortController();
    recorder.setAbortSignal(controller.signal);
    controller.abort();
    await expect(redis.call("PING")).rejects.toThrow(/interrupted/);
    expect(recorder.commands.filter((c) => c.argv[0] === "PING")).toHaveLength(0);
  });
});
