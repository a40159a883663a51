import type { Redis } from "ioredis";
import type { ThrowawayServer } from "../../../src/redis/throwaway-server.js";
import { usePrefixedRedis } from "../../helpers/redis.js";

/** A real redis-server for the file, two clients (two app servers: WATCH belongs to a connection), a fresh prefix per test. */
export function useSessionRedis(name: string): {
  redis: () => Redis;
  other: () => Redis;
  key: (...parts: string[]) => string;
  server: () => ThrowawayServer;
} {
  const { redis, other, prefix, server } = usePrefixedRedis(name);
  return { redis, other, key: (...parts) => [prefix(), "session", ...parts].join(":"), server };
}
