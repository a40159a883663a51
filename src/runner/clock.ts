import { InterruptedError } from "../errors.js";

export type ClockMode = "scenario" | "real";

/**
 * The time algorithms are given. In "scenario" mode time is a number the scenario moves, so a one-minute window
 * runs in milliseconds and replays exactly. In "real" mode time is the wall clock and `waitUntil` sleeps.
 */
export interface Clock {
  readonly mode: ClockMode;
  /** Milliseconds since the epoch, in scenario time. */
  now(): number;
  /** Move to scenario instant `t` (never backwards): jump in scenario mode, sleep in real mode. */
  waitUntil(t: number, signal?: AbortSignal): Promise<void>;
}

export function scenarioClock(start: number): Clock {
  let now = start;
  return {
    mode: "scenario",
    now: () => now,
    async waitUntil(t, signal) {
      if (signal?.aborted) throw new InterruptedError();
      now = Math.max(now, t);
    },
  };
}

/**
 * The wall clock: `now()` is Date.now() and `waitUntil` sleeps (abortably) until that instant. A timer may fire up to
 * a millisecond before Date.now() has reached it (libuv keeps its own coarser clock), so it sleeps again until
 * `now() >= t`: a visibility timeout waited for has really passed.
 */
export function wallClock(): Clock {
  return {
    mode: "real",
    now: () => Date.now(),
    async waitUntil(t, signal) {
      do await sleep(t - Date.now(), signal);
      while (Date.now() < t);
    },
  };
}

/** Where scenario time starts: the minute of the chapter's example key `ratelimit:user123:202401151030`. */
export const SCENARIO_EPOCH = Date.UTC(2024, 0, 15, 10, 30, 0);

export function clockFor(mode: ClockMode): Clock {
  return mode === "real" ? wallClock() : scenarioClock(SCENARIO_EPOCH);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new InterruptedError());
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new InterruptedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
