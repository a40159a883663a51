import { weightedQuantileOfSorted } from "../stats.js";

/**
 * Was this process stalled? A timer asks to run every `tickMs`; each time it runs late, the event loop (the whole
 * process, when the OS did not schedule it: a busy runner, a stopped VM, a long synchronous step) was stopped for the
 * difference. Nothing that needs the event loop could run meanwhile: a watchdog's renewal, a reply's handler, the
 * next wave of requests. A timing-sensitive scenario asks `longest(from, to)` for the window its point depends on and
 * reports itself inconclusive when the stall was long enough to explain what it saw (src/runner/types.ts).
 *
 * The same clock as `performance.now()`, which the scenarios already time themselves with.
 */
export interface StallMonitor {
  /** The monitor's clock (performance.now()): a window's start for `longest`. */
  now(): number;
  /**
   * The longest stall that overlapped [from, to] (`to`: now), in ms, counting one still in progress (the code asking
   * may run before the sampler has had its turn after a stall). 0 when the event loop kept time.
   */
  longest(from: number, to?: number): number;
  /** The usual lateness of the sampler so far (its 90th percentile), ms: this machine's background noise. */
  baseline(): number;
  /**
   * A named instant where a test may stall this process on purpose (a busy-wait through `RunEnv.stallHook`), to
   * show what a slow machine does to the scenario. Does nothing in a normal run.
   */
  point(name: string): void;
  stop(): void;
}

export interface StallOptions {
  /** How often the sampler asks to run, ms (default 10). */
  tickMs?: number;
  /** Lateness below this is noise, not a stall, and is not kept (default 5 ms). */
  minMs?: number;
  /** Called by `point(name)`. */
  hook?: (name: string) => void;
}

interface Stall {
  from: number;
  to: number;
  ms: number;
}

/** 0, 1, …, 100: the lateness each of the histogram's counts stands for. */
const WHOLE_MS = Array.from({ length: 101 }, (_, ms) => ms);

export function startStallMonitor(options: StallOptions = {}): StallMonitor {
  const tickMs = options.tickMs ?? 10;
  const minMs = options.minMs ?? 5;
  const stalls: Stall[] = [];
  // A histogram of lateness in whole ms (capped), for the baseline without keeping every sample.
  const lateness = new Array<number>(WHOLE_MS.length).fill(0);
  let samples = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const late = now - last - tickMs;
    last = now;
    samples += 1;
    lateness[Math.min(WHOLE_MS.length - 1, Math.max(0, Math.round(late)))]! += 1;
    if (late >= minMs) stalls.push({ from: now - late, to: now, ms: late });
  }, tickMs);
  // The sampler never keeps a process alive.
  timer.unref();
  return {
    now: () => performance.now(),
    longest(from, to = performance.now()) {
      let longest = 0;
      for (const s of stalls) if (s.to > from && s.from < to) longest = Math.max(longest, s.ms);
      // A stall still in progress: the sampler is overdue right now.
      const overdue = performance.now() - last - tickMs;
      if (overdue >= minMs && to >= performance.now() - 1) longest = Math.max(longest, overdue);
      return longest;
    },
    baseline() {
      return samples === 0 ? 0 : weightedQuantileOfSorted(WHOLE_MS, lateness, samples, 0.9);
    },
    point(name) {
      options.hook?.(name);
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/** "the event loop stalled 412 ms" / "" for a reason text, when the stall was at least `minMs`. */
export function stallWords(ms: number, minMs = 20): string {
  return ms >= minMs ? `this process's event loop stalled up to ${Math.round(ms)} ms` : "";
}

/**
 * Tests only: a stall hook from `REDIS_PATTERNS_TEST_STALL="point:ms[,point:ms…]"` (e.g. `lock-pitfall-stall:450`):
 * the first time a scenario passes that `ctx.stalls.point`, this process busy-waits `ms` (a stalled machine, on
 * purpose, for the end-to-end tests of the inconclusive status). Undefined when the variable is unset.
 */
export function stallHookFrom(spec: string | undefined): ((scenario: string, point: string) => void) | undefined {
  if (!spec) return undefined;
  const pending = new Map<string, number>();
  for (const part of spec.split(",")) {
    const [point, ms] = part.split(":");
    if (point && Number(ms) > 0) pending.set(point.trim(), Number(ms));
  }
  return (_scenario, point) => {
    const ms = pending.get(point);
    if (ms === undefined) return;
    pending.delete(point);
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // stalled on purpose
    }
  };
}
