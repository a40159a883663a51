/**
 * The state a stampede run keeps (scenarios/cache/stampede.ts): its clients and every request with what it found and
 * whether it went to the database. The parameters and defaults are in params.ts.
 */
import type { Redis } from "ioredis";
import type { OriginDb, StampedeFetch } from "../../src/patterns/cache/index.js";
import type { OriginState } from "./origin.js";

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
