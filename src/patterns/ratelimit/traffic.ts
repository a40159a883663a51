/**
 * Deterministic request traffic for the scenarios and tests. Pure: no clock, no randomness.
 */
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
