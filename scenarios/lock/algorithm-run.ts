import type { Redis } from "ioredis";
import { tag } from "../../src/redis/keys.js";
import {
  LockLostError,
  newLockToken,
  overlappingHolds,
  pause,
  percentile,
  releaseLock,
  startWatchdog,
  waitForLock,
  type Hold,
  type LockAlgorithm,
  type LockWatchdog,
} from "../../src/patterns/lock/index.js";
import { sleep } from "../../src/runner/clock.js";
import {
  defineScenario,
  type ScenarioContext,
  type ScenarioDef,
  type StepDef,
  type TableData,
} from "../../src/runner/types.js";

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
};

export const CHAPTER = "4.5 Distributed locking";

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

const short = (token: string): string => token.slice(0, 8);
export const ms = (n: number | null | undefined): string => (n === null || n === undefined ? "–" : `${round(n, 2)} ms`);

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

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
  const watchdog = variant.watchdog
    ? startWatchdog(worker.redis, lockKey(ctx, variant.algo), token, {
        ttlMs: p.ttlMs,
        onRenew: () => {
          state.renewals += 1;
          renewed();
        },
      })
    : null;
  if (watchdog) state.running.add(watchdog);
  // Told the lock is lost: from here on the worker no longer believes it holds it.
  watchdog?.signal.addEventListener("abort", () => (hold.to ??= performance.now()), { once: true });
  return {
    worker,
    token,
    fence: result.grant.fence,
    watchdog,
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

async function counterWorkload(ctx: Ctx, state: LockState, variant: LockVariant): Promise<void> {
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

/** Step 2: worker-1 takes the lock, reads, and stalls past the TTL (real time: expiry runs on the server's clock). */
async function stallPastTtl(ctx: Ctx, state: LockState, variant: LockVariant): Promise<void> {
  const p = ctx.params;
  const [w1] = state.workers;
  const key = lockKey(ctx, variant.algo);
  const g1 = await takeLock(ctx, state, variant, w1!, true);
  if (!g1) throw new Error("worker-1 could not take the free lock");
  state.grants = { g1 };
  state.pitfall.start = await variant.read(ctx, w1!.redis);
  state.pitfall.read1 = state.pitfall.start;
  state.pitfall.w1Fence = g1.fence;
  ctx.note(
    `worker-1 holds the lock (owner token ${short(g1.token)}…${g1.fence !== null ? `, fencing token ${g1.fence}` : ""}) and read the counter: ${state.pitfall.read1}`,
  );
  const renewalsBefore = state.renewals;
  await sleep(p.pauseMs, ctx.signal);
  state.pitfall.renewalsDuringStall = state.renewals - renewalsBefore;
  const pttl = Number(await ctx.redis.call("PTTL", key));
  state.pitfall.pttlAfterStall = pttl;
  ctx.note(
    `worker-1 stalled for ${p.pauseMs} ms (a GC pause, swapping, a slow call) with a ${p.ttlMs} ms TTL; it has no idea how long it was gone`,
  );
  ctx.note(
    "Clock: the TTL runs on the Redis server's clock, not worker-1's, and nothing tells a holder when it runs out. " +
      "A client that pauses longer than the TTL is what makes expiry bite.",
  );
  if (variant.watchdog) {
    ctx.note(
      `the watchdog renewed the lock ${state.pitfall.renewalsDuringStall} times during the stall (every ${Math.floor(p.ttlMs / 3)} ms = TTL/3, ` +
        `owner-checked PEXPIRE on worker-1's connection): PTTL is ${pttl} ms now. It runs in worker-1's process: a stop-the-world pause ` +
        `(GC, a frozen VM) would have stopped it too; this stall is an await, which its timer outlives.`,
    );
  } else {
    ctx.note(
      pttl === -2 ? "PTTL answers -2: the lock is gone, although worker-1 never released it" : `PTTL answers ${pttl}`,
    );
  }
}

/** Step 3: worker-2 asks while worker-1 is still stalled. */
async function secondWorkerTries(ctx: Ctx, state: LockState, variant: LockVariant): Promise<void> {
  const [, w2] = state.workers;
  const grants = state.grants;
  const g2 = await takeLock(ctx, state, variant, w2!, false);
  grants.g2 = g2;
  state.pitfall.w2GotItDuringStall = g2 !== null;
  if (g2) {
    state.pitfall.w2Token = g2.token;
    state.pitfall.w2Fence = g2.fence;
    const value = await variant.read(ctx, w2!.redis);
    const accepted = await variant.write(ctx, w2!.redis, value + 1, g2);
    ctx.note(
      `worker-2 got the lock (token ${short(g2.token)}…${g2.fence !== null ? `, fencing token ${g2.fence}` : ""}), read ${value} and wrote ${value + 1}${accepted ? "" : " (refused!)"}`,
    );
    ctx.note(
      `DOUBLE HOLD: worker-1 never released and still believes it holds the lock; so does worker-2 (${overlappingHolds(state.holds)} overlapping hold so far)`,
    );
  } else {
    const owner = (await ctx.redis.call("GET", lockKey(ctx, variant.algo))) as string | null;
    ctx.note(
      `worker-2 was refused: the lock is still held${owner === grants.g1?.token ? " by worker-1 (its watchdog kept it alive)" : ""}; no double hold`,
    );
  }
}

/** Step 4: worker-1 resumes, writes what it computed before the stall, and releases. */
async function firstWorkerResumes(ctx: Ctx, state: LockState, variant: LockVariant): Promise<void> {
  const [w1, w2] = state.workers;
  const key = lockKey(ctx, variant.algo);
  const grants = state.grants;
  const g1 = grants.g1;
  if (!g1) throw new Error("worker-1 holds no lock to resume with");
  const rows: TableData["rows"] = [];
  const read1 = state.pitfall.read1!;
  // A holder with a watchdog checks it before writing: a lost lock means its work is no longer protected.
  const toldLost = g1.watchdog?.signal.aborted === true;
  const accepted = toldLost ? false : await variant.write(ctx, w1!.redis, read1 + 1, g1);
  state.pitfall.lateWriteAccepted = accepted;
  const released = await giveBack(ctx, state, variant, g1);
  state.pitfall.lateRelease = released ? 1 : 0;
  const writeCell = toldLost ? "not made (told the lock was lost)" : accepted ? "accepted" : "refused (older token)";
  rows.push([
    "worker-1",
    g1.fence ?? "–",
    read1,
    toldLost ? "–" : read1 + 1,
    writeCell,
    released ? "1 (deleted its lock)" : "0 (not its lock)",
  ]);
  const owner = (await ctx.redis.call("GET", key)) as string | null;
  const pttl = Number(await ctx.redis.call("PTTL", key));
  state.pitfall.ownerAfterLateRelease = owner;
  state.pitfall.pttlAfterLateRelease = pttl;
  const ownerName =
    owner === null
      ? "nobody"
      : owner === state.pitfall.w2Token
        ? "worker-2"
        : owner === g1.token
          ? "worker-1"
          : "someone else";
  ctx.note(`after worker-1's release the lock is held by ${ownerName}${owner !== null ? ` (PTTL ${pttl} ms)` : ""}`);

  let g2 = grants.g2 ?? null;
  if (g2) {
    const released2 = await giveBack(ctx, state, variant, g2);
    rows.unshift([
      "worker-2",
      g2.fence ?? "–",
      state.pitfall.start!,
      state.pitfall.start! + 1,
      "accepted",
      released2 ? "1 (deleted its lock)" : "0 (not its lock)",
    ]);
  } else {
    g2 = await takeLock(ctx, state, variant, w2!, true);
    if (!g2) throw new Error("worker-2 could not take the lock after worker-1 released it");
    state.pitfall.w2Token = g2.token;
    state.pitfall.w2Fence = g2.fence;
    const value = await variant.read(ctx, w2!.redis);
    const ok = await variant.write(ctx, w2!.redis, value + 1, g2);
    const released2 = await giveBack(ctx, state, variant, g2);
    rows.push([
      "worker-2",
      g2.fence ?? "–",
      value,
      value + 1,
      ok ? "accepted" : "refused",
      released2 ? "1 (deleted its lock)" : "0 (not its lock)",
    ]);
  }
  state.pitfall.end = await variant.read(ctx, ctx.redis);
  if (g1.fence !== null) {
    ctx.note(
      `Clock: fencing does not depend on clocks. The resource compares token numbers (${g1.fence} < ${state.pitfall.w2Fence ?? "?"}), so ` +
        "the stale write is refused however long worker-1 slept and whatever any clock, the server's included, says.",
    );
  }
  ctx.table({
    title: "Who wrote what (in the order the writes reached Redis)",
    columns: ["worker", "fencing token", "read", "wrote", "write", "release answered"],
    rows,
  });
  const lost = state.pitfall.start! + 2 - state.pitfall.end;
  if (!accepted && !toldLost) state.staleWritesRejected += 1;
  else if (state.pitfall.w2GotItDuringStall) state.staleWritesAccepted += 1;
  ctx.note(
    `counter ${state.pitfall.start} → ${state.pitfall.end} for two increments` +
      (accepted && lost > 0
        ? `: worker-1's stale write overwrote worker-2's, ${lost} update lost`
        : !accepted
          ? ": worker-1's stale write was refused (it must redo its work under a new lock)"
          : ""),
  );
}

/** Watchdog only: a renewal fails (the lock was deleted behind the holder's back); the holder is told and stops. */
async function renewalFails(ctx: Ctx, state: LockState, variant: LockVariant): Promise<void> {
  const p = ctx.params;
  const [w1] = state.workers;
  const key = lockKey(ctx, variant.algo);
  const valueBefore = await variant.read(ctx, ctx.redis);
  const grant = await takeLock(ctx, state, variant, w1!, true);
  if (!grant?.watchdog) throw new Error("worker-1 could not take the free lock with a watchdog");
  const watchdog = grant.watchdog;
  const chunksPlanned = 10;
  const chunkMs = Math.max(1, Math.ceil(p.ttlMs / 5));
  // worker-1's work: 10 slices of TTL/5 (2 × TTL in all), checking its watchdog's signal at every slice.
  const work = (async () => {
    let chunksDone = 0;
    try {
      for (; chunksDone < chunksPlanned; chunksDone++) {
        ctx.signal.throwIfAborted();
        await pause(chunkMs, watchdog.signal);
      }
      const value = await variant.read(ctx, w1!.redis);
      await variant.write(ctx, w1!.redis, value + 1, grant);
      return { chunksDone, wrote: true, told: null as unknown };
    } catch (err) {
      if (err instanceof LockLostError) return { chunksDone, wrote: false, told: err as unknown };
      throw err;
    }
  })();
  await Promise.race([grant.firstRenewal, work]);
  const renewalsBefore = watchdog.renewals;
  // The fault: the lock disappears while its holder works (an operator's DEL, a failover to a replica that never
  // got the key, eviction). The main connection deletes it; worker-1 is not told by anyone but its watchdog.
  await ctx.redis.call("DEL", key);
  const outcome = await work;
  const release = await giveBack(ctx, state, variant, grant);
  const valueAfter = await variant.read(ctx, ctx.redis);
  const told = outcome.told;
  state.lost = {
    message: told instanceof Error ? `${told.name}: ${told.message}` : "(nothing: worker-1 finished and wrote)",
    isLockLost: told instanceof LockLostError,
    chunksDone: outcome.chunksDone,
    chunksPlanned,
    wrote: outcome.wrote,
    valueBefore,
    valueAfter,
    release,
    renewalsBefore,
  };
  ctx.table({
    columns: ["what", "value"],
    rows: [
      ["renewals before the lock vanished", renewalsBefore],
      ["worker-1 was told", state.lost.message],
      ["work done when told", `${outcome.chunksDone} of ${chunksPlanned} slices of ${chunkMs} ms`],
      ["worker-1's write", outcome.wrote ? "made" : "never made (aborted)"],
      ["counter before → after", `${valueBefore} → ${valueAfter}`],
      ["worker-1's release answered", release ? "1" : "0 (the lock was already gone)"],
    ],
  });
  ctx.note(
    `Until that renewal (at most ${Math.floor(p.ttlMs / 3)} ms later) worker-1 still believed it held the lock: a watchdog shortens the window ` +
      "in which a lost lock goes unnoticed, it does not close it. Fencing tokens do: the resource refuses the stale write itself.",
  );
}

async function inspect(ctx: Ctx, state: LockState, variant: LockVariant): Promise<void> {
  const p = ctx.params;
  const lock = lockKey(ctx, variant.algo);
  const rows: TableData["rows"] = [];
  const lockPttl = Number(await ctx.redis.call("PTTL", lock));
  state.lockTtls.set(lock, lockPttl);
  rows.push([lock, "the lock", lockPttl === -2 ? "(gone)" : lockPttl === -1 ? "no TTL!" : `${lockPttl} ms`]);
  const counterPttl = Number(await ctx.redis.call("PTTL", counterKey(ctx, variant.algo)));
  rows.push([
    counterKey(ctx, variant.algo),
    variant.algo === "fencing" ? "the resource (value, highest token)" : "the counter",
    counterPttl === -1 ? "none: application data" : `${counterPttl}`,
  ]);
  if (variant.algo === "fencing") {
    const fencePttl = Number(await ctx.redis.call("PTTL", fenceKey(ctx, variant.algo)));
    rows.push([
      fenceKey(ctx, variant.algo),
      "the fencing token counter",
      fencePttl === -1 ? "none, on purpose: tokens must never restart" : `${fencePttl}`,
    ]);
  }
  ctx.table({ columns: ["key", "what", "TTL"], rows });
  const badLocks = [...state.lockTtls.values()].filter((t) => t === -1).length;
  ctx.check("every lock key is gone or has a TTL", badLocks === 0, {
    expected: "0 lock keys without TTL",
    actual: `${badLocks} without TTL`,
  });

  const expected = p.workers * p.increments;
  const doubleHolds = overlappingHolds(state.holds);
  ctx.metric("finalCount", state.finalCount);
  ctx.metric("expectedCount", expected);
  ctx.metric("doubleHolds", doubleHolds);
  ctx.metric("staleWritesRejected", state.staleWritesRejected);
  ctx.metric("staleWritesAccepted", state.staleWritesAccepted);
  ctx.metric("renewals", state.renewals);
  ctx.metric("waitP99Ms", roundOrNull(percentile(state.waits, 99)));
  ctx.metric("waitP50Ms", roundOrNull(percentile(state.waits, 50)));
  ctx.metric("waitMaxMs", roundOrNull(maxOf(state.waits)));
  ctx.metric("acquisitions", state.acquisitions);
  ctx.metric("refusedAttempts", state.attempts - state.acquisitions);
  ctx.metric(
    "lostUpdates",
    state.pitfall.start === undefined || state.pitfall.end === undefined
      ? null
      : state.pitfall.start + 2 - state.pitfall.end - (state.pitfall.lateWriteAccepted ? 0 : 1),
  );
  ctx.metric("ttlMs", p.ttlMs);
  ctx.metric("pauseMs", p.pauseMs);
  ctx.metric("commandsTotal", ctx.commands().length);

  ctx.check("with the lock every increment counts: final count = workers × increments", state.finalCount === expected, {
    expected,
    actual: state.finalCount,
    detail:
      state.workloadFailures > 0
        ? `${state.workloadFailures} problems in the workload (lock lost, write refused, or expired before release)`
        : undefined,
  });
  await variant.checks(ctx, state);
  variant.figure(ctx, state);
}

/** The largest value, or null for none (no spread: a big run has hundreds of thousands of waits). */
function maxOf(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => (b > a ? b : a), -Infinity);
}

function roundOrNull(n: number | null): number | null {
  return n === null ? null : round(n, 3);
}

/** Run a step; if it fails, stop every watchdog still renewing before the error goes on (Ctrl-C, a lost server). */
function guarded(run: (ctx: Ctx, state: LockState) => Promise<void>): (ctx: Ctx, state: LockState) => Promise<void> {
  return async (ctx, state) => {
    try {
      await run(ctx, state);
    } catch (err) {
      await Promise.allSettled([...state.running].map((w) => w.stop()));
      state.running.clear();
      throw err;
    }
  };
}

/** Build one algorithm's scenario: the counter workload, the expiry pitfall in three acts, (a failed renewal), the verdict. */
export function lockScenario(variant: LockVariant): ScenarioDef<LockParams, LockState> {
  return defineScenario<LockParams, LockState>({
    id: `lock/${variant.algo}`,
    title: (p) => variant.title(p),
    explain: variant.explain,
    chapter: CHAPTER,
    defaults: defaultParams,
    init: () => initialState(),
    steps: (p) => {
      const steps: StepDef<LockParams, LockState>[] = [
        {
          title: `${p.workers} workers × ${p.increments} increments of one counter, each under the lock`,
          say:
            `Each worker has its own connection. For every increment it takes the lock, GETs the counter, adds 1 in JavaScript, ` +
            `writes it back and releases: a read-modify-write that only the lock keeps from racing. The result must be exactly ` +
            `${p.workers * p.increments}.`,
          run: (ctx, state) => counterWorkload(ctx, state, variant),
        },
        {
          title: `The expiry pitfall, 1/3: worker-1 takes the lock, reads, and stalls ${p.pauseMs} ms (TTL ${p.ttlMs} ms)`,
          say: "This wait is real: Redis expires keys on its own clock, so the only way to see a lock expire under its holder is to let the time pass.",
          run: (ctx, state) => stallPastTtl(ctx, state, variant),
        },
        {
          title: "2/3: worker-2 asks for the lock while worker-1 is still stalled",
          run: (ctx, state) => secondWorkerTries(ctx, state, variant),
        },
        {
          title: "3/3: worker-1 resumes: it writes what it computed before the stall, then releases",
          run: (ctx, state) => firstWorkerResumes(ctx, state, variant),
        },
      ];
      if (variant.watchdog) {
        steps.push({
          title: "A renewal fails: the lock vanishes under worker-1, its watchdog tells it, it abandons its work",
          say: "Simulated fault: the main connection DELetes the lock after the first renewal, as an operator, a failover or eviction might.",
          run: (ctx, state) => renewalFails(ctx, state, variant),
        });
      }
      steps.push({
        title: "What Redis holds now, and the verdict",
        say: "Every lock key must be gone or expiring; the counts below come from Redis and from the holders' own timelines.",
        run: (ctx, state) => inspect(ctx, state, variant),
      });
      return steps.map((step) => ({ ...step, run: guarded(step.run) }));
    },
  });
}
