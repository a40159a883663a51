/**
 * The cache-topology scenarios' parameters and defaults (scenarios/cache/topology.ts), and the state a run keeps: its
 * app instances, each with its own cache connection, and every read with where it came from.
 */
import type { Redis } from "ioredis";
import type { OriginDb } from "../../src/patterns/cache/index.js";
import type { DelayProxy } from "../../src/redis/delay-proxy.js";
import type { ThrowawayServer } from "../../src/redis/throwaway-server.js";
import type { ScenarioContext } from "../../src/runner/types.js";
import { DEFAULT_ORIGIN, type OriginParams, type OriginState } from "./origin.js";

export const CHAPTER_SIDECAR = "4.8 Common architecture patterns (5: sidecar cache)";

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
