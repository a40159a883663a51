/**
 * Cache stampede (thundering herd): a hot entry expires, and every request that arrives before someone has
 * recomputed it goes to the database at once. Three ways to meet it: no protection, a lock so one request
 * recomputes while the others wait (single flight), and probabilistic early expiry (XFetch: requests recompute a
 * little before the TTL ends, with a probability that rises as it nears, so the entry is rarely missing at all).
 */
import type { Redis } from "ioredis";
import { runScript } from "../../redis/script.js";
import type { RedisCaller } from "../../redis/types.js";
import { releaseIfOwnerScript } from "../shared/release-if-owner.js";
import type { UserRow } from "./origin-db.js";
import { round } from "../../stats.js";

/** The entry of an expensive value: the row and how long it took to compute (XFetch's delta). */
export interface TimedEntry {
  row: UserRow;
  deltaMs: number;
}

export function encodeTimed(entry: TimedEntry): string {
  return JSON.stringify({
    id: entry.row.id,
    name: entry.row.name,
    version: entry.row.version,
    delta: round(entry.deltaMs, 3),
  });
}

export function decodeTimed(text: string): TimedEntry {
  const v = JSON.parse(text) as { id: number; name: string; version: number; delta: number };
  if (typeof v.id !== "number" || typeof v.delta !== "number") throw new Error(`not a timed cache entry: ${text}`);
  return { row: { id: v.id, name: v.name, version: v.version }, deltaMs: v.delta };
}

/** Recompute the value (the expensive database query). */
export type Loader = () => Promise<UserRow | null>;

/** What one request did. */
export interface StampedeFetch {
  row: UserRow | null;
  /** Served from the cache (possibly after waiting for another request to fill it). */
  hit: boolean;
  /** This request ran the loader. */
  loaded: boolean;
  /** This request found the entry missing and another request recomputing: it waited. */
  waited: boolean;
  /** GETs spent waiting. */
  polls: number;
  /** XFetch: recomputed while the entry was still there (an early refresh, not a miss). */
  early: boolean;
  /** XFetch: the entry's PTTL when this request looked (-2 when it was missing). */
  remainingMs?: number;
  /** XFetch: the recompute time stored with the entry. */
  deltaMs?: number;
  /** Lock: this request got the lock, but the entry was there again when it looked (another request had stored it). */
  rechecked?: boolean;
  /**
   * Lock: when the request that loaded sent its winning SET NX and got the reply, got the reply of its look at the
   * entry under the lock (missing), and sent the entry's SET (the `now` clock). Enough to tell whether a second load
   * had an expiry to explain it (the entry's, or the lock's) or broke single flight.
   */
  timing?: { lockSentAt: number; lockRepliedAt: number; recheckRepliedAt: number; storeSentAt: number };
  /**
   * No protection: when the first GET was sent and answered, and (for a load) when the entry's SET was sent (the
   * `now` clock): whether requests overlapped a reload closely enough to show a stampede.
   */
  looked?: { sentAt: number; repliedAt: number; storeSentAt?: number };
}

interface Timing {
  /** Milliseconds, monotonic; performance.now() by default. */
  now?: () => number;
}

async function loadAndStore(
  redis: RedisCaller,
  key: string,
  load: Loader,
  ttlMs: number,
  now: () => number,
  stored: (sentAt: number) => void = () => {},
): Promise<UserRow | null> {
  const started = now();
  const row = await load();
  if (row) {
    stored(now());
    await redis.call("SET", key, encodeTimed({ row, deltaMs: now() - started }), "PX", ttlMs);
  }
  return row;
}

const result = (partial: Partial<StampedeFetch> & Pick<StampedeFetch, "row">): StampedeFetch => ({
  hit: false,
  loaded: false,
  waited: false,
  polls: 0,
  early: false,
  ...partial,
});

/**
 * No protection: GET, and on a miss recompute and SET.
 *
 * Pro: simplest; no extra keys or commands.
 * Con: when a hot entry expires, every request until the first SET lands recomputes it: N concurrent requests, N
 * database queries.
 */
export async function fetchUnprotected(
  redis: RedisCaller,
  key: string,
  load: Loader,
  options: { ttlMs: number } & Timing,
): Promise<StampedeFetch> {
  const now = options.now ?? (() => performance.now());
  const sentAt = now();
  const text = (await redis.call("GET", key)) as string | null;
  const looked: NonNullable<StampedeFetch["looked"]> = { sentAt, repliedAt: now() };
  if (text !== null) return result({ row: decodeTimed(text).row, hit: true, looked });
  const row = await loadAndStore(redis, key, load, options.ttlMs, now, (at) => (looked.storeSentAt = at));
  return result({ row, loaded: true, looked });
}

/** Release the recompute lock only if this request still holds it (the lock pattern's compare-and-delete). */
export const releaseLockScript = releaseIfOwnerScript;

