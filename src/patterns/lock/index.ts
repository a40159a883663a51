/** Distributed locking (chapter section 4.5): SET NX PX with an owner token, a renewal watchdog, fencing tokens. */
export {
  acquireLock,
  releaseLock,
  releaseLockScript,
  newLockToken,
  waitForLock,
  backoffDelay,
  pause,
  type LockOptions,
  type RetryOptions,
  type WaitResult,
} from "./simple.js";
export {
  extendLock,
  extendLockScript,
  startWatchdog,
  LockLostError,
  type LockWatchdog,
  type WatchdogOptions,
} from "./watchdog.js";
export {
  acquireFencedLock,
  acquireFencedLockScript,
  writeFenced,
  writeFencedScript,
  readFenced,
  type FencedWrite,
} from "./fencing.js";
export { percentile, overlappingHolds, type Hold } from "./stats.js";

export const lockAlgorithms = ["simple", "watchdog", "fencing"] as const;
export type LockAlgorithm = (typeof lockAlgorithms)[number];
export {
  tryRedlock,
  acquireRedlock,
  releaseRedlock,
  redlockQuorum,
  clockDrift,
  redlockRetryDelay,
  seededRandom,
  type RedlockNode,
  type NodeVote,
  type NodeRelease,
  type RedlockAttempt,
  type RedlockOptions,
  type RedlockRetryOptions,
} from "./redlock.js";
