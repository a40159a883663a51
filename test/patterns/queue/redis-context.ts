import type { Redis } from "ioredis";
import type { ThrowawayServer } from "../../../src/redis/throwaway-server.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

/** A real redis-server for the file, a client plus more on demand (concurrent consumers), a fresh prefix per test. */
export function useQueueRedis(name: string): {
  redis: () => Redis;
  prefix: () => string;
  another: () => Redis;
  server: () => ThrowawayServer;
} {
  const { redis, prefix, another, server } = usePrefixedRedis(name);
  return { redis, prefix, another, server };
}
