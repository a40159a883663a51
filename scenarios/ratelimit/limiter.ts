/**
 * What a built-in rate limiter is to its scenario (scenarios/ratelimit/algorithm-run.ts): one request's decision, the
 * limiter's interface, the run's state, its key naming, and how a limit and a time are written.
 */
import type { ScenarioContext } from "../../src/runner/types.js";
import { tag } from "../../src/redis/keys.js";
import type { ModelRequest, Now, RateLimitAlgorithm, TrafficRequest } from "../../src/patterns/ratelimit/index.js";
import type { RateLimitParams } from "./params.js";

/** One request's outcome, in the shape every algorithm shares plus a few words of detail. */
export interface Decision {
  seq: number;
  client: string;
  at: number;
  cost: number;
  allowed: boolean;
  /** The algorithm's own numbers after the request, compared with the model's. */
  numbers: Record<string, number | null>;
  detail: string;
}

/** What one call of the algorithm decided: the time it used, the decision, its numbers and a few words. */
export type LimiterReply = Pick<Decision, "at" | "allowed" | "numbers" | "detail">;

/** What the reference model decides for a request: the decision and the numbers Redis must match. */
export type ModelDecision = Pick<Decision, "allowed" | "numbers">;

/** What a scenario needs from an algorithm: which keys, one call, the reference model, and its words. */
export interface Limiter {
  algo: RateLimitAlgorithm;
  title(p: RateLimitParams): string;
  explain: string;
  /** True when the script can read the server's TIME (--clock real); else the app's clock picks time and keys. */
  serverTime: boolean;
  call(
    ctx: ScenarioContext<RateLimitParams>,
    client: string,
    now: Now,
    seq: number,
    ttlPaddingMs: number,
  ): Promise<LimiterReply>;
  model(requests: ModelRequest[], p: RateLimitParams): ModelDecision[];
  /** Checks specific to the algorithm, once every request has been decided and the keys inspected. */
  checks(ctx: ScenarioContext<RateLimitParams>, outcome: Outcome): Promise<void> | void;
}

export interface Outcome {
  decisions: Decision[];
  state: RateLimitState;
  /** The most allowed (by cost) for one client within any window of the configured length. */
  maxAllowed: number;
}

export interface RateLimitState {
  traffic: TrafficRequest[];
  decisions: Decision[];
  /** Keys each client's requests touched, for the inspection step. */
  keysByClient: Map<string, Set<string>>;
  /** PTTL of every key at inspection time (-2: gone, -1: no TTL). */
  ttls: Map<string, number>;
  /** Commands (and round trips) the requests themselves took, not the inspection. */
  requestCommands: number;
  requestRoundTrips: number;
}

/** The key of one client's limiter state: `<prefix>:ratelimit:{alice}:<kind>[:<window>]`. */
export function limiterKey(
  ctx: ScenarioContext<RateLimitParams>,
  client: string,
  ...parts: (string | number)[]
): string {
  return ctx.keys.key("ratelimit", tag(client), ...parts);
}

/** The window algorithms' options for one request: the parameters' limit, window and cost, its time. */
export function windowOptions<N>(p: RateLimitParams, now: N, ttlPaddingMs: number) {
  return { limit: p.limit, windowMs: p.windowMs, cost: p.cost, now, ttlPaddingMs };
}

export function rememberKey(state: RateLimitState, client: string, key: string): void {
  const set = state.keysByClient.get(client) ?? new Set<string>();
  set.add(key);
  state.keysByClient.set(client, set);
}

export const fmtTime = (t: number): string => new Date(t).toISOString().slice(11, 23);

export function describeWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

export function limitLabel(p: RateLimitParams): string {
  return `${p.limit} per ${describeWindow(p.windowMs)}`;
}
