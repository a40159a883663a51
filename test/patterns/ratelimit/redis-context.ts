import type { Redis } from "ioredis";
import { scanPrefix } from "../../../src/redis/cleanup.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

/** A real redis-server for the file, one client, and a fresh key prefix per test (see usePrefixedRedis). */
export function useRateLimitRedis(name: string): { redis: () => Redis; prefix: () => string } {
  const { redis, prefix } = usePrefixedRedis(name);
  return { redis, prefix };
}

export function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  return scanPrefix(redis, prefix);
}
