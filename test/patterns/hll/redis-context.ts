import type { Redis } from "ioredis";
import { usePrefixedRedis } from "../../helpers/redis.js";

/** A real redis-server for the file, a client plus a second one for concurrent writers, a fresh prefix per test. */
export function usePatternRedis(name: string): { redis: () => Redis; other: () => Redis; prefix: () => string } {
  const { redis, other, prefix } = usePrefixedRedis(name);
  return { redis, other, prefix };
}
