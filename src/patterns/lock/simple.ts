import { randomBytes } from "node:crypto";
import { runScript } from "../../redis/script.js";
import type { RedisCaller } from "../../redis/types.js";
import { releaseIfOwnerScript } from "../shared/release-if-owner.js";

/** `GET` then `DEL` in one script, only when the token is ours (src/patterns/shared/release-if-owner.ts). */
export const releaseLockScript = releaseIfOwnerScript;

/** A random owner token: who holds the lock, so that only its owner can give it back or extend it. */
export function newLockToken(): string {
  return randomBytes(10).toString("hex");
}

export interface LockOptions {
  /** The owner token to store (see {@link newLockToken}). */
  token: string;
  /** Time to live in milliseconds: Redis deletes the lock by itself this long after the SET (the server's clock). */
  ttlMs: number;
}

export function requireTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0)
    throw new RangeError(`ttlMs must be a positive whole number, got ${ttlMs}`);
}

/**
 * Take a lock: `SET key token NX PX ttl`, one atomic command. True when we now hold it, false when someone does.
 *
 * Pro: one round trip, no script; the TTL frees the lock if the holder dies, so nothing deadlocks.
 * Con: the TTL is a guess. A holder that stalls longer (GC pause, slow call) loses the lock without noticing and
 * keeps working while someone else holds it; see the watchdog and fencing variants.
 */
export async function acquireLock(redis: RedisCaller, key: string, options: LockOptions): Promise<boolean> {
  requireTtl(options.ttlMs);
  const reply = await redis.call("SET", key, options.token, "NX", "PX", String(options.ttlMs));
  return reply === "OK";
}

/**
 * Give a lock back with an owner-checked compare-and-delete. True when it was ours and is now deleted; false when it
 * had expired, or expired and was taken by someone else: their lock is left alone.
 *
 * Pro: a late release can never delete another owner's lock.
 * Con: a false tells the caller only afterwards that its critical section may have overlapped with another.
 */
export async function releaseLock(redis: RedisCaller, key: string, token: string): Promise<boolean> {
  return Number(await runScript(redis, releaseLockScript, [key], [token])) === 1;
}

export interface RetryOptions {
  /** First pause after a refused attempt, in ms; doubled after each refusal… */
  initialDelayMs: number;
  /** …up to this. */
  maxDelayMs: number;
  /** Give up after waiting this long in total. */
  timeoutMs: number;
  /** Stop waiting when this aborts (Ctrl-C); the wait rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Monotonic milliseconds, for measuring the wait; `performance.now` by default. */
  now?: () => number;
}

export interface WaitResult<T> {
  /** What the successful attempt returned, or null after the timeout. */
  grant: T | null;
  /** Attempts made, the successful one included. */
  attempts: number;
  /** From the first attempt to the grant (or to giving up), in ms. */
  waitedMs: number;
}

/** The pause before attempt `attempt + 1` (attempt counts from 1): initial × 2^(attempt−1), capped. */
export function backoffDelay(attempt: number, options: Pick<RetryOptions, "initialDelayMs" | "maxDelayMs">): number {
  return Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Wait for a lock by retrying `attempt` (which returns the grant, or null when the lock is taken) with exponential
 * backoff. Redis has no queue for `SET NX`: a waiter polls.
 *
 * Pro: nothing blocks on the server; the wait is bounded and measured.
 * Con: not fair: a holder that releases and asks again at once usually beats a waiter that is still sleeping.
 */
export async function waitForLock<T>(attempt: () => Promise<T | null>, options: RetryOptions): Promise<WaitResult<T>> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  for (let n = 1; ; n++) {
    options.signal?.throwIfAborted();
    const grant = await attempt();
    const waitedMs = now() - started;
    if (grant !== null) return { grant, attempts: n, waitedMs };
    if (waitedMs >= options.timeoutMs) return { grant: null, attempts: n, waitedMs };
    await pause(Math.min(backoffDelay(n, options), Math.max(0, options.timeoutMs - waitedMs)), options.signal);
  }
}

/** Sleep `ms`, or reject with the signal's reason as soon as it aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
