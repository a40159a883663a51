import type { Redis } from "ioredis";
import type { ThrowawayServer } from "../../../src/redis/throwaway-server.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

/** A real redis-server for the file (with `serverArgs`), one client, and a fresh key prefix per test. */
export function useLeaderboardRedis(
  name: string,
  serverArgs: string[] = [],
): { redis: () => Redis; prefix: () => string; server: () => ThrowawayServer } {
  const { redis, prefix, server } = usePrefixedRedis(name, serverArgs);
  return { redis, prefix, server };
}
