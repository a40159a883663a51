import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_LISTPACK_ENTRIES,
  boardEncoding,
  boardMemory,
  generatePlayers,
  isCompactEncoding,
  listpackLimit,
  seedBoard,
} from "../../../src/patterns/leaderboard/index.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

// A server with a non-default limit, so reading it (rather than assuming 128) is what makes the tests pass.
const { redis, prefix, server } = usePrefixedRedis("lb-memory", ["--zset-max-listpack-entries", "40"]);

describe("listpackLimit and the encoding switch", () => {
  it("reads the server's limit with CONFIG GET", async () => {
    expect(await listpackLimit(redis())).toEqual({
      entries: 40,
      source: "config",
      setting: "zset-max-listpack-entries",
    });
  });

  it("a board at the limit is a listpack, one more member makes it a skiplist that takes many more bytes", async () => {
    const players = generatePlayers(41, { seed: 2, maxScore: 100 });
    const small = `${prefix()}:{lb}:40`;
    const big = `${prefix()}:{lb}:41`;
    await seedBoard(redis(), small, players.slice(0, 40));
    await seedBoard(redis(), big, players);
    expect(isCompactEncoding(await boardEncoding(redis(), small))).toBe(true);
    expect(await boardEncoding(redis(), big)).toBe("skiplist");
    const a = (await boardMemory(redis(), small)).bytes!;
    const b = (await boardMemory(redis(), big)).bytes!;
    expect(a).toBeGreaterThan(40 * 11); // at least the member names
    expect(b).toBeGreaterThan(2 * a);
  });

  it("without CONFIG and MEMORY permissions: Redis's default limit and no byte count, with the reason", async () => {
    const s = server();
    const user = `lb-${process.pid}`;
    await redis().call("ACL", "SETUSER", user, "on", ">pw", "~*", "+@all", "-config", "-memory");
    const limited = new Redis({
      host: s.host,
      port: s.port,
      username: user,
      password: "pw",
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    try {
      const limit = await listpackLimit(limited);
      expect(limit).toMatchObject({ entries: DEFAULT_LISTPACK_ENTRIES, source: "default" });
      expect(limit.refused).toMatch(/NOPERM/);
      const key = `${prefix()}:{lb}:acl`;
      await seedBoard(redis(), key, generatePlayers(3, { seed: 1, maxScore: 10 }));
      const memory = await boardMemory(limited, key);
      expect(memory.bytes).toBeNull();
      expect(memory.refused).toMatch(/NOPERM/);
    } finally {
      limited.disconnect();
      await redis().call("ACL", "DELUSER", user);
    }
  });
});
