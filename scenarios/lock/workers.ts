import type { Redis } from "ioredis";
import {
  newLockToken,
  percentile,
  releaseLock,
  startWatchdog,
  waitForLock,
  type Hold,
  type LockAlgorithm,
  type LockWatchdog,
} from "../../src/patterns/lock/index.js";
import { counterKey, type Ctx, lockKey, type LockParams } from "./params.js";
import { maxOf, round } from "../../src/stats.js";

export interface Worker {
  label: string;
  redis: Redis;
}

/** A lock a worker holds: its owner token, fencing token, watchdog, and the span it believed it held it. */
export interface Grant {
  worker: Worker;
  token: string;
  fence: number | null;
  watchdog: LockWatchdog | null;
  /** Resolves at the watchdog's first successful renewal (never, without a watchdog). */
  firstRenewal: Promise<void>;
  /** When the lock was last renewed (its acquisition until the first renewal), this machine's clock. */
  lastRenewal: () => number;
  hold: Hold;
  attempts: number;
  waitedMs: number;
}

export interface LockState {
  workers: Worker[];
  holds: Hold[];
  /** Wait of every acquisition in the counter workload, ms. */
  waits: number[];
  attempts: number;
  acquisitions: number;
  /** Fencing tokens in the order they were granted. */
  fences: number[];
  renewals: number;
  /**
   * The longest a held lock went without a renewal (from its acquisition, between renewals, to its release), in ms
   * of this machine's clock. At or above the TTL, the server may rightly have let the lock expire: this machine was
   * too slow to keep it alive, and a double hold then proves nothing about the watchdog.
   */
  maxRenewalGapMs: number;
  finalCount: number | null;
  /** Increments the workload's workers could not make (lock lost, write refused). */
  workloadFailures: number;
  pitfall: PitfallOutcome;
  /** Watchdog: what the holder whose renewal failed was told, and what it did. */
  lost?: LostOutcome;
  staleWritesRejected: number;
  staleWritesAccepted: number;
  /** PTTL of each lock key at the end (-2 gone, -1 no TTL). */
  lockTtls: Map<string, number>;
  /** Watchdogs still running, stopped if a step fails so no renewal outlives the scenario. */
  running: Set<LockWatchdog>;
  /** The pitfall's two grants, from worker-1's stall to its late release (live objects, not report data). */
  grants: { g1?: Grant; g2?: Grant | null };
}

export interface PitfallOutcome {
  start?: number;
  /** worker-1's read before its stall, and whether its late write was taken. */
  read1?: number;
  lateWriteAccepted?: boolean;
  /** PTTL of the lock right after the stall, seen from the main connection. */
  pttlAfterStall?: number;
  renewalsDuringStall?: number;
  /** Whether worker-2 got the lock while worker-1 was still stalled. */
  w2GotItDuringStall?: boolean;
  /** What worker-1's late release answered (1 deleted, 0 not ours). */
  lateRelease?: 0 | 1;
  /** The lock's owner and PTTL right after worker-1's late release. */
  ownerAfterLateRelease?: string | null;
  pttlAfterLateRelease?: number;
  w2Token?: string;
  w2Fence?: number | null;
  w1Fence?: number | null;
  end?: number;
  /** Fencing: the token recorded on the resource at the end. */
  resourceFence?: number;
}

export interface LostOutcome {
  message: string;
  isLockLost: boolean;
  chunksDone: number;
  chunksPlanned: number;
  wrote: boolean;
  valueBefore: number;
  valueAfter: number;
  release: boolean;
  renewalsBefore: number;
}

/** What differs between the three lock algorithms; the scenario around them is the same. */
export interface LockVariant {
  algo: LockAlgorithm;
  title(p: LockParams): string;
  explain: string;
  /** Renew the lock while it is held. */
  watchdog: boolean;
  /** Set the counter to 0 before the workload (main connection). */
  init(ctx: Ctx): Promise<void>;
  /** One attempt to take the lock: the fencing token (or 0 without fencing), or null when it is held. */
  tryAcquire(ctx: Ctx, redis: Redis, token: string): Promise<{ fence: number | null } | null>;
  read(ctx: Ctx, redis: Redis): Promise<number>;
  /** Write the counter; false when the resource refused the write (fencing). */
  write(ctx: Ctx, redis: Redis, value: number, grant: Grant): Promise<boolean>;
  /** Checks on the expiry pitfall specific to the algorithm. */
  checks(ctx: Ctx, state: LockState): Promise<void> | void;
  figure(ctx: Ctx, state: LockState): void;
}

