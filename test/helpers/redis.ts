import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
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
