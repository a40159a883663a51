import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll } from "vitest";
import { scanPrefix } from "../../src/redis/cleanup.js";
import { startThrowawayServer, type ThrowawayServer } from "../../src/redis/throwaway-server.js";

/**
 * Start a real redis-server for this test file (free port, no persistence, DEBUG enabled for DIGEST) and stop it
 * afterwards. Returns a getter because the server only exists once beforeAll has run.
 */
export function useRedisServer(args: string[] = []): () => ThrowawayServer {
  let server: ThrowawayServer | undefined;
  beforeAll(async () => {
    server = await startThrowawayServer({ args: ["--enable-debug-command", "yes", ...args] });
  }, 20_000);
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error("redis-server not started yet");
    return server;
  };
}

/** A plain (unrecorded) ioredis client for assertions, with retries off so a broken server fails the test quickly. */
export function plainClient(server: ThrowawayServer): Redis {
  return new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 1, retryStrategy: () => null });
}

let seq = 0;
/** A key prefix unique to one test, so tests never see each other's keys and clean only their own. */
export function testPrefix(name = "t"): string {
  seq += 1;
  return `test:${name}:${process.pid}:${seq}:${Math.random().toString(36).slice(2, 8)}`;
}

export interface PrefixedRedis {
  /** The file's main client. */
  redis(): Redis;
  /** A second client, for a concurrent writer or a second app server (WATCH belongs to a connection). */
  other(): Redis;
  /** One more client on demand (concurrent consumers), disconnected after the file. */
  another(): Redis;
  /** This test's key prefix; a fresh one for every test. */
  prefix(): string;
  server(): ThrowawayServer;
}

/**
 * Pattern-tier tests: a real redis-server for the file, plain clients, and a fresh key prefix per test; after each
 * test only the keys under that prefix are removed (SCAN MATCH, never KEYS or FLUSHDB).
 */
export function usePrefixedRedis(name: string, serverArgs: string[] = []): PrefixedRedis {
  const server = useRedisServer(serverArgs);
  let main: Redis | undefined;
  let second: Redis | undefined;
  const extra: Redis[] = [];
  let prefix = testPrefix(name);
  const need = (c: Redis | undefined): Redis => {
    if (!c) throw new Error("client not connected yet");
    return c;
  };
  beforeAll(() => {
    main = plainClient(server());
    second = plainClient(server());
  });
  afterEach(async () => {
    const keys = await scanPrefix(need(main), prefix);
    if (keys.length > 0) await need(main).unlink(...keys);
    prefix = testPrefix(name);
  });
  afterAll(() => {
    for (const c of [main, second, ...extra]) c?.disconnect();
  });
  return {
    redis: () => need(main),
    other: () => need(second),
    another: () => {
      const c = plainClient(server());
      extra.push(c);
      return c;
    },
    prefix: () => prefix,
    server,
  };
}
