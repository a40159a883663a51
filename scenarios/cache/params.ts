/**
 * The cache pattern's parameters and their defaults, one set per family of scenarios (the CLI's options fill them:
 * src/cli/options/cache.ts): the origin database every scenario reads, the strategies' workload, invalidation,
 * stampede protection, the stale-set race, and the cache topologies. What a run keeps is beside each scenario
 * (workload.ts, stampede-state.ts, topology-state.ts).
 */

export const CHAPTER_CACHING = "4.1 Caching patterns";
export const CHAPTER_PUBSUB = "4.8 Common architecture patterns (3: pub/sub for cache invalidation)";

export const CHAPTER_SIDECAR = "4.8 Common architecture patterns (5: sidecar cache)";

/** Where the origin database is and how far away it pretends to be. */
export interface OriginParams {
  /**
   * `sqlite` (a temporary file), `sqlite:<path>`, or a PostgreSQL URL without its password (the CLI moves a
   * password into PGPASSWORD, so it never appears in the report's params).
   */
  db: string;
  /** Sleep before each statement (a database one network hop away). */
  dbLatencyMs: number;
}

/** SQLite is in-process (microseconds per statement); 1 ms models the network hop a real database sits behind. */
export const DEFAULT_ORIGIN: OriginParams = { db: "sqlite", dbLatencyMs: 1 };

// The four strategies (cache-aside, read-through, write-through, write-behind) on one workload: workload.ts.
export interface WorkloadParams extends OriginParams {
  /** Users 1…keys. */
  keys: number;
  reads: number;
  writes: number;
  /** TTL of every cache entry, ms (real: Redis expires them). */
  ttlMs: number;
  seed: number;
  /** Write-behind: most writes one flush takes, the pause between flushes, and whether the worker dies. */
  batchSize: number;
  flushIntervalMs: number;
  crashBeforeFlush: boolean;
}

export const defaultWorkloadParams: WorkloadParams = {
  ...DEFAULT_ORIGIN,
  keys: 20,
  reads: 100,
  writes: 20,
  ttlMs: 60_000,
  seed: 7,
  batchSize: 10,
  flushIntervalMs: 10,
  crashBeforeFlush: false,
};

// Invalidation by TTL, by event (pub/sub), by version: invalidate-*.ts.
export interface InvalidationParams extends OriginParams {
  /** Users the scenario reads and writes (1…keys). */
  keys: number;
  /** TTL of the cache entries, ms. */
  ttlMs: number;
}

export const defaultInvalidationParams: InvalidationParams = { ...DEFAULT_ORIGIN, keys: 3, ttlMs: 200 };

export interface EventInvalidationParams extends InvalidationParams {
  /** App instances, each with a connection for reads, one subscribed to the channel, and an in-process cache. */
  instances: number;
}

export const defaultEventParams: EventInvalidationParams = {
  ...defaultInvalidationParams,
  ttlMs: 60_000,
  instances: 3,
};

// A stampede on one hot entry, unprotected or under a lock or early expiry: stampede*.ts.
export const protections = ["none", "lock", "early-expiry"] as const;

export type Protection = (typeof protections)[number];

export interface StampedeParams extends OriginParams {
  /** Requests per wave, each on its own connection. */
  concurrency: number;
  /** Waves of requests, evenly spread over 1.5 × the TTL. */
  waves: number;
  /** TTL of the hot entry, ms. */
  ttlMs: number;
  /** Seeds the early-expiry coin flips (each client its own generator). */
  seed: number;
  /**
   * Lock: the recompute lock's TTL, ms (default: 10 × the database latency, at least 1 s). Shorter than a recompute,
   * it lets a second request in while the first still loads: single flight broken by configuration, which fails.
   */
  lockTtlMs?: number;
}

/** The recompute lock's TTL: long enough for a recompute, short enough that a dead holder does not stall everyone. */
export function lockTtlOf(p: StampedeParams): number {
  return p.lockTtlMs ?? Math.max(1_000, 10 * p.dbLatencyMs);
}

/**
 * The database latency here models the expensive query a stampede repeats (a report, an aggregate): 20 ms, a tenth
 * of the TTL.
 */
export const defaultStampedeParams: StampedeParams = {
  db: "sqlite",
  dbLatencyMs: 20,
  concurrency: 8,
  waves: 12,
  ttlMs: 200,
  seed: 7,
};

/** XFetch's β: 1, as in the paper. */
export const BETA = 1;

// A slow reader's SET overwriting a newer write, without and with tombstones: stale-set-race.ts.
export interface RaceParams extends OriginParams {
  /** TTL of the cache entries: how long the stale copy survives without the fix. */
  ttlMs: number;
  /** How long a writer's tombstone lives (longer than any read in flight). */
  tombstoneTtlMs: number;
  /** Reads after the race (each one is stale without the fix). */
  reads: number;
}

export const defaultRaceParams: RaceParams = { ...DEFAULT_ORIGIN, ttlMs: 60_000, tombstoneTtlMs: 5_000, reads: 3 };

// Where the cache sits: a sidecar per app instance, or one remote Redis shared: topology.ts.
export type Topology = "sidecar" | "remote";

export interface TopologyParams extends OriginParams {
  /** App instances (at least 2: one cache between one instance is moot). */
  instances: number;
  /** Users in the database; each instance reads all of them. */
  keys: number;
  /** Reads per instance of one cached user, for the latency percentiles. */
  reads: number;
  ttlMs: number;
  /** Round-trip time a delay proxy adds in front of the shared (remote) Redis; 0: connect directly. */
  remoteLatencyMs: number;
  /** The sidecars' redis-server; null: the --url server's binary when it runs here, else redis-server from PATH. */
  serverBinary: string | null;
}

export const defaultTopologyParams: TopologyParams = {
  ...DEFAULT_ORIGIN,
  instances: 3,
  keys: 3,
  reads: 200,
  ttlMs: 60_000,
  remoteLatencyMs: 0,
  serverBinary: null,
};
