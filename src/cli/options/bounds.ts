import { UsageError } from "../../errors.js";

/**
 * Upper bounds of the sizes a run may be asked for. Each scenario keeps its requests, replies and trace in memory,
 * so a size is bounded by what fits comfortably (measured: ~30 000 rate-limited requests take ~1 s and ~150 MB with
 * the full trace); the bound is checked before connecting, and the message names it.
 */
export const MAX_RATELIMIT_LIMIT = 10_000;
/** Requests per scenario run: --requests (default 3 × --limit) × --clients. */
export const MAX_RATELIMIT_REQUESTS = 30_000;
export const MAX_RATE_PER_SEC = 1_000_000;
/** --window: a day (a --clock real run lasts about two windows; keys live a window). */
export const MAX_WINDOW_MS = 24 * 60 * 60_000;

/** The requests a ratelimit run sends, derived values included, within MAX_RATELIMIT_REQUESTS, or exit 2 naming it. */
export function checkRatelimitSize(opts: { limit: number; requests?: number; clients: number }): void {
  const perClient = opts.requests ?? 3 * opts.limit;
  const total = perClient * opts.clients;
  if (total <= MAX_RATELIMIT_REQUESTS) return;
  const from =
    opts.requests === undefined
      ? `3 × --limit ${opts.limit} = ${perClient} requests per client`
      : `--requests ${perClient}`;
  throw new UsageError(
    `${from} × --clients ${opts.clients} = ${total} requests: at most ${MAX_RATELIMIT_REQUESTS} per run ` +
      "(lower --limit, --requests or --clients)",
  );
}

/** A bound on a parsed number (a duration, a rate): exit 2 naming it. */
export function atMost(value: number, max: number, what: string, shown: string = String(max)): number {
  if (value > max) throw new UsageError(`${what} must be at most ${shown}`);
  return value;
}

/** `parseDuration` within a bound: exit 2 naming it (e.g. `--ttl must be at most 24h`). */
export function durationAtMost(parse: (text: string) => number, max: number, what: string, shown: string) {
  return (text: string): number => atMost(parse(text), max, what, shown);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/**
 * Durations. Key TTLs (cache entries, sessions) at most a day, as --window: a run that never reaches its cleanup
 * leaves no key of its own longer (docs/safety.md). Waits a run sits through in real time (a blocking read, a
 * visibility timeout, a flush interval, a server's start) at most ten minutes; a benchmark phase at most an hour.
 */
export const DURATION_BOUNDS = {
  keyTtl: { ms: 24 * HOUR, shown: "24h" },
  wait: { ms: 10 * MINUTE, shown: "10m" },
  window: { ms: 24 * HOUR, shown: "24h" },
  phase: { ms: HOUR, shown: "1h" },
} as const;

/** `smoke --max-keys`: a cap, so no larger than the keys a run could ever name (10 million). */
export const MAX_KEYS_CAP = 10_000_000;

/**
 * Sizes that multiply: a run holds the product in memory (commands in its trace, connections) or in Redis, so each
 * product has a bound of its own besides its factors'. Checked for every command before it connects (program.ts).
 */
export interface ProductBound {
  command: string;
  /** The options multiplied, by their flag (`--trials`); their parsed values are numbers. */
  options: readonly string[];
  max: number;
  /** What the product is and why it is bounded, for the message. */
  what: string;
}

export const PRODUCT_BOUNDS: readonly ProductBound[] = [
  // Each trial generates --count items inside Redis (one Lua call per 100,000) into an HLL of its own: ~1 s per
  // 10 million items on a small server, so 100 million is minutes of a busy server.
  { command: "hll", options: ["--trials", "--count"], max: 100_000_000, what: "items generated in all trials" },
  // Every increment is 4-6 commands in the trace (about 1 KB each with its reply): 50,000 increments ~ 300 MB.
  { command: "lock", options: ["--workers", "--increments"], max: 50_000, what: "increments (each 4-6 commands)" },
  // Each concurrent request has its own connection on every app instance: Redis keeps ~20 KB per connection.
  {
    command: "cache",
    options: ["--instances", "--concurrency"],
    max: 1_000,
    what: "connections (~20 KB each on the server)",
  },
  // A failing message is delivered up to --max-deliveries times, each a few commands in the trace.
  {
    command: "queue",
    options: ["--messages", "--max-deliveries"],
    max: 1_000_000,
    what: "deliveries in the worst case (each a few commands)",
  },
  // Each session read is one command kept in the trace, on each server.
  { command: "session", options: ["--servers", "--sessions"], max: 100_000, what: "sessions written (one key each)" },
  // Each client (thread or process) holds its own connection and buffers.
  { command: "bench", options: ["--clients", "--threads"], max: 4_096, what: "connections" },
  { command: "bench", options: ["--clients", "--processes"], max: 4_096, what: "connections" },
];

/** Exit 2 when a product of `command`'s options passes its bound, naming the options, the product and the bound. */
export function checkProducts(command: string, values: (flag: string) => unknown): void {
  for (const bound of PRODUCT_BOUNDS) {
    if (bound.command !== command) continue;
    const factors = bound.options.map((flag) => [flag, values(flag)] as const);
    if (factors.some(([, v]) => typeof v !== "number")) continue;
    const product = factors.reduce((acc, [, v]) => acc * (v as number), 1);
    if (product <= bound.max) continue;
    throw new UsageError(
      `${factors.map(([flag, v]) => `${flag} ${String(v)}`).join(" × ")} = ${product} ${bound.what}: ` +
        `at most ${bound.max} per run`,
    );
  }
}
