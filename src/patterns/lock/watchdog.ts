import { defineScript, runScript } from "../../redis/script.js";
import type { RedisCaller } from "../../redis/types.js";
import { requireTtl } from "./simple.js";

export const extendLockScript = defineScript(
  "lock-extend",
  `
--[[ Extend a lock's TTL, but only if we still own it (the watchdog's renewal).
  KEYS[1]  the lock key
  ARGV[1]  the owner token
  ARGV[2]  the new TTL in milliseconds, counted from now on the server's clock
  returns  1 if the lock was ours and now lives ARGV[2] ms more, 0 if it is gone or another owner holds it
  A bare PEXPIRE would happily extend someone else's lock after ours expired: the owner check is the point. ]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`,
  { untimedKeys: [] },
);

/**
 * Renew a lock we hold: owner-checked `PEXPIRE`. True when it was ours and now lives `ttlMs` more.
 *
 * Pro: a long critical section keeps its lock without a long TTL (a crashed holder still frees it quickly).
 * Con: false means the lock was already lost: whatever the holder did since may have overlapped with another owner.
 */
export async function extendLock(redis: RedisCaller, key: string, token: string, ttlMs: number): Promise<boolean> {
  requireTtl(ttlMs);
  return Number(await runScript(redis, extendLockScript, [key], [token, String(ttlMs)])) === 1;
}

/** What a holder is told when its watchdog finds the lock no longer theirs: stop, your work is no longer protected. */
export class LockLostError extends Error {
  constructor(
    readonly key: string,
    /** Renewals that succeeded before the one that failed. */
    readonly renewals: number,
    /** "taken" when the renewal answered 0 (gone or another owner); "error" when it could not reach Redis. */
    readonly why: "taken" | "error",
    options?: { cause?: unknown },
  ) {
    super(
      why === "taken"
        ? `lock ${key} is no longer ours: renewal ${renewals + 1} answered 0 (expired, deleted or taken by ` +
            `another owner)`
        : `lock ${key} may be lost: renewal ${renewals + 1} failed ` +
            `(${options?.cause instanceof Error ? options.cause.message : String(options?.cause)})`,
      options,
    );
    this.name = "LockLostError";
  }
}

export interface WatchdogOptions {
  /** The TTL each renewal sets, in ms (normally the TTL the lock was taken with). */
  ttlMs: number;
  /** How often to renew; ttlMs / 3 by default, so two renewals can fail or run late before the lock expires. */
  intervalMs?: number;
  /**
   * Called after each successful renewal with the count so far and when that renewal was sent (performance.now()):
   * the server reset the TTL no earlier than that, which is what a caller judging a late renewal needs.
   */
  onRenew?: (renewals: number, sentAt: number) => void;
}

export interface LockWatchdog {
  /** Aborts, with a {@link LockLostError} as its reason, when a renewal finds the lock gone or cannot reach Redis. */
  readonly signal: AbortSignal;
  /** Successful renewals so far. */
  readonly renewals: number;
  /** Stop renewing. Waits for a renewal already sent, so none arrives after the caller's release. */
  stop(): Promise<void>;
}

/**
 * Keep a held lock alive: every `intervalMs` an owner-checked PEXPIRE (on the holder's own connection) resets its
 * TTL. When a renewal answers 0 or fails, the watchdog stops and aborts its `signal` with a {@link LockLostError}:
 * the holder must check the signal (or pass it to its own waits) and abandon its work.
 *
 * Renewals are chained timeouts, not setInterval: a slow renewal never overlaps the next one.
 *
 * Pro: the paused-but-alive holder keeps its lock; a dead holder's lock still expires within one TTL.
 * Con: it runs in the holder's process, so a stop-the-world pause (GC, a frozen VM) stops the watchdog too; and
 * between a lost lock and the next renewal the holder still believes it holds it. Fencing tokens close that gap.
 */
export function startWatchdog(redis: RedisCaller, key: string, token: string, options: WatchdogOptions): LockWatchdog {
  requireTtl(options.ttlMs);
  const intervalMs = options.intervalMs ?? Math.max(1, Math.floor(options.ttlMs / 3));
  const controller = new AbortController();
  let renewals = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const schedule = () => {
    if (stopped || controller.signal.aborted) return;
    timer = setTimeout(tick, intervalMs);
    // A forgotten watchdog must not keep the process alive.
    timer.unref();
  };
  const tick = () => {
    timer = undefined;
    const sentAt = performance.now();
    inFlight = extendLock(redis, key, token, options.ttlMs).then(
      (ours) => {
        if (stopped) return;
        if (ours) {
          renewals += 1;
          options.onRenew?.(renewals, sentAt);
          schedule();
        } else {
          controller.abort(new LockLostError(key, renewals, "taken"));
        }
      },
      (err: unknown) => {
        if (!stopped) controller.abort(new LockLostError(key, renewals, "error", { cause: err }));
      },
    );
  };
  schedule();
  return {
    signal: controller.signal,
    get renewals() {
      return renewals;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight;
    },
  };
}
