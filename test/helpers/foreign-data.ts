import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import type { ThrowawayServer } from "../../src/redis/throwaway-server.js";
import { plainClient, useRedisServer } from "./redis.js";

/**
 * Someone else's data, for the data-safety tests: thousands of application keys of every type (some with TTLs,
 * some binary) and look-alikes right next to the prefixes a run may use (`rp`, `rp:`, `rp:demo:y`,
 * `rp:someone-else:x`, `:x`, a hash, stream and zset under `rp:app:*`, the scenarios' own key shapes with an empty
 * prefix). TTLs are a day long, so nothing expires while a test runs (an expiry would change DEBUG DIGEST).
 */
export const LOOK_ALIKES = ["rp", "rp:", "rp:demo:y", "rp:someone-else:x", ":x", "rp:app:hash", "rp:app:stream"];

export async function fillForeignData(redis: Redis, count = 3000): Promise<number> {
  const DAY_S = 86_400;
  const p = redis.pipeline();
  for (let i = 0; i < count; i++) {
    if (i % 3 === 0) p.set(`user:${i}`, `name-${i}`);
    else if (i % 3 === 1) p.set(`session:${i}`, `token-${i}`, "EX", DAY_S);
    else p.set(Buffer.concat([Buffer.from("bin:"), randomBytes(12)]), randomBytes(20));
  }
  for (const key of ["rp", "rp:", "rp:demo:y", "rp:someone-else:x", ":x"]) p.set(key, "look-alike");
  p.hset("rp:app:hash", "field", "value");
  p.xadd("rp:app:stream", "1-1", "type", "click");
  p.zadd("rp:app:zset", 1, "one", 2, "two");
  // The key shapes the scenarios write, under an empty prefix and under "rp" (what a prefix of ":::" or "rp:" gave).
  p.hset(":ratelimit:{alice}:tb", "tokens", "2.5", "ts", "1705314600000");
  p.hset("rp:ratelimit:{alice}:tb", "tokens", "1", "ts", "1705314600000");
  p.set(":ratelimit:{alice}:fw:202401151030", "7", "EX", DAY_S);
  const results = await p.exec();
  const failed = results?.filter(([err]) => err);
  if (failed?.length) throw new Error(`filling failed: ${String(failed[0]![0])}`);
  return Number(await redis.dbsize());
}

export async function digest(redis: Redis): Promise<string> {
  return String(await redis.call("DEBUG", "DIGEST"));
}

/**
 * For a data-safety test file: a real redis-server filled with `count` of someone else's keys, an admin client on it
 * and the DEBUG DIGEST taken before any run (compare after each run).
 */
export function useForeignData(count = 2000): {
  server: () => ThrowawayServer;
  admin: () => Redis;
  baseline: () => string;
} {
  const server = useRedisServer();
  let admin: Redis | undefined;
  let baseline = "";
  beforeAll(async () => {
    admin = plainClient(server());
    await fillForeignData(admin, count);
    baseline = await digest(admin);
  }, 30_000);
  afterAll(() => admin?.disconnect());
  return {
    server,
    admin: () => {
      if (!admin) throw new Error("not connected yet");
      return admin;
    },
    baseline: () => baseline,
  };
}
