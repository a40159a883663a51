/**
 * Deterministic request traffic for the scenarios and tests, plus the parsers for durations and rates the CLI
 * accepts. Pure: no clock, no randomness.
 */
import { UsageError } from "../../errors.js";

export type TrafficShape = "steady" | "burst" | "boundary";

export interface TrafficOptions {
  shape: TrafficShape;
  requestsPerClient: number;
  clients: readonly string[];
  windowMs: number;
  /** First window's start, ms since the epoch; {@link alignedStart}(windowMs) by default. */
  start?: number;
}

export interface TrafficRequest {
  /** 1, 2, 3 … in time order. */
  seq: number;
  client: string;
  /** ms since the epoch. */
  at: number;
  /** For narration: "window 1", "window 2", "burst", "before the edge", "after the edge". */
  phase: string;
}

/** 2024-01-15 10:30:00 UTC, the minute in the chapter's key `ratelimit:user123:202401151030`. */
const CHAPTER_MINUTE = Date.UTC(2024, 0, 15, 10, 30, 0);

/** The first multiple of windowMs at or after 2024-01-15 10:30:00 UTC, so windows and their labels line up. */
export function alignedStart(windowMs: number): number {
  return Math.ceil(CHAPTER_MINUTE / windowMs) * windowMs;
}

/** `count` times spread evenly over [from, from + spanMs), whole milliseconds. */
function spread(count: number, from: number, spanMs: number): number[] {
  return Array.from({ length: count }, (_, i) => from + Math.floor((i * spanMs) / count));
}

/**
 * Requests from every client, sorted by time; clients interleave in the order given when times are equal.
 *
 * - steady: each client's requests evenly over two windows from `start` ("window 1", "window 2").
 * - burst: every request at the same millisecond, `start + windowMs / 2` ("burst").
 * - boundary: the fixed window's worst case. Half of each client's requests (the larger half) evenly in the last
 *   δ ms before the edge `start + windowMs`, the rest in the first δ ms from it, δ = min(500, windowMs / 20):
 *   with 100 per minute, 200 requests inside one second.
 */
export function generateTraffic(options: TrafficOptions): TrafficRequest[] {
  const { shape, requestsPerClient: n, clients, windowMs } = options;
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`requestsPerClient must be a whole number, got ${n}`);
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0)
    throw new RangeError(`windowMs must be positive, got ${windowMs}`);
  const start = options.start ?? alignedStart(windowMs);
  const edge = start + windowMs;

  const perClient = (): { at: number; phase: string }[] => {
    switch (shape) {
      case "steady":
        return spread(n, start, 2 * windowMs).map((at) => ({ at, phase: at < edge ? "window 1" : "window 2" }));
      case "burst":
        return spread(n, start + Math.floor(windowMs / 2), 0).map((at) => ({ at, phase: "burst" }));
      case "boundary": {
        const delta = Math.max(1, Math.min(500, Math.floor(windowMs / 20)));
        const before = Math.ceil(n / 2);
        return [
          ...spread(before, edge - delta, delta).map((at) => ({ at, phase: "before the edge" })),
          ...spread(n - before, edge, delta).map((at) => ({ at, phase: "after the edge" })),
        ];
      }
    }
  };

  const times = perClient();
  return times
    .flatMap((t, i) => clients.map((client, c) => ({ ...t, client, order: i * clients.length + c })))
    .sort((a, b) => a.at - b.at || a.order - b.order)
    .map(({ at, phase, client }, i) => ({ seq: i + 1, client, at, phase }));
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const RATE_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };
const NUMBER = String.raw`(\d+(?:\.\d*)?|\.\d+)`;

/** "500ms", "10s", "1.5s", "1m", "1h" → milliseconds (a whole, positive number of them). */
export function parseDuration(text: string): number {
  const help = `expected a positive number with a unit ms, s, m or h, like 500ms, 10s, 1.5s, 1m`;
  const match = new RegExp(`^${NUMBER}\\s*([a-z]*)$`, "i").exec(text.trim());
  if (text.trim().startsWith("-")) throw new UsageError(`invalid duration "${text}": must not be negative; ${help}`);
  if (!match) throw new UsageError(`invalid duration "${text}": ${help}`);
  const [, value, unit = ""] = match;
  if (unit === "") throw new UsageError(`invalid duration "${text}": missing unit; ${help}`);
  const factor = DURATION_UNITS[unit.toLowerCase()];
  if (factor === undefined) throw new UsageError(`invalid duration "${text}": unknown unit "${unit}"; ${help}`);
  const ms = Number(value) * factor;
  if (!(ms > 0)) throw new UsageError(`invalid duration "${text}": must be more than zero; ${help}`);
  if (!Number.isSafeInteger(ms)) throw new UsageError(`invalid duration "${text}": not a whole number of milliseconds`);
  return ms;
}

/** "10/s", "100/m", "1000/h" or a bare "5" (per second) → tokens per second. */
export function parseRate(text: string): number {
  const help = `expected a positive number per s, m or h, like 10/s, 100/m, or a bare 5 for 5 per second`;
  const match = new RegExp(`^${NUMBER}\\s*(?:/\\s*([a-z]+))?$`, "i").exec(text.trim());
  if (text.trim().startsWith("-")) throw new UsageError(`invalid rate "${text}": must not be negative; ${help}`);
  if (!match) throw new UsageError(`invalid rate "${text}": ${help}`);
  const [, value, unit = "s"] = match;
  const seconds = RATE_UNITS[unit.toLowerCase()];
  if (seconds === undefined) throw new UsageError(`invalid rate "${text}": unknown unit "${unit}"; ${help}`);
  const perSec = Number(value) / seconds;
  if (!(perSec > 0)) throw new UsageError(`invalid rate "${text}": must be more than zero; ${help}`);
  return perSec;
}
