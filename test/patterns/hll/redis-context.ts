import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll } from "vitest";
import { plainClient, testPrefix, useRedisServer } from "../../helpers/redis.js";
import { keysUnder } from "../ratelimit/redis-context.js";

/**
 * A real redis-server for the file, a client (plus a second one for concurrent writers), and a fresh key prefix per
 * test; after each test only keys under that prefix are removed (SCAN MATCH, never KEYS or FLUSHDB).
 */
export function usePatternRedis(name: string): { redis: () => Redis; other: () => Redis; prefix: () => string } {
  const server = useRedisServer();
  let client: Redis | undefined;
  let second: Redis | undefined;
  let prefix = testPrefix(name);
  const redis = (): Redis => {
    if (!client) throw new Error("client not connected yet");
    return client;
  };
  beforeAll(() => {
    client = plainClient(server());
    second = plainClient(server());
  });
  afterEach(async () => {
    const keys = await keysUnder(redis(), prefix);
    if (keys.length > 0) await redis().unlink(...keys);
    prefix = testPrefix(name);
  });
  afterAll(() => {
    client?.disconnect();
    second?.disconnect();
  });
  return {
    redis,
    other: () => {
      if (!second) throw new Error("client not connected yet");
      return second;
    },
    prefix: () => prefix,
  };
}