/** The counter as a plain string key (GET, add 1 in JavaScript, SET): the simple lock's and the watchdog's resource. */
export function plainCounter(algo: LockAlgorithm): Pick<LockVariant, "init" | "read" | "write"> {
  return {
    async init(ctx) {
      await ctx.redis.call("SET", counterKey(ctx, algo), "0");
    },
    async read(ctx, redis) {
      return Number((await redis.call("GET", counterKey(ctx, algo))) ?? 0);
    },
    async write(ctx, redis, value) {
      await redis.call("SET", counterKey(ctx, algo), String(value));
      return true;
    },
  };
}

export function initialState(): LockState {
  return {
    workers: [],
    holds: [],
    waits: [],
    attempts: 0,
    acquisitions: 0,
    fences: [],
    renewals: 0,
    maxRenewalGapMs: 0,
    finalCount: null,
    workloadFailures: 0,
    pitfall: {},
    staleWritesRejected: 0,
    staleWritesAccepted: 0,
    lockTtls: new Map(),
    running: new Set(),
    grants: {},
  };
}

export function requireWorkers(p: LockParams): void {
  if (p.workers < 2) throw new RangeError(`a lock needs at least 2 workers to matter, got ${p.workers}`);
  if (p.pauseMs <= p.ttlMs)
    throw new RangeError(`the stall (${p.pauseMs} ms) must be longer than the TTL (${p.ttlMs} ms)`);
}

/** Open worker-1 … worker-W, each its own recorded connection. */
export async function connectWorkers(ctx: Ctx, state: LockState): Promise<void> {
  for (let k = 1; k <= ctx.params.workers; k++) {
    const label = `worker-${k}`;
    state.workers.push({ label, redis: await ctx.connect(label) });
  }
}

