import type { Redis } from "ioredis";
import {
  acquireLock,
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
import { lastSeq, type SeqRange } from "../../src/runner/evidence.js";

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
  /**
   * When the command that last set the lock's TTL was sent (the acquiring SET NX, then each successful renewal), this
   * machine's clock: the server's TTL runs from no earlier than that.
   */
  lastSet: () => number;
  hold: Hold;
  attempts: number;
  waitedMs: number;
  /** Record the gap from `lastSet()` to `now` in `LockState.longestUnrenewedMs` (a reply that proved the lock). */
  unrenewed: (now: number) => void;
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
   * The longest a held lock went unrenewed, in ms of this machine's clock: from sending the command that set its TTL
   * (the SET NX, a renewal) to the reply of the next one that proved it still held (a renewal, the release, or the
   * renewal that found it gone). Below the TTL the server cannot have let the lock expire, so a double hold or a lost
   * increment is the pattern's fault; at or above it this machine was too slow to keep the lock alive (or, without a
   * watchdog, the critical section outlasted the TTL), and the scenario is inconclusive instead.
   */
  longestUnrenewedMs: number;
  /**
   * Without a watchdog: the longest hold, from sending the winning SET NX to the release's reply (the same measure,
   * with no renewal in between). Kept apart: a watchdog that never renewed must not pass for a slow machine.
   */
  longestHoldMs: number;
  /**
   * The counter workload's own measure (the pitfall's stall outlasts the TTL on purpose): the longest renewal gap
   * with a watchdog, the longest hold without one.
   */
  workloadUnrenewedMs: number;
  /** `longestUnrenewedMs` over the expiry pitfall only (worker-1's stall to both releases). */
  pitfallUnrenewedMs: number;
  /** When the counter workload started and ended (performance.now()), for the stall monitor. */
  workloadWindow?: { from: number; to: number };
  finalCount: number | null;
  /** The trace's sequence numbers around the counter workload (its final read included), for its check's evidence. */
  workloadSeqs?: { after: number; upTo: number };
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
  /**
   * The trace's sequence numbers around the pitfall, its evidence: the last before worker-1's grant, after worker-2's
   * attempt in the stall, after worker-2's release.
   */
  seqs?: { after: number; tried?: number; upTo?: number };
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
  /**
   * From sending worker-2's SET NX to the reply of that PTTL, ms: past the TTL, its lock may have expired by itself.
   */
  w2AgeAfterLateReleaseMs?: number;
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
  /** When the DEL was sent and when worker-1's work ended (told or finished), performance.now(). */
  deletedAt: number;
  endedAt: number;
  /** The trace's sequence numbers around the renewal-fails part (its check's evidence). */
  seqs?: SeqRange;
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

/**
 * The simple lock's and the watchdog's lock and resource: SET NX PX with the worker's token (no fencing token), and
 * the counter as a plain string key (GET, add 1 in JavaScript, SET).
 */
export function plainLock(algo: LockAlgorithm): Pick<LockVariant, "tryAcquire" | "init" | "read" | "write"> {
  return {
    async tryAcquire(ctx, redis, token) {
      return (await acquireLock(redis, lockKey(ctx, algo), { token, ttlMs: ctx.params.ttlMs }))
        ? { fence: null }
        : null;
    },
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
    longestUnrenewedMs: 0,
    longestHoldMs: 0,
    workloadUnrenewedMs: 0,
    pitfallUnrenewedMs: 0,
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
  // The SET NX that wins is the last attempt: its send time is where the lock's TTL starts, at the earliest.
  let attemptSentAt = performance.now();
  const attempt = () => {
    attemptSentAt = performance.now();
    return variant.tryAcquire(ctx, worker.redis, token);
  };
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
  let lastSet = attemptSentAt;
  const renewing = variant.watchdog && p.renew;
  const unrenewed = (now: number) => {
    if (renewing) state.longestUnrenewedMs = Math.max(state.longestUnrenewedMs, now - lastSet);
    else state.longestHoldMs = Math.max(state.longestHoldMs, now - lastSet);
  };
  const watchdog = renewing
    ? startWatchdog(worker.redis, lockKey(ctx, variant.algo), token, {
        ttlMs: p.ttlMs,
        onRenew: (_count, sentAt) => {
          unrenewed(performance.now());
          lastSet = sentAt;
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
      unrenewed(now);
      hold.to ??= now;
    },
    { once: true },
  );
  return {
    worker,
    token,
    fence: result.grant.fence,
    watchdog,
    lastSet: () => lastSet,
    unrenewed,
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
  }
  // A hold a lost-lock signal already ended was counted then.
  const counted = grant.hold.to !== undefined;
  grant.hold.to ??= performance.now();
  const released = await releaseLock(grant.worker.redis, lockKey(ctx, variant.algo), grant.token);
  // The gap up to the release's reply counts too (the SET NX or last renewal to the release).
  if (!counted) grant.unrenewed(performance.now());
  return released;
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
    ctx.stalls.point("lock-critical-section");
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
  const from = performance.now();
  const after = lastSeq(ctx.commands());
  const stats = await allWorkers(state.workers.map((w) => workerLoop(ctx, state, variant, w)));
  state.workloadWindow = { from, to: performance.now() };
  state.workloadUnrenewedMs = variant.watchdog && p.renew ? state.longestUnrenewedMs : state.longestHoldMs;
  // From here on the pitfall is measured on its own (see pitfallUnrenewedMs).
  state.longestUnrenewedMs = 0;
  state.longestHoldMs = 0;
  state.waits = stats.flatMap((s) => s.waits);
  state.workloadFailures = stats.reduce((n, s) => n + s.failures.length, 0);
  state.finalCount = await variant.read(ctx, ctx.redis);
  state.workloadSeqs = { after, upTo: lastSeq(ctx.commands()) };
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
    `SET NX is not a queue: a refused worker sleeps ${p.retryInitialMs} → ${p.retryMaxMs} ms (doubling) and ` +
      `asks again, so the worker that just released often takes the lock again at once; the longest wait ` +
      `was ${ms(maxOf(state.waits))}.`,
  );
}
