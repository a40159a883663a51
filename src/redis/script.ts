import { replyCode } from "./classify-error.js";
import { createHash } from "node:crypto";
import type { RedisArg, RedisCaller } from "./types.js";

/** A Lua script with its SHA1 computed locally, so EVALSHA can be tried first without a SCRIPT LOAD round trip. */
export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
  /**
   * Which of the script's KEYS (0-based) it may create without a TTL, only ever adding to them (INCR, HSET: never a
   * DEL or a SET that drops a TTL); it gives every other key a TTL, or only reads or deletes it. Undefined: the
   * script may do anything to any of its keys. The run's TTL guard (ttl-guard.ts) sends EXPIRE … NX after
   * the script only for these; test/safety/ttl-bound.test.ts kills runs mid-way and finds no key without a TTL.
   */
  readonly untimedKeys?: readonly number[];
}

export function defineScript(name: string, lua: string, options: { untimedKeys?: readonly number[] } = {}): LuaScript {
  const source = lua.trim() + "\n";
  const sha = createHash("sha1").update(source).digest("hex");
  return { name, lua: source, sha, ...(options.untimedKeys ? { untimedKeys: options.untimedKeys } : {}) };
}

/** Every script this process has defined, by SHA, so renderers can show a script's source next to its EVALSHA. */
const registry = new Map<string, LuaScript>();

export function registerScript(script: LuaScript): LuaScript {
  registry.set(script.sha, script);
  return script;
}

export function scriptBySha(sha: string): LuaScript | undefined {
  return registry.get(sha);
}

/**
 * Run a script: EVALSHA first, and EVAL with the full source when the server answers NOSCRIPT.
 * Both commands go through the client as ordinary commands (no ioredis `defineCommand`), so a recorder
 * attached to the client sees exactly what was sent, including the NOSCRIPT round trip.
 */
export async function runScript<T = unknown>(
  redis: RedisCaller,
  script: LuaScript,
  keys: readonly string[],
  args: readonly RedisArg[] = [],
): Promise<T> {
  registerScript(script);
  try {
    return (await redis.call("EVALSHA", script.sha, keys.length, ...keys, ...args)) as T;
  } catch (err) {
    if (replyCode(err) !== "NOSCRIPT") throw err;
    return (await redis.call("EVAL", script.lua, keys.length, ...keys, ...args)) as T;
  }
}
