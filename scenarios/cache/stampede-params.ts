/**
 * The stampede scenarios' parameters and defaults (scenarios/cache/stampede.ts), and the state a run keeps: its
 * clients and every request with what it found and whether it went to the database.
 */
import type { Redis } from "ioredis";
import type { OriginDb, StampedeFetch } from "../../src/patterns/cache/index.js";
import type { OriginParams, OriginState } from "./origin.js";

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

export interface Client {
  label: string;
  redis: Redis;
  db: OriginDb;
  random: () => number;
}

export interface Request {
  wave: number;
  client: string;
  /** ms after the entry was primed. */
  at: number;
  ms: number;
  fetch: StampedeFetch;
}

export interface StampedeState extends OriginState {
  clients: Client[];
  primedAt: number;
  primeDeltaMs: number;
  /** The priming request (the first load, the one the first expiry follows). */
  prime?: StampedeFetch;
  requests: Request[];
  waveMs: number;
  waveCommands: number;
}

/** XFetch's β: 1, as in the paper. */
export const BETA = 1;
