import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis, type RedisOptions } from "ioredis";
import { afterAll, afterEach, beforeAll } from "vitest";
import { scanPrefix } from "../../src/redis/cleanup.js";
import { startThrowawayServer, type ThrowawayServer } from "../../src/redis/throwaway-server.js";
import { startLocalCluster, type LocalCluster } from "./cluster.js";

/**
 * The one Redis context of the tests: every real server a test file talks to is started here (or by the scenario
 * harness, test/helpers/scenario.ts, on top of it) in beforeAll and stopped in afterAll. Each `use…` returns getters,
 * because the server only exists once beforeAll has run. Most files want useRedisClient (a server and one plain
 * client); useRedisServer is the server alone, usePrefixedRedis adds a fresh key prefix per test, and
 * usePatternCli (test/helpers/pattern-cli.ts) a way to run a pattern command against the server.
 */
function useForFile<T>(what: string, start: () => Promise<T>, stop: (t: T) => Promise<void>, timeoutMs: number) {
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
  }, timeoutMs);
  afterAll(async () => {
    if (started !== undefined) await stop(started);
  });
  return (): T => {
    if (started === undefined) throw new Error(`${what} not started yet`);
    return started;
  };
}

export interface ServerOptions {
  /** Extra redis-server arguments. */
  args?: string[];
  /** The text of a redis.conf to start it with (e.g. `rename-command CONFIG ""`); `args` still apply on top. */
  config?: string;
}

/** Start a server with DEBUG enabled (for DIGEST) and `args`; `configFile` first when given. */
function startServer(args: string[] = [], configFile?: string): Promise<ThrowawayServer> {
  return startThrowawayServer({
    ...(configFile ? { configFile } : {}),
    args: ["--enable-debug-command", "yes", ...args],
  });
}

/**
 * Start a real redis-server for this test file (free port, no persistence, DEBUG enabled for DIGEST) and stop it
 * afterwards. `args` (or `{ args, config }`: a redis.conf's text, written to a temporary file) change how it runs.
 */
export function useRedisServer(options: string[] | ServerOptions = []): () => ThrowawayServer {
  const { args, config } = Array.isArray(options) ? { args: options, config: undefined } : options;
  let dir: string | undefined;
  const removeDir = () => dir && rmSync(dir, { recursive: true, force: true });
  return useForFile(
    "redis-server",
    async () => {
      if (config === undefined) return startServer(args);
      dir = mkdtempSync(join(tmpdir(), "redis-patterns-conf-"));
      writeFileSync(join(dir, "redis.conf"), config);
      return startServer(args, join(dir, "redis.conf")).catch((err: unknown) => {
        removeDir();
        throw err;
      });
    },
    async (server) => {
      await server.stop();
      removeDir();
    },
    20_000,
  );
}

/** `count` independent masters for this test file (Redlock's nodes); a test may stop some of them. */
export function useRedisServers(count: number): () => ThrowawayServer[] {
  return useForFile(
    `${count} redis-servers`,
    () => Promise.all(Array.from({ length: count }, () => startServer())),
    async (servers) => {
      await Promise.all(servers.map((s) => s.stop()));
    },
    20_000,
  );
}

/** One local Redis Cluster for this test file (test/helpers/cluster.ts starts it). */
export function useLocalCluster(masters = 3, replicas = 1): () => LocalCluster {
  return useForFile(
    "cluster",
    () => startLocalCluster(masters, replicas),
    (c) => c.stop(),
    60_000,
  );
}

/**
 * A plain (unrecorded) ioredis client for assertions, with retries off so a broken server fails the test quickly;
 * `options` override (e.g. a command timeout for a server the test stops).
 */
export function plainClient(server: Pick<ThrowawayServer, "host" | "port">, options: RedisOptions = {}): Redis {
  return new Redis({
    host: server.host,
    port: server.port,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    ...options,
  });
}

/** A test file's Redis: its server and its plain client (getters: both exist once beforeAll has run). */
export interface RedisContext {
  server(): ThrowawayServer;
  /** The file's plain client (plainClient), connected before the first test and disconnected after the last. */
  redis(): Redis;
}

/**
 * A real redis-server for this test file (useRedisServer, with the same `options`) and one plain client to it for
 * assertions and set-up; `clientOptions` go to plainClient (e.g. the password of a server started with
 * --requirepass). Called inside a describe block, both belong to that block.
 */
export function useRedisClient(options: string[] | ServerOptions = [], clientOptions: RedisOptions = {}): RedisContext {
  const server = useRedisServer(options);
  const redis = useForFile(
    "client",
    async () => plainClient(server(), clientOptions),
    async (client) => client.disconnect(),
    20_000,
  );
  return { server, redis };
}

let seq = 0;
/** A key prefix unique to one test, so tests never see each other's keys and clean only their own. */
export function testPrefix(name = "t"): string {
  seq += 1;
  return `test:${name}:${process.pid}:${seq}:${Math.random().toString(36).slice(2, 8)}`;
}

export interface PrefixedRedis extends RedisContext {
  /** A second client, for a concurrent writer or a second app server (WATCH belongs to a connection). */
  other(): Redis;
  /** One more client on demand (concurrent consumers), disconnected after the file. */
  another(): Redis;
  /** This test's key prefix; a fresh one for every test. */
  prefix(): string;
}

/**
 * Pattern-tier tests: a real redis-server for the file, plain clients, and a fresh key prefix per test; after each
 * test only the keys under that prefix are removed (SCAN MATCH, never KEYS or FLUSHDB).
 */
export function usePrefixedRedis(name: string, serverArgs: string[] = []): PrefixedRedis {
  const { server, redis } = useRedisClient(serverArgs);
  let second: Redis | undefined;
  const extra: Redis[] = [];
  let prefix = testPrefix(name);
  beforeAll(() => {
    second = plainClient(server());
  });
  afterEach(async () => {
    const keys = await scanPrefix(redis(), prefix);
    if (keys.length > 0) await redis().unlink(...keys);
    prefix = testPrefix(name);
  });
  afterAll(() => {
    for (const c of [second, ...extra]) c?.disconnect();
  });
  return {
    redis,
    other: () => {
      if (!second) throw new Error("client not connected yet");
      return second;
    },
    another: () => {
      const c = plainClient(server());
      extra.push(c);
      return c;
    },
    prefix: () => prefix,
    server,
  };
}
