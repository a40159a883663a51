/**
 * Sessions stored whole, as one JSON string per session (chapter 4.3's
 * `SET session:{id} "{user_id, roles, …}" EX 3600`): login writes it with its lifetime, each request reads it and
 * slides the lifetime forward, logout deletes it.
 */
import type { Redis } from "ioredis";
import { versionAtLeast } from "../../redis/server-info.js";
import type { RedisCaller } from "../../redis/types.js";

/** What a session holds: anything JSON can carry. */
export type SessionData = Record<string, unknown>;

/** How a request reads a session and extends its lifetime in one round trip. */
export type SlidingRead = "getex" | "get+expire";

function requireTtl(ttlSeconds: number): void {
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1)
    throw new RangeError(`ttlSeconds must be a whole number ≥ 1, got ${ttlSeconds}`);
}

function parseSession(raw: unknown, key: string): SessionData | null {
  if (raw === null || raw === undefined) return null;
  const text = Buffer.isBuffer(raw) ? raw.toString("utf8") : String(raw);
  const value: unknown = JSON.parse(text);
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new TypeError(`${key} does not hold a JSON object: ${text.slice(0, 80)}`);
  return value as SessionData;
}

/**
 * Write a whole session with its lifetime: `SET key <json> EX ttl`. Login uses it, and so does any request that
 * changes the session by rewriting all of it.
 *
 * Pro: one command, value and expiry together: a session can never exist without its TTL.
 * Con: it replaces the whole object: two requests that read, change different fields and write back lose one of
 * the changes (see {@link commitSession} for the optimistic fix, or store sessions as hashes).
 */
export async function saveSession(
  redis: RedisCaller,
  key: string,
  data: SessionData,
  ttlSeconds: number,
): Promise<void> {
  requireTtl(ttlSeconds);
  await redis.call("SET", key, JSON.stringify(data), "EX", ttlSeconds);
}

/** Read a session without touching its lifetime: `GET key`, parsed; null when it is gone (logged out or expired). */
export async function readSession(redis: RedisCaller, key: string): Promise<SessionData | null> {
  return parseSession(await redis.call("GET", key), key);
}

/**
 * Which sliding read a server supports: GETEX arrived in Redis 6.2 (and every Valkey). Undefined when the version
 * does not say (then try GETEX and fall back on "unknown command", `isUnknownCommand` in src/redis/classify-error.ts).
 */
export function slidingReadFor(version: string): SlidingRead | undefined {
  const getex = versionAtLeast(version, "6.2");
  return getex === undefined ? undefined : getex ? "getex" : "get+expire";
}

/**
 * A request's session read with sliding expiry: the session, with its TTL reset to the full `ttlSeconds`.
 * - `getex`: `GETEX key EX ttl`, one command that reads and extends (Redis ≥ 6.2).
 * - `get+expire`: `GET key` and `EXPIRE key ttl` in one pipeline (one round trip); EXPIRE on a missing key is a no-op.
 * Null means no session: redirect to the login page.
 *
 * Pro: an active user is never logged out; an idle one is, after exactly `ttlSeconds`, by Redis alone.
 * Con: every read is also a write (replicated, and it dirties the key for persistence).
 */
export async function touchSession(
  redis: RedisCaller & Pick<Redis, "pipeline">,
  key: string,
  options: { ttlSeconds: number; method: SlidingRead },
): Promise<SessionData | null> {
  requireTtl(options.ttlSeconds);
  if (options.method === "getex") return parseSession(await redis.call("GETEX", key, "EX", options.ttlSeconds), key);
  const replies = await redis.pipeline().call("GET", key).call("EXPIRE", key, options.ttlSeconds).exec();
  const [getReply] = replies ?? [];
  if (!getReply) throw new Error("the GET + EXPIRE pipeline returned nothing");
  if (getReply[0]) throw getReply[0];
  return parseSession(getReply[1], key);
}

/** Logout: `DEL key`. True when there was a session to end. */
export async function endSession(redis: RedisCaller, key: string): Promise<boolean> {
  return Number(await redis.call("DEL", key)) === 1;
}

/**
 * The read half of an optimistic update: `WATCH key`, then `GET key`. The connection must be this request's own
 * (WATCH belongs to the connection), and {@link commitSession} must follow on the same connection.
 */
export async function watchSession(redis: RedisCaller, key: string): Promise<SessionData | null> {
  await redis.call("WATCH", key);
  const data = await readSession(redis, key);
  if (data === null) await redis.call("UNWATCH");
  return data;
}

/**
 * The write half: `MULTI`, `SET key <json> EX ttl`, `EXEC`. Redis runs it only if nobody wrote the key since this
 * connection's WATCH; false means another request got there first, so read again and reapply the change.
 *
 * Pro: whole-object writes without lost updates, and no lock to hold or forget.
 * Con: under contention requests retry; each retry is another read and write.
 */
export async function commitSession(
  redis: Pick<Redis, "multi">,
  key: string,
  data: SessionData,
  ttlSeconds: number,
): Promise<boolean> {
  requireTtl(ttlSeconds);
  const replies = await redis.multi().call("SET", key, JSON.stringify(data), "EX", ttlSeconds).exec();
  if (replies === null) return false;
  for (const [err] of replies) if (err) throw err;
  return true;
}

/**
 * Read-modify-write of a whole session with WATCH/MULTI/EXEC, retried until it commits (or `maxAttempts` runs out).
 * Returns the session as written and how many attempts it took; null when there is no session.
 */
export async function updateSession(
  redis: RedisCaller & Pick<Redis, "multi">,
  key: string,
  change: (data: SessionData) => SessionData | Promise<SessionData>,
  options: { ttlSeconds: number; maxAttempts?: number },
): Promise<{ data: SessionData; attempts: number } | null> {
  const maxAttempts = options.maxAttempts ?? 5;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const current = await watchSession(redis, key);
    if (current === null) return null;
    const next = await change(current);
    if (await commitSession(redis, key, next, options.ttlSeconds)) return { data: next, attempts: attempt };
  }
  throw new Error(`session ${key} changed under every one of ${maxAttempts} attempts`);
}
