import { createHash } from "node:crypto";
import type { RedisArg, RedisCaller } from "./types.js";

/** A Lua script with its SHA1 computed locally, so EVALSHA can be tried first without a SCRIPT LOAD round trip. */
export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

export function defineScript(name: string, lua: string): LuaScript {
  const source = lua.trim() + "\n";
  return { name, lua: source, sha: createHash("sha1").update(source).digest("hex") };
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
    if (!isNoScript(err)) throw err;
    return (await redis.call("EVAL", script.lua, keys.length, ...keys, ...args)) as T;
  }
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith("NOSCRIPT");
}
