import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { WireClient } from "../../src/bench/wire-client.js";
import { CommandRecorder, type RecordedCommand } from "../../src/redis/recorder.js";
import { testPrefix, useRedisServer } from "../helpers/redis.js";

/** The recorder's bounded mode (bench): every command is still recorded and counted, at most `retain` are kept. */
const server = useRedisServer();
const clients: Redis[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

async function recorded(recorder: CommandRecorder): Promise<Redis> {
  const redis = new Redis({
    port: server().port,
    lazyConnect: true,
    retryStrategy: () => null,
    enableReadyCheck: false,
    disableClientInfo: true,
  });
  clients.push(redis);
  const attached = recorder.attach(redis, "main");
  await redis.connect();
  attached.endHandshake();
  return redis;
}

describe("CommandRecorder with retain", () => {
  it("keeps the first `retain` commands, counts all of them, and still tells listeners each reply", async () => {
    const recorder = new CommandRecorder({ retain: 3 });
    const replied: RecordedCommand[] = [];
    recorder.onCommand((cmd, event) => event === "replied" && replied.push(cmd));
    const redis = await recorded(recorder);
    const key = testPrefix("retain");
    const before = recorder.total;
    for (let i = 0; i < 10; i++) await redis.call("INCR", key);
    await redis.call("DEL", key);
    expect(recorder.total - before).toBe(11);
    expect(recorder.commands.length).toBe(Math.min(3, recorder.total));
    expect(replied.filter((c) => c.argv[0] === "INCR").map((c) => c.reply)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Sequence numbers keep counting past what is kept.
    expect(replied[replied.length - 1]!.seq).toBe(recorder.total);
  });

  it("retain 0 keeps nothing; without retain everything is kept, as before", async () => {
    const none = new CommandRecorder({ retain: 0 });
    const all = new CommandRecorder();
    const a = await recorded(none);
    const b = await recorded(all);
    for (const r of [a, b]) for (let i = 0; i < 5; i++) await r.call("PING");
    expect(none.commands).toEqual([]);
    expect(none.total).toBeGreaterThanOrEqual(5);
    expect(all.commands.length).toBe(all.total);
    expect(all.commands.map((c) => c.seq)).toEqual(all.commands.map((_, i) => i + 1));
  });

  it("an entry handed out before its reply gets it when it comes; replies read later are converted then", async () => {
    const recorder = new CommandRecorder();
    const redis = await recorded(recorder);
    const key = testPrefix("lazy");
    const mark = recorder.mark();
    const pending = redis.call("SET", key, "v1");
    // Handed out while the command is in flight: argv is there, the reply comes later.
    const [inFlight] = recorder.since(mark);
    expect(inFlight!.argv).toEqual(["SET", key, "v1"]);
    await pending;
    expect(inFlight!.reply).toBe("OK");
    expect(inFlight!.ms).toBeGreaterThan(0);
    // Not handed out until after the replies: converted when read, in order, with errors as errors.
    await redis.getBuffer(key);
    await redis.call("INCR", key).catch(() => undefined);
    await redis.call("DEL", key);
    const later = recorder.since(mark + 1);
    expect(later.map((c) => [c.argv, c.reply ?? c.error])).toEqual([
      [["get", key], "v1"],
      [["INCR", key], "ERR value is not an integer or out of range"],
      [["DEL", key], 1],
    ]);
    expect(later.every((c) => c.ms > 0)).toBe(true);
  });

  it("large Buffer replies read later stay exact (the parser joins replies spanning reads in a pool)", async () => {
    const recorder = new CommandRecorder();
    const redis = await recorded(recorder);
    const key = testPrefix("big");
    await redis.set(`${key}:a`, "a".repeat(200_000));
    await redis.set(`${key}:b`, "b".repeat(200_000));
    const mark = recorder.mark();
    await redis.getBuffer(`${key}:a`);
    // redis-parser trims its pool every 50 ms; what it handed out stays as it was.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await redis.getBuffer(`${key}:b`);
    await redis.call("HSET", `${key}:h`, "f", "x".repeat(100_000));
    await redis.hgetallBuffer(`${key}:h`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await redis.getBuffer(`${key}:b`);
    await redis.del(`${key}:a`, `${key}:b`, `${key}:h`);
    const [a, b, , h] = recorder.since(mark);
    expect(a!.reply).toBe("a".repeat(200_000));
    expect(b!.reply).toBe("b".repeat(200_000));
    expect(h!.reply).toEqual(["f", "x".repeat(100_000)]);
  });

  it("through bench's wire client, past `retain` a command is only counted, unless someone listens", async () => {
    const recorder = new CommandRecorder({ retain: 2 });
    const wire = await WireClient.connect({ host: server().host, port: server().port });
    try {
      wire.hooks = recorder.wireHooks("bench-1");
      const key = testPrefix("wire-retain");
      // Pipelined (one write): the two kept commands are exact, the three others counted.
      const replies = await Promise.all([1, 2, 3, 4, 5].map(() => wire.call("INCR", key)));
      expect(replies).toEqual([1, 2, 3, 4, 5]);
      expect(recorder.total).toBe(5);
      expect(recorder.commands.map((c) => [c.seq, c.argv, c.reply])).toEqual([
        [1, ["INCR", key], 1],
        [2, ["INCR", key], 2],
      ]);
      // A listener sees every command from then on, in full, with its reply; still none of them is kept.
      const seen: [string, string[], unknown][] = [];
      const stop = recorder.onCommand((c, event) => seen.push([event, c.argv, c.reply]));
      await Promise.all([wire.call("INCR", key), wire.call("DEL", key)]);
      stop();
      expect(seen).toEqual([
        ["sent", ["INCR", key], undefined],
        ["sent", ["DEL", key], undefined],
        ["replied", ["INCR", key], 6],
        ["replied", ["DEL", key], 1],
      ]);
      expect(recorder.total).toBe(7);
      expect(recorder.commands).toHaveLength(2);
    } finally {
      await wire.quit();
    }
  });
});