export interface LockOptions extends Timing {
  ttlMs: number;
  /** How long the lock lives if its holder dies while recomputing. */
  lockTtlMs: number;
  /** Pause between the waiters' GETs. */
  pollMs: number;
  /** Give up (return no row) after waiting this long. */
  maxWaitMs: number;
  /** Unique per request: only the holder releases the lock. */
  token: string;
}

/**
 * Single flight with a lock: on a miss, `SET lock token NX PX` decides who recomputes; the others poll the entry
 * until it appears. If the holder dies, its lock expires after `lockTtlMs` and a waiter takes over. The holder looks
 * at the entry once more under the lock: a request that missed just before another one stored it and released would
 * otherwise load it again.
 *
 * Pro: one database query per expiry, however many requests arrive.
 * Con: waiters pay the recompute time plus up to one poll interval; more commands (SET NX, a second GET, polls, the
 * release); a lock TTL shorter than the recompute lets a second request in.
 */
export async function fetchWithLock(
  redis: RedisCaller,
  key: string,
  lockKey: string,
  load: Loader,
  options: LockOptions,
): Promise<StampedeFetch> {
  const now = options.now ?? (() => performance.now());
  const text = (await redis.call("GET", key)) as string | null;
  if (text !== null) return result({ row: decodeTimed(text).row, hit: true });
  const waitStarted = now();
  let polls = 0;
  let waited = false;
  for (;;) {
    // Try for the lock at first, and again once a holder's lock could have expired (it died recomputing).
    if (!waited || now() - waitStarted >= options.lockTtlMs) {
      const lockSentAt = now();
      const acquired = (await redis.call("SET", lockKey, options.token, "NX", "PX", options.lockTtlMs)) === "OK";
      if (acquired) {
        const lockRepliedAt = now();
        try {
          const stored = (await redis.call("GET", key)) as string | null;
          if (stored !== null)
            return result({ row: decodeTimed(stored).row, hit: true, waited, polls, rechecked: true });
          const recheckRepliedAt = now();
          let storeSentAt = Number.NaN;
          const row = await loadAndStore(redis, key, load, options.ttlMs, now, (at) => (storeSentAt = at));
          const timing = { lockSentAt, lockRepliedAt, recheckRepliedAt, storeSentAt };
          return result({ row, loaded: true, waited, polls, timing });
        } finally {
          await runScript(redis, releaseLockScript, [lockKey], [options.token]);
        }
      }
    }
    waited = true;
    if (now() - waitStarted >= options.maxWaitMs) return result({ row: null, waited, polls });
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
    polls += 1;
    const again = (await redis.call("GET", key)) as string | null;
    if (again !== null) return result({ row: decodeTimed(again).row, hit: true, waited, polls });
  }
}

export interface EarlyExpiryOptions extends Timing {
  ttlMs: number;
  /** XFetch's β: above 1 recomputes earlier, below 1 later; 1 is the paper's choice. */
  beta: number;
  /** Uniform in (0, 1]; seed it for a run that replays. */
  random: () => number;
}

/**
 * The XFetch test: recompute early when `-delta · β · ln(random) ≥ remaining TTL`. The nearer the expiry and the
 * slower the recompute (delta), the likelier.
 */
export function shouldRecomputeEarly(deltaMs: number, beta: number, remainingMs: number, random: number): boolean {
  return -deltaMs * beta * Math.log(random) >= remainingMs;
}

/**
 * Probabilistic early expiry (XFetch, Vattani et al. 2015): GET the entry and its PTTL in one round trip; a request
 * may decide to recompute before the TTL ends ({@link shouldRecomputeEarly}). Usually one request does, a little
 * early, and the entry never goes missing under load.
 *
 * Pro: no lock, no waiting; the entry is refreshed before it expires, so requests rarely see a miss.
 * Con: probabilistic: a few requests may recompute at about the same time; the entry must store its recompute time;
 * a cold (absent) key is still a plain miss for everyone.
 */
export async function fetchWithEarlyExpiry(
  redis: Pick<Redis, "pipeline"> & RedisCaller,
  key: string,
  load: Loader,
  options: EarlyExpiryOptions,
): Promise<StampedeFetch> {
  const now = options.now ?? (() => performance.now());
  const replies = await redis.pipeline().get(key).pttl(key).exec();
  if (!replies) throw new Error("pipeline returned nothing");
  for (const [err] of replies) if (err) throw err;
  const text = replies[0]![1] as string | null;
  const pttl = Number(replies[1]![1]);
  if (text !== null) {
    const entry = decodeTimed(text);
    const seen = { remainingMs: pttl, deltaMs: entry.deltaMs };
    if (!shouldRecomputeEarly(entry.deltaMs, options.beta, pttl, options.random()))
      return result({ row: entry.row, hit: true, ...seen });
    return result({
      row: await loadAndStore(redis, key, load, options.ttlMs, now),
      loaded: true,
      early: true,
      ...seen,
    });
  }
  return result({ row: await loadAndStore(redis, key, load, options.ttlMs, now), loaded: true, remainingMs: pttl });
}
