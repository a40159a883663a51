/**
 * Rich sessions as hashes (chapter 4.3: `HSET session:abc user_id 123 role admin cart_size 3`, `HGET`, `HINCRBY`,
 * `EXPIRE`): each field is read and written on its own, so requests that change different fields never overwrite
 * each other.
 */
import type { Redis } from "ioredis";
import type { RedisCaller } from "../../redis/types.js";

export type HashSession = Record<string, string>;

function requireTtl(ttlSeconds: number): void {
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1)
    throw new RangeError(`ttlSeconds must be a whole number ≥ 1, got ${ttlSeconds}`);
}

async function execAll(multi: ReturnType<Pick<Redis, "multi">["multi"]>): Promise<unknown[]> {
  const replies = await multi.exec();
  if (replies === null) throw new Error("the transaction was aborted");
  return replies.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

/**
 * Login with a hash session: `HSET key f1 v1 f2 v2 …` and `EXPIRE key ttl` in one MULTI/EXEC.
 *
 * Pro: the chapter's two commands, made atomic: no session hash ever exists without its TTL, even if the app dies
 * between them.
 * Con: a transaction is one more round trip's worth of bytes (MULTI, EXEC) than the bare commands.
 */
export async function createHashSession(
  redis: Pick<Redis, "multi">,
  key: string,
  fields: Record<string, string | number>,
  ttlSeconds: number,
): Promise<void> {
  requireTtl(ttlSeconds);
  const args = Object.entries(fields).flatMap(([f, v]) => [f, String(v)]);
  if (args.length === 0) throw new RangeError("a session needs at least one field");
  await execAll(
    redis
      .multi()
      .call("HSET", key, ...args)
      .call("EXPIRE", key, ttlSeconds),
  );
}

/** One field of a session: `HGET key field`; null when the session (or the field) does not exist. */
export async function sessionField(redis: RedisCaller, key: string, field: string): Promise<string | null> {
  const value = await redis.call("HGET", key, field);
  return value === null || value === undefined ? null : String(value);
}

/** The whole session: `HGETALL key` as an object; null when there is no session. */
export async function readHashSession(redis: RedisCaller, key: string): Promise<HashSession | null> {
  return hashFromReply(await redis.call("HGETALL", key));
}

/** A flat HGETALL reply (`[f1, v1, f2, v2, …]`, as `call` returns it) as an object; null when empty. */
export function hashFromReply(reply: unknown): HashSession | null {
  if (!Array.isArray(reply)) throw new TypeError(`HGETALL replied ${String(reply)}`);
  if (reply.length === 0) return null;
  const out: HashSession = {};
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

/**
 * Add to the cart: `HINCRBY key cart_size n` and `EXPIRE key ttl` (sliding expiry) in one MULTI/EXEC. Returns the
 * new cart size. Call it only for a session that exists (read a field first): HINCRBY on an expired session would
 * create a hash holding nothing but `cart_size`.
 *
 * Pro: the increment happens inside Redis, so concurrent requests on any server all count.
 * Con: the check that the session exists and the increment are two round trips; a session that expires exactly
 * between them comes back as a stub with only `cart_size` (with a TTL, so it ages out; readers should treat a hash
 * without `user_id` as no session).
 */
export async function addToCart(
  redis: Pick<Redis, "multi">,
  key: string,
  options: { ttlSeconds: number; items?: number },
): Promise<number> {
  requireTtl(options.ttlSeconds);
  const [size] = await execAll(
    redis
      .multi()
      .call("HINCRBY", key, "cart_size", options.items ?? 1)
      .call("EXPIRE", key, options.ttlSeconds),
  );
  return Number(size);
}

/**
 * Change one field: `HSET key field value` and `EXPIRE key ttl` in one MULTI/EXEC; the other fields stay as they are.
 */
export async function setSessionField(
  redis: Pick<Redis, "multi">,
  key: string,
  field: string,
  value: string | number,
  ttlSeconds: number,
): Promise<void> {
  requireTtl(ttlSeconds);
  await execAll(redis.multi().call("HSET", key, field, String(value)).call("EXPIRE", key, ttlSeconds));
}
