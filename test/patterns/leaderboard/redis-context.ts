import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll } from "vitest";
import type { ThrowawayServer } from "../../../src/redis/throwaway-server.js";
import { plainClient, testPrefix, useRedisServer } from "../../helpers/redis.js";

/**
 * A real redis-server for the file, one plain client, and a fresh key prefix per test; after each test only keys
 * under that prefix are removed (SCAN MATCH, never KEYS or FLUSHDB).
 */
export function useLeaderboardRedis(name: string, serverArgs: string[] = []): { redis: () => Redis; prefix: () => string; server: () => ThrowawayServer } {
  const server = useRedisServer(serverArgs);
  let client: Redis | undefined;
  let prefix = testPrefix(name);
  const redis = (): Redis => {
    if (!client) throw new Error("client not connected yet");
    return client;
  };
  beforeAll(() => {
    client = plainClient(server());
  });
  afterEach(async () => {
    let cursor = "0";
    do {
      const [next, keys] = await redis().scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      if (keys.length > 0) await redis().unlink(...keys);
      cursor = next;
    } while (cursor !== "0");
    prefix = testPrefix(name);
  });
  afterAll(() => {
    client?.disconnect();
  });
  return { redis, prefix: () => prefix, server };
}
