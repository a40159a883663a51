import type { ClockMode } from "../../src/runner/clock.js";
import type { TrafficShape } from "../../src/patterns/ratelimit/index.js";

export interface RateLimitParams {
  limit: number;
  windowMs: number;
  /** Token bucket: refill per second, and capacity. */
  ratePerSec: number;
  burst: number;
  cost: number;
  requestsPerClient: number;
  clients: string[];
  traffic: TrafficShape;
  clock: ClockMode;
}

export const CLIENT_NAMES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];

export function clientNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => CLIENT_NAMES[i] ?? `client-${i + 1}`);
}

export const defaultParams: RateLimitParams = {
  limit: 10,
  windowMs: 60_000,
  ratePerSec: 10 / 60,
  burst: 10,
  cost: 1,
  requestsPerClient: 30,
  clients: ["alice"],
  traffic: "boundary",
  clock: "scenario",
};

/**
 * In scenario time a minute passes in milliseconds, but Redis expires keys in real time: a key whose TTL is computed
 * in scenario time could outlive the scenario's view of it, which is harmless, but never the other way round. So
 * with the scenario clock every TTL gets this much real time on top, so Redis never expires a key earlier than the
 * simulated clock says it should. With --clock real the padding is 0 and TTLs are exact.
 */
export const SCENARIO_TTL_PADDING_MS = 60_000;
