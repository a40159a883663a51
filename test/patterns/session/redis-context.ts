import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll } from "vitest";
import type { ThrowawayServer } from "../../../src/redis/throwaway-server.js";
import { plainClient, testPrefix, useRedisServer } from "../../helpers/redis.js";

/**
 * A real redis-server for the file, two clients (two app servers: WATCH belongs to a connection), and a fresh key
 * prefix per test; after each test only the keys under that prefix are removed (SCAN MATCH, never KEYS or FLUSHDB).
 */
export function useSessionRedis(name: string): { redis: () => Redis; other: () => Redis; key: (...parts: string[]) => string; server: () => ThrowawayServer } {
  const server = useRedisServer();
  let a: Redis | undefined;
  let b: Redis | undefined;
  let prefix = testPrefix(name);
  beforeAll(() => {
    a = plainClient(server());
    b = plainClient(server());
  });
  afterEach(async () => {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await a!.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== "0");
    if (keys.length > 0) await a!.unlink(...keys);
    prefix = testPrefix(name);
  });
  afterAll(() => {
    a?.disconnect();
    b?.disconnect();
  });
  const need = (c: Redis | undefined): Redis => {
    if (!c) throw new Error("client not connected yet");
    return c;
  };
  return { redis: () => need(a), other: () => need(b), key: (...parts) => [prefix, "session", ...parts].join(":"), server };
}
