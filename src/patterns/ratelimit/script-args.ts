/**
 * Small helpers shared by the four rate limiters: how numbers go to Lua, how replies come back,
 * and the Lua snippet that reads the clock. Internal; the public API is re-exported from index.ts.
 */

/** `now` as a caller clock (ms since the epoch) or `"server"`: the script reads Redis's `TIME` instead. */
export type Now = number | "server";

/**
 * Every ARGV value is sent as a string made here, so the trace shows exactly what Lua parses. `String(x)` is the
 * shortest decimal that round-trips a double, and Lua's `tonumber` (strtod) reads it back to the very same double.
 */
export function arg(value: number | string): string {
  return typeof value === "string" ? value : String(value);
}

export function nowArg(now: Now): string {
  return now === "server" ? "server" : arg(now);
}

/**
 * A reply element as a number. ioredis gives integer replies as numbers and bulk replies as strings
 * (or Buffers with the *Buffer call variants); fractional values leave Lua as `%.17g` strings on purpose.
 */
export function num(reply: unknown): number {
  const text = Buffer.isBuffer(reply) ? reply.toString() : reply;
  const value = typeof text === "number" ? text : typeof text === "string" ? Number(text) : Number.NaN;
  if (Number.isNaN(value)) throw new TypeError(`expected a number in the script reply, got ${String(reply)}`);
  return value;
}

/** The script reply as an array (every rate-limit script returns a flat multi-bulk). */
export function replyArray(reply: unknown, length: number, script: string): unknown[] {
  if (!Array.isArray(reply) || reply.length < length) {
    throw new TypeError(`${script}: expected an array of ${length} from the script, got ${JSON.stringify(reply)}`);
  }
  return reply;
}

/** What the JS side does with Lua's `string.format('%.17g', x)` then `tonumber`: the same double, exactly. */
export function roundTrip17(x: number): number {
  return Number(x.toPrecision(17));
}

export function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

export function requireNonNegativeInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
}

export function requirePositiveNumber(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
}

/** Caller clocks are whole milliseconds: scores, member names and key labels are all built from them. */
export function requireNow(now: Now): void {
  if (now !== "server") requireNonNegativeInteger("now", now);
}

/** The options the three window algorithms share, checked before anything is sent. */
export function requireWindowOptions(o: {
  limit: number;
  windowMs: number;
  cost: number;
  ttlPaddingMs: number;
  now: Now;
}): void {
  requirePositiveInteger("limit", o.limit);
  requirePositiveInteger("windowMs", o.windowMs);
  requirePositiveInteger("cost", o.cost);
  requireNonNegativeInteger("ttlPaddingMs", o.ttlPaddingMs);
  requireNow(o.now);
}

/**
 * Lua that sets `local now` from the given ARGV slot: the caller's number, or Redis's clock when the slot says
 * "server". Scripts that read TIME and then write must be replicated as their effects rather than as the script
 * (a replica would read another TIME); that is the default since Redis 5 and the only mode since 7, and older
 * servers need `redis.replicate_commands()` before the first write, hence the guarded call.
 */
export function luaNow(slot: string): string {
  return `local now = tonumber(${slot})
if ${slot} == 'server' then
  if redis.replicate_commands then pcall(redis.replicate_commands) end
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end`;
}
