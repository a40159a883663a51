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
    `${from} × --clients ${opts.clients} = ${total} requests: at most ${MAX_RATELIMIT_REQUESTS} per run (lower --limit, --requests or --clients)`,
  );
}

/** A bound on a parsed number (a duration, a rate): exit 2 naming it. */
export function atMost(value: number, max: number, what: string, shown: string = String(max)): number {
  if (value > max) throw new UsageError(`${what} must be at most ${shown}`);
  return value;
}
