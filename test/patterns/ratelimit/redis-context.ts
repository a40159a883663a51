import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll } from "vitest";
import { plainClient, testPrefix, useRedisServer } from "../../helpers/redis.js";

/**
 * A real redis-server for the file, one client, and a fresh key prefix per test; after each test only keys under
 * that prefix are removed (SCAN MATCH, never KEYS or FLUSHDB).
 */
export function useRateLimitRedis(name: string): { redis: () => Redis; prefix: () => string } {
  const server = useRedisServer();
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
    const keys = await keysUnder(redis(), prefix);
    if (keys.length > 0) await redis().unlink(...keys);
    prefix = testPrefix(name);
  });
  afterAll(() => {
    client?.disconnect();
  });
  return { redis, prefix: () => prefix };
}

export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  return keys;
}
