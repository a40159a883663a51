import { tag } from "../../src/redis/keys.js";
import type { ScenarioContext } from "../../src/runner/types.js";

export interface LockParams {
  /** Workers, each on its own connection (worker-1, worker-2, …). At least 2: a lock between one worker is moot. */
  workers: number;
  /** Read-modify-write increments each worker makes. */
  increments: number;
  /** The lock's TTL in ms. Short, because the expiry pitfall waits for it in real time. */
  ttlMs: number;
  /** How long worker-1 stalls while holding the lock; longer than the TTL, so the lock expires under it. */
  pauseMs: number;
  /** What the lock protects, as in the chapter's `lock:order:456`; also the hash tag of the lock's keys. */
  resource: string;
  /** Backoff while waiting for the lock: first pause and cap, in ms. */
  retryInitialMs: number;
  retryMaxMs: number;
  /** A worker gives up waiting for the lock after this long (a failure of the run, never expected). */
  acquireTimeoutMs: number;
  /** Watchdog: renew the lock while holding it. false (--no-renew) shows what the watchdog prevents: a double hold. */
  renew: boolean;
}

export const defaultParams: LockParams = {
  workers: 3,
  increments: 10,
  ttlMs: 150,
  pauseMs: 300,
  resource: "order-456",
  retryInitialMs: 1,
  retryMaxMs: 16,
  acquireTimeoutMs: 10_000,
  renew: true,
};

export const CHAPTER = "4.5 Distributed locking";

export type Ctx = ScenarioContext<LockParams>;

export function lockKey(ctx: Ctx, algo: string): string {
  return ctx.keys.key("lock", algo, tag(ctx.params.resource), "lock");
}

export function counterKey(ctx: Ctx, algo: string): string {
  return ctx.keys.key("lock", algo, tag(ctx.params.resource), "counter");
}

export function fenceKey(ctx: Ctx, algo: string): string {
  return ctx.keys.key("lock", algo, tag(ctx.params.resource), "fence");
}