/** Run every worker to the end even when one fails (so none keeps sending into the next step), then rethrow. */
export async function allWorkers<T>(tasks: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(tasks);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

export const short = (token: string): string => token.slice(0, 8);

export const ms = (n: number | null | undefined): string => (n === null || n === undefined ? "–" : `${round(n, 2)} ms`);

/**
 * Take the lock for `worker`: one attempt, or wait with backoff. On success, start the watchdog (if the variant has
 * one) and open the worker's hold, which ends when it sends its release or is told the lock is lost.
 */
export async function takeLock(
  ctx: Ctx,
  state: LockState,
  variant: LockVariant,
  worker: Worker,
  wait: boolean,
): Promise<Grant | null> {
  const p = ctx.params;
  const token = newLockToken();
  const attempt = () => variant.tryAcquire(ctx, worker.redis, token);
  const result = wait
    ? await waitForLock(attempt, {
        initialDelayMs: p.retryInitialMs,
        maxDelayMs: p.retryMaxMs,
        timeoutMs: p.acquireTimeoutMs,
        signal: ctx.signal,
      })
    : { grant: await attempt(), attempts: 1, waitedMs: 0 };
  state.attempts += result.attempts;
  if (result.grant === null) return null;
  state.acquisitions += 1;
  const hold: Hold = { owner: worker.label, from: performance.now() };
  state.holds.push(hold);
  if (result.grant.fence !== null) state.fences.push(result.grant.fence);
  let renewed: () => void = () => {};
  const firstRenewal = new Promise<void>((resolve) => (renewed = resolve));
  let lastRenewal = hold.from;
  const watchdog =
    variant.watchdog && p.renew
      ? startWatchdog(worker.redis, lockKey(ctx, variant.algo), token, {
          ttlMs: p.ttlMs,
          onRenew: () => {
            const now = performance.now();
            state.maxRenewalGapMs = Math.max(state.maxRenewalGapMs, now - lastRenewal);
            lastRenewal = now;
            state.renewals += 1;
            renewed();
          },
        })
      : null;

  if (watchdog) state.running.add(watchdog);
  // Told the lock is lost: from here on the worker no longer believes it holds it.
  // The renewal that found the lock gone ends a gap too: count it, so a stall of this machine past the TTL is told
  // apart (inconclusive) from a watchdog that renewed on time and still lost the lock (a real failure).
  watchdog?.signal.addEventListener(
    "abort",
    () => {
      const now = performance.now();
      state.maxRenewalGapMs = Math.max(state.maxRenewalGapMs, now - lastRenewal);
      hold.to ??= now;
    },
    { once: true },
  );
  return {
    worker,
    token,
    fence: result.grant.fence,
    watchdog,
    lastRenewal: () => lastRenewal,
    firstRenewal,
    hold,
    attempts: result.attempts,
    waitedMs: result.waitedMs,
  };
}

/** Stop the watchdog, end the hold, and send the owner-checked release. True when the lock was still ours. */
export async function giveBack(ctx: Ctx, state: LockState, variant: LockVariant, grant: Grant): Promise<boolean> {
  if (grant.watchdog) {
    await grant.watchdog.stop();
    state.running.delete(grant.watchdog);
    // The gap up to the end of the hold counts too (the last renewal to the release).
    if (grant.hold.to === undefined)
      state.maxRenewalGapMs = Math.max(state.maxRenewalGapMs, performance.now() - grant.lastRenewal());
  }
  grant.hold.to ??= performance.now();
  return releaseLock(grant.worker.redis, lockKey(ctx, variant.algo), grant.token);
}

interface WorkerStats {
  worker: string;
  increments: number;
  attempts: number;
  waits: number[];
  failures: string[];
}

/** Each worker: M times take the lock, GET the counter, add 1 in JS, write it back, release. */
async function workerLoop(ctx: Ctx, state: LockState, variant: LockVariant, worker: Worker): Promise<WorkerStats> {
  const stats: WorkerStats = { worker: worker.label, increments: 0, attempts: 0, waits: [], failures: [] };
  for (let i = 0; i < ctx.params.increments; i++) {
    const grant = await takeLock(ctx, state, variant, worker, true);
    if (!grant) throw new Error(`${worker.label} gave up waiting for the lock after ${ctx.params.acquireTimeoutMs} ms`);
    stats.attempts += grant.attempts;
    stats.waits.push(grant.waitedMs);
    const value = await variant.read(ctx, worker.redis);
    if (grant.watchdog?.signal.aborted)
      stats.failures.push(`lock lost before writing: ${String((grant.watchdog.signal.reason as Error).message)}`);
    else if (await variant.write(ctx, worker.redis, value + 1, grant)) stats.increments += 1;
    else stats.failures.push("write refused");
    // False here means the TTL ran out inside the critical section (a stall longer than the TTL): say so.
    if (!(await giveBack(ctx, state, variant, grant)))
      stats.failures.push(`the lock expired before its release (the increment took over ${ctx.params.ttlMs} ms)`);
  }
  return stats;
}

export async function counterWorkload(ctx: Ctx, state: LockState, variant: LockVariant): Promise<void> {
  const p = ctx.params;
  requireWorkers(p);
  await connectWorkers(ctx, state);
  await variant.init(ctx);
  const stats = await allWorkers(state.workers.map((w) => workerLoop(ctx, state, variant, w)));
  state.waits = stats.flatMap((s) => s.waits);
  state.workloadFailures = stats.reduce((n, s) => n + s.failures.length, 0);
  state.finalCount = await variant.read(ctx, ctx.redis);
  ctx.table({
    columns: ["worker", "increments", "lock attempts", "refused attempts", "wait p50", "wait p99", "wait max"],
    rows: stats.map((s) => [
      s.worker,
      s.increments,
      s.attempts,
      s.attempts - s.waits.length,
      ms(percentile(s.waits, 50)),
      ms(percentile(s.waits, 99)),
      ms(maxOf(s.waits)),
    ]),
  });
  const expected = p.workers * p.increments;
  ctx.note(
    `final count ${state.finalCount} of ${expected} expected (${p.workers} workers × ${p.increments} increments)`,
  );
  const failures = stats.flatMap((s) => s.failures.map((f) => `${s.worker}: ${f}`));
  if (failures.length > 0) ctx.note(`problems: ${failures.slice(0, 5).join("; ")}${failures.length > 5 ? " …" : ""}`);
  ctx.note(
    `SET NX is not a queue: a refused worker sleeps ${p.retryInitialMs} → ${p.retryMaxMs} ms (doubling) and asks again, so the worker that ` +
      `just released often takes the lock again at once; the longest wait was ${ms(maxOf(state.waits))}.`,
  );
}
