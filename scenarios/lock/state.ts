/**
 * What the lock scenarios keep as they run, as data: the workers and the grants they hold, the run's state and the
 * pitfall's outcome, and what differs between the lock algorithms (LockVariant). The workers that act on it are in
 * workers.ts.
 */
import type { Redis } from "ioredis";
import type { Hold, LockAlgorithm, LockWatchdog } from "../../src/patterns/lock/index.js";
import type { SeqRange } from "../../src/runner/evidence.js";
import type { Ctx, LockParams } from "./params.js";

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
