/**
 * The state a cache-topology run keeps (scenarios/cache/topology.ts): its app instances, each with its own cache
 * connection, and every read with where it came from. The parameters and defaults are in params.ts.
 */
import type { Redis } from "ioredis";
import type { OriginDb } from "../../src/patterns/cache/index.js";
import type { DelayProxy } from "../../src/redis/delay-proxy.js";
import type { ThrowawayServer } from "../../src/redis/throwaway-server.js";
import type { ScenarioContext } from "../../src/runner/types.js";
import type { OriginState } from "./origin.js";
import type { TopologyParams } from "./params.js";

export type Source = "redis" | "db";

/** One app server: where its cache is, its database connection, and (sidecar) its own redis-server. */
export interface Instance {
  name: string;
  cache: Redis;
  db: OriginDb;
  sidecar?: ThrowawayServer;
  sub?: Redis;
  subscriptions: number;
  /** Invalidations its subscriber acted on (a DEL on its own sidecar). */
  dropped: number;
  pending: Promise<unknown>;
}

export interface TopologyState extends OriginState {
  instances: Instance[];
  proxy?: DelayProxy;
  versions: Map<number, number>;
  latencies: number[];
  reads: { instance: string; id: number; source: Source; version: number; stale: boolean; phase: string }[];
  dbReadsWarm: number;
  published: { receivers: number }[];
  channel: string;
  flushedOnReconnect: number;
}

export type Ctx = ScenarioContext<TopologyParams>;
