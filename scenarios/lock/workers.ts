/**
 * The lock scenarios' workers and what they do with the lock: connect them, take the lock (once or waiting), give it
 * back, and the counter workload every worker runs under it. Their state and the algorithms' differences are in
 * state.ts.
 */
import {
  acquireLock,
  newLockToken,
  percentile,
  releaseLock,
  startWatchdog,
  waitForLock,
  type Hold,
  type LockAlgorithm,
} from "../../src/patterns/lock/index.js";
import { counterKey, type Ctx, lockKey, type LockParams } from "./params.js";
import { maxOf, round } from "../../src/stats.js";
import { lastSeq } from "../../src/runner/evidence.js";
import type { Grant, LockState, LockVariant, Worker } from "./state.js";

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
