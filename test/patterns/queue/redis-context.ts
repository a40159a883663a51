import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll } from "vitest";
import type { ThrowawayServer } from "../../../src/redis/throwaway-server.js";
import { plainClient, testPrefix, useRedisServer } from "../../helpers/redis.js";

/**
 * A real redis-server for the file, a client (plus more on demand, for concurrent consumers), and a fresh key prefix
 * per test; after each test only keys under that prefix are removed (SCAN MATCH, never KEYS or FLUSHDB).
 */
export function useQueueRedis(name: string): { redis: () => Redis; prefix: () => string; another: () => Redis; server: () => ThrowawayServer } {
  const server = useRedisServer();
  let client: Redis | undefined;
  const extra: Redis[] = [];
  let prefix = testPrefix(name);
  const redis = (): Redis => {
    if (!client) throw new Error("client not connected yet");
    return client;
  };
  beforeAll(() => {
    client = plainClient(server());
  });
  afterEach(async () => {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await redis().scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== "0");
    if (keys.length > 0) await redis().unlink(...keys);
    prefix = testPrefix(name);
  });
  afterAll(() => {
    client?.disconnect();
    for (const c of extra) c.disconnect();
  });
  return {
    redis,
    prefix: () => prefix,
    server,
    another: () => {
      const c = plainClient(server());
      extra.push(c);
      return c;
    },
  };
}
